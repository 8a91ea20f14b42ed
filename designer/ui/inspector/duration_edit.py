"""A time span as a number and a unit ("36 hours"), stored as ISO 8601 ("PT36H")."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QSizePolicy, QWidget

from designer.model import durations
from designer.ui.inspector.base import ValueEditor, set_invalid

#: The units offered, smallest first, with their length in seconds.
UNITS = (("minutes", 60), ("hours", 3600), ("days", 86400), ("weeks", 604800))
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def split_duration(iso: str) -> tuple[str, int]:
    """The number text and unit index that show ``iso`` best: the largest whole unit
    (weeks only when the text says weeks), else minutes with a fraction."""
    seconds = durations.parse_seconds(iso)
    allow_weeks = "W" in iso.upper()
    for index in range(len(UNITS) - 1, -1, -1):
        name, size = UNITS[index]
        if name == "weeks" and not allow_weeks:
            continue
        if seconds and seconds % size == 0:
            return str(int(seconds // size)), index
    if seconds == 0:
        return "0", 1
    return f"{seconds / 60:.6f}".rstrip("0").rstrip("."), 0


class DurationEdit(ValueEditor):
    """Number plus unit. A number that is not yet one (empty, ``1.``, ``0``) stays on
    screen framed red and is not committed."""

    def __init__(self, parent: QWidget | None = None, *, default: str = "PT1H") -> None:
        super().__init__(parent)
        self.number = QLineEdit()
        self.number.setPlaceholderText("number")
        self.number.setMaximumWidth(90)
        self.number.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.unit = QComboBox()
        for name, _size in UNITS:
            self.unit.addItem(name)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.number)
        layout.addWidget(self.unit)
        layout.addStretch(1)
        self.setFocusProxy(self.number)
        self.number.textEdited.connect(lambda _t: self.emit_edit(True))
        self.unit.activated.connect(lambda _i: self.emit_edit(False))
        self.set_value(default)

    def problem(self) -> str | None:
        text = self.number.text().strip()
        if not text:
            return "Enter a number"
        if not _NUMBER.match(text):
            return f"{text!r} is not a number; use digits, e.g. 2 or 1.5"
        if float(text) <= 0:
            return "Enter a time longer than zero"
        return None

    def refresh_problem(self) -> None:
        set_invalid(self.number, self.problem())

    def value(self) -> str | None:
        if self.problem() is not None:
            return None
        seconds = float(self.number.text().strip()) * UNITS[self.unit.currentIndex()][1]
        return durations.to_iso(seconds)

    def set_value(self, value: object) -> None:
        if value is not None and value == self.value():
            return
        with self.loading():
            if isinstance(value, str) and durations.is_valid(value):
                number, unit = split_duration(value)
                self.number.setText(number)
                self.unit.setCurrentIndex(unit)
            else:
                self.number.setText("")
        self.refresh_problem()


class OptionalDurationEdit(ValueEditor):
    """A duration that may be left out: a checkbox ("Wait") and the number and unit.

    Value: the ISO text, or None when unticked (the field is then removed from the config).
    """

    def __init__(self, parent: QWidget | None = None, *, caption: str = "Wait", default: str = "PT1H") -> None:
        super().__init__(parent)
        self.on = QCheckBox(caption)
        self.duration = DurationEdit(default=default)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.on)
        layout.addWidget(self.duration, 1)
        self.setFocusProxy(self.duration)
        self.on.toggled.connect(self._toggled)
        self.duration.edited.connect(self.emit_edit)
        self._sync()

    def _sync(self) -> None:
        self.duration.setEnabled(self.on.isChecked())

    def _toggled(self, _on: bool) -> None:
        self._sync()
        self.emit_edit(False)

    def problem(self) -> str | None:
        return self.duration.problem() if self.on.isChecked() else None

    def refresh_problem(self) -> None:
        self.duration.refresh_problem()

    def value(self) -> str | None:
        return self.duration.value() if self.on.isChecked() else None

    def set_value(self, value: object) -> None:
        with self.loading():
            present = isinstance(value, str)
            self.on.setChecked(present)
            if present:
                self.duration.set_value(value)
            self._sync()
        self.refresh_problem()
