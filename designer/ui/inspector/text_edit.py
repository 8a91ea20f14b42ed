"""Plain text fields: one line, several lines, and a URL."""

from __future__ import annotations

import re

from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget

from designer.ui.inspector.base import ValueEditor, set_invalid

_URL = re.compile(r"^https?://[^\s/]+")


class TextEdit(ValueEditor):
    def __init__(self, parent: QWidget | None = None, *, placeholder: str = "") -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.setFocusProxy(self.edit)
        self.edit.textEdited.connect(lambda _t: self.emit_edit(True))

    def value(self) -> str:
        return self.edit.text()

    def set_value(self, value: object) -> None:
        text = "" if value is None else str(value)
        if text != self.edit.text():
            with self.loading():
                self.edit.setText(text)
                if not self.edit.hasFocus():
                    self.edit.setCursorPosition(0)  # show the start of a long subject
        self.refresh_problem()


class UrlEdit(TextEdit):
    """Committed as typed; marked red while it is not an http(s) URL."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, placeholder="https://example.com/hook")

    def refresh_problem(self) -> None:
        text = self.edit.text().strip()
        set_invalid(self.edit, None if _URL.match(text) else "Enter an http:// or https:// address")


class MultilineEdit(ValueEditor):
    def __init__(self, parent: QWidget | None = None, *, lines: int = 4) -> None:
        super().__init__(parent)
        self.edit = QPlainTextEdit()
        self.edit.setTabChangesFocus(True)
        height = QFontMetrics(self.edit.font()).lineSpacing() * lines + 12
        self.edit.setFixedHeight(height)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(lambda: self.emit_edit(True))

    def value(self) -> str:
        return self.edit.toPlainText()

    def set_value(self, value: object) -> None:
        text = "" if value is None else str(value)
        if text != self.edit.toPlainText():
            with self.loading():
                self.edit.setPlainText(text)
