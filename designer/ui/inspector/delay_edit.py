"""A delay's "then until": a local time of day and/or weekdays, after the delay's own wait.

The delay kind has two fields, ``duration`` and ``until`` (both may be set:
"wait 3 days, then until 10:00"); this editor owns ``until`` only, so editing
it never touches the duration.
"""

from __future__ import annotations

from PySide6.QtCore import QTime
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QTimeEdit, QToolButton, QVBoxLayout, QWidget

from designer.model.kinds import WEEKDAYS
from designer.ui.inspector.base import ValueEditor, label, set_invalid

DEFAULT_UNTIL_TIME = "09:00"


class UntilEdit(ValueEditor):
    """Value: ``{"time"?: "HH:MM", "weekdays"?: [...]}``, or None when unticked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.on = QCheckBox("Then wait until a time of day")
        self.at = QCheckBox("At")
        self.at.setChecked(True)
        self.time = QTimeEdit(QTime.fromString(DEFAULT_UNTIL_TIME, "HH:mm"))
        self.time.setDisplayFormat("HH:mm")
        self.days: dict[str, QToolButton] = {}
        days_row = QHBoxLayout()
        days_row.setSpacing(3)
        for day in WEEKDAYS:
            button = QToolButton()
            button.setText(day.capitalize())
            button.setCheckable(True)
            button.setProperty("role", "weekday")
            button.setToolTip(f"Only release people on {day.capitalize()}")
            button.toggled.connect(lambda _on: self.emit_edit(False))
            self.days[day] = button
            days_row.addWidget(button)
        days_row.addStretch(1)
        days_row.setContentsMargins(0, 0, 0, 0)
        self.days_box = QWidget()
        self.days_box.setLayout(days_row)
        time_row = QHBoxLayout()
        time_row.setContentsMargins(0, 0, 0, 0)
        time_row.addWidget(self.at)
        time_row.addWidget(self.time)
        time_row.addStretch(1)

        self.until_page = page = QWidget()
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addLayout(time_row)
        page_layout.addWidget(label("On (none chosen: any day)", "muted"))
        page_layout.addWidget(self.days_box)
        self.until_error = label("", "error")
        self.until_error.hide()
        page_layout.addWidget(self.until_error)
        page_layout.addWidget(label("In the customer's timezone; the flow's fallback when unknown.",
                                    "muted", wrap=True))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.on)
        layout.addWidget(page)

        self.on.toggled.connect(self._toggled)
        self.at.toggled.connect(self._toggled)
        self.time.timeChanged.connect(lambda _t: self.emit_edit(True))
        self._sync()

    def _sync(self) -> None:
        self.until_page.setVisible(self.on.isChecked())
        self.time.setEnabled(self.at.isChecked())

    def _toggled(self, _checked: bool) -> None:
        self._sync()
        self.emit_edit(False)

    def problem(self) -> str | None:
        if self.on.isChecked() and not self.at.isChecked() and not any(b.isChecked() for b in self.days.values()):
            return "Choose a time of day, weekdays, or both"
        return None

    def refresh_problem(self) -> None:
        problem = self.problem()
        set_invalid(self.days_box, problem)
        self.until_error.setText(problem or "")
        self.until_error.setVisible(problem is not None)

    def value(self) -> dict | None:
        if not self.on.isChecked() or self.problem() is not None:
            return None
        until: dict = {}
        if self.at.isChecked():
            until["time"] = self.time.time().toString("HH:mm")
        days = [d for d in WEEKDAYS if self.days[d].isChecked()]
        if days:
            until["weekdays"] = days
        return until

    def set_value(self, value: object) -> None:
        with self.loading():
            until = value if isinstance(value, dict) else None
            self.on.setChecked(until is not None)
            if until is not None:
                time = until.get("time")
                self.at.setChecked(isinstance(time, str))
                if isinstance(time, str) and QTime.fromString(time, "HH:mm").isValid():
                    self.time.setTime(QTime.fromString(time, "HH:mm"))
                days = until.get("weekdays") if isinstance(until.get("weekdays"), list) else []
                for day, button in self.days.items():
                    button.setChecked(day in days)
            self._sync()
        self.refresh_problem()
