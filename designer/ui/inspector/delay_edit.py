"""A delay: wait a set time, or wait until a local time of day and/or certain weekdays.

The delay kind keeps the first as ``{"duration": "PT1H"}`` and the second as
``{"until": {"time": "09:00", "weekdays": ["mon", ...]}}``; this editor owns
both keys, so switching mode removes the other one.
"""

from __future__ import annotations

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QHBoxLayout, QRadioButton, QTimeEdit,
                               QToolButton, QVBoxLayout, QWidget)

from designer.model.kinds import WEEKDAYS, Field
from designer.ui.inspector.base import ValueEditor, label, set_invalid
from designer.ui.inspector.duration_edit import DurationEdit

DEFAULT_UNTIL_TIME = "09:00"


class DelayEdit(ValueEditor):
    """Value: ``{"duration": ISO}`` or ``{"until": {"time"?, "weekdays"?}}``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.for_time = QRadioButton("A set time")
        self.until_time = QRadioButton("Until a time of day")
        self.for_time.setChecked(True)
        modes = QButtonGroup(self)
        modes.addButton(self.for_time)
        modes.addButton(self.until_time)
        self.duration = DurationEdit()

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
        self.days_box = QWidget()
        self.days_box.setLayout(days_row)
        days_row.setContentsMargins(0, 0, 0, 0)
        time_row = QHBoxLayout()
        time_row.setContentsMargins(0, 0, 0, 0)
        time_row.addWidget(self.at)
        time_row.addWidget(self.time)
        time_row.addStretch(1)

        # Two pages, one shown at a time; a hidden page takes no room, so the form
        # below moves up when the shorter one shows.
        self.until_page = until_page = QWidget()
        until_layout = QVBoxLayout(until_page)
        until_layout.setContentsMargins(0, 0, 0, 0)
        until_layout.addLayout(time_row)
        until_layout.addWidget(label("On (none chosen: any day)", "muted"))
        until_layout.addWidget(self.days_box)
        self.until_error = label("", "error")
        self.until_error.hide()
        until_layout.addWidget(self.until_error)
        until_layout.addWidget(label("In the customer's timezone; the flow's fallback when unknown.",
                                     "muted", wrap=True))

        mode_row = QHBoxLayout()
        mode_row.setContentsMargins(0, 0, 0, 0)
        mode_row.addWidget(self.for_time)
        mode_row.addWidget(self.until_time)
        mode_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(mode_row)
        layout.addWidget(self.duration)
        layout.addWidget(until_page)

        self.duration.edited.connect(self.emit_edit)
        self.for_time.toggled.connect(self._mode_changed)
        self.at.toggled.connect(self._at_toggled)
        self.time.timeChanged.connect(lambda _t: self.emit_edit(True))
        self._sync_pages()

    def _sync_pages(self) -> None:
        self.duration.setVisible(self.for_time.isChecked())
        self.until_page.setVisible(not self.for_time.isChecked())
        self.time.setEnabled(self.at.isChecked())

    def _mode_changed(self, _checked: bool) -> None:
        self._sync_pages()
        self.emit_edit(False)

    def _at_toggled(self, _checked: bool) -> None:
        self._sync_pages()
        self.emit_edit(False)

    def is_until(self) -> bool:
        return self.until_time.isChecked()

    def problem(self) -> str | None:
        if not self.is_until():
            return self.duration.problem()
        if not self.at.isChecked() and not any(b.isChecked() for b in self.days.values()):
            return "Choose a time of day, weekdays, or both"
        return None

    def refresh_problem(self) -> None:
        self.duration.refresh_problem()
        bad = self.is_until() and self.problem() is not None
        set_invalid(self.days_box, self.problem() if bad else None)
        self.until_error.setText(self.problem() if bad else "")
        self.until_error.setVisible(bad)

    def value(self) -> dict | None:
        if self.problem() is not None:
            return None
        if not self.is_until():
            return {"duration": self.duration.value()}
        until: dict = {}
        if self.at.isChecked():
            until["time"] = self.time.time().toString("HH:mm")
        days = [d for d in WEEKDAYS if self.days[d].isChecked()]
        if days:
            until["weekdays"] = days
        return {"until": until}

    def set_value(self, value: object) -> None:
        value = value if isinstance(value, dict) else {}
        if value and value == self.value():
            return
        with self.loading():
            until = value.get("until")
            if isinstance(until, dict):
                self.until_time.setChecked(True)
                time = until.get("time")
                self.at.setChecked(isinstance(time, str))
                if isinstance(time, str) and QTime.fromString(time, "HH:mm").isValid():
                    self.time.setTime(QTime.fromString(time, "HH:mm"))
                days = until.get("weekdays") if isinstance(until.get("weekdays"), list) else []
                for day, button in self.days.items():
                    button.setChecked(day in days)
            else:
                self.for_time.setChecked(True)
                self.duration.set_value(value.get("duration") or "PT1H")
            self._sync_pages()
        self.refresh_problem()

    # The delay field owns two config keys: "duration" and "until".
    def read(self, config: dict, field: Field) -> None:
        if config.get("until") is not None:
            self.set_value({"until": config["until"]})
        else:
            self.set_value({"duration": config.get(field.name)})

    def write(self, config: dict, field: Field) -> None:
        value = self.value() or {}
        config.pop(field.name, None)
        config.pop("until", None)
        if "until" in value:
            config["until"] = value["until"]
        else:
            config[field.name] = value.get("duration")
