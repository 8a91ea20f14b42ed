"""The event name field: an editable list of the canonical events and those seen in the store.

Every event combo of an inspector shares one :class:`EventNames` model, so
feeding the store's names once (``Inspector.set_known_events``) updates them all.
Any name may be typed: a flow can be drawn before its events have been imported.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QComboBox, QCompleter, QHBoxLayout, QSizePolicy, QWidget

from designer.model.kinds import CANONICAL_EVENTS
from designer.ui.inspector.base import ValueEditor, set_invalid


class EventNames(QStringListModel):
    """The canonical events first, then the store's other names, sorted."""

    def __init__(self, parent=None) -> None:
        super().__init__(list(CANONICAL_EVENTS), parent)

    def set_seen(self, names: Iterable[str]) -> None:
        extra = sorted({n.strip() for n in names if isinstance(n, str) and n.strip()} - set(CANONICAL_EVENTS))
        merged = list(CANONICAL_EVENTS) + extra
        if merged != self.stringList():
            self.setStringList(merged)


class EventCombo(ValueEditor):
    """An editable combo of event names; its value is the name typed or chosen."""

    def __init__(self, names: EventNames, parent: QWidget | None = None, *, placeholder: str = "event name") -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.setModel(names)
        self.combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(8)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.combo.lineEdit().setPlaceholderText(placeholder)
        self.combo.setCurrentIndex(-1)
        completer = QCompleter(names, self.combo)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.combo.setCompleter(completer)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        self.setFocusProxy(self.combo)
        self.combo.lineEdit().textEdited.connect(lambda _t: self.emit_edit(True))
        self.combo.activated.connect(lambda _i: self.emit_edit(False))
        completer.activated.connect(lambda _t: self.emit_edit(False))
        # A new list of names resets the combo's text: keep what the user sees.
        self._kept: tuple[str, int] | None = None
        names.modelAboutToBeReset.connect(self._keep_text)
        names.modelReset.connect(self._restore_text)

    def _keep_text(self) -> None:
        edit = self.combo.lineEdit()
        self._kept = (edit.text(), edit.cursorPosition())

    def _restore_text(self) -> None:
        if self._kept is not None:
            text, caret = self._kept
            self._kept = None
            with self.loading():
                self._set_text(text)
                self.combo.lineEdit().setCursorPosition(caret)

    def _set_text(self, text: str) -> None:
        index = self.combo.findText(text, Qt.MatchFlag.MatchExactly)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        else:
            self.combo.setCurrentIndex(-1)
        self.combo.setEditText(text)

    def value(self) -> str:
        return self.combo.currentText().strip()

    def set_value(self, value: object) -> None:
        text = value if isinstance(value, str) else ""
        if text != self.value() or text != self.combo.currentText():
            with self.loading():
                self._set_text(text)
        self.refresh_problem()

    def refresh_problem(self) -> None:
        set_invalid(self.combo, None if self.value() else "Type or choose an event name")
