"""Token completion in the template editor: after ``{{`` or a dot, the names this node's message has."""

from __future__ import annotations

import re

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QCompleter, QPlainTextEdit

from designer.content.vocabulary import BASE_NAMES, CART_NAMES, Vocabulary

_PREFIX = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)?$")


def token_names(vocabulary: Vocabulary | None, trigger_event: str | None) -> list[str]:
    """Every name a message of this node can use: profile, facts, ``event.*`` seen in the store, ``cart.*``."""
    names = set(BASE_NAMES)
    names.update(f"cart.{n}" for n in CART_NAMES)
    names.update(f"flow.{n}" for n in ("id", "name"))
    names.add("node.id")
    if vocabulary is not None:
        names |= vocabulary.profile
        names.update(f"event.{n}" for n in vocabulary.event_names(trigger_event))
    return sorted(names)


class TokenCompleter(QCompleter):
    """Pops up after ``{{ fir`` and puts the chosen name in place of what was typed."""

    def __init__(self, editor: QPlainTextEdit) -> None:
        super().__init__(editor)
        self.editor = editor
        self.setModel(QStringListModel([], self))
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.setWidget(editor)
        self.activated.connect(self._insert)
        editor.textChanged.connect(self._maybe_show)

    def set_names(self, names: list[str]) -> None:
        self.model().setStringList(names)

    def _typed(self) -> str | None:
        cursor = self.editor.textCursor()
        line = cursor.block().text()[: cursor.positionInBlock()]
        m = _PREFIX.search(line)
        return None if m is None else (m.group(1) or "")

    def _maybe_show(self) -> None:
        typed = self._typed()
        if typed is None or not self.editor.hasFocus():
            self.popup().hide()
            return
        self.setCompletionPrefix(typed)
        if self.completionCount() == 0:
            self.popup().hide()
            return
        rect = self.editor.cursorRect()
        rect.setWidth(240)
        self.complete(rect)

    def _insert(self, name: str) -> None:
        typed = self._typed() or ""
        cursor = self.editor.textCursor()
        cursor.movePosition(cursor.MoveOperation.Left, cursor.MoveMode.KeepAnchor, len(typed))
        cursor.insertText(name + " }}")
        self.editor.setTextCursor(cursor)
