"""Syntax colours for email templates: HTML tags, attributes, strings, comments, and jinja tokens."""

from __future__ import annotations

import re

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat


def _fmt(color: str, bold: bool = False, italic: bool = False, background: str | None = None) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(QFont.Weight.Bold)
    f.setFontItalic(italic)
    if background:
        f.setBackground(QColor(background))
    return f


#: (pattern, format), applied in order: later rules paint over earlier ones.
RULES = [
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*|/?>"), _fmt("#2b6cb0", bold=True)),
    (re.compile(r"\b[a-zA-Z-]+(?==)"), _fmt("#9c4221")),
    (re.compile(r"\"[^\"]*\"|'[^']*'"), _fmt("#2f855a")),
    (re.compile(r"<!--.*?-->"), _fmt("#718096", italic=True)),
    (re.compile(r"\{\{.*?\}\}"), _fmt("#805ad5", bold=True, background="#f3ebff")),
    (re.compile(r"\{%.*?%\}"), _fmt("#b83280", bold=True, background="#fdebf3")),
    (re.compile(r"\{#.*?#\}"), _fmt("#718096", italic=True)),
]
_COMMENT_START, _COMMENT_END = re.compile(r"\{#"), re.compile(r"#\}")


class TemplateHighlighter(QSyntaxHighlighter):
    """Colours one block (line) at a time; a ``{# ... #}`` comment may span lines (block state 1)."""

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt's name
        for pattern, fmt in RULES:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), fmt)
        comment = RULES[-1][1]
        start = 0 if self.previousBlockState() == 1 else -1
        if start < 0:
            m = _COMMENT_START.search(text)
            start = m.start() if m else -1
        self.setCurrentBlockState(0)
        while start >= 0:
            end = _COMMENT_END.search(text, start + (0 if self.previousBlockState() == 1 and start == 0 else 2))
            if end is None:
                self.setCurrentBlockState(1)
                self.setFormat(start, len(text) - start, comment)
                break
            self.setFormat(start, end.end() - start, comment)
            m = _COMMENT_START.search(text, end.end())
            start = m.start() if m else -1
