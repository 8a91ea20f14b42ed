"""The flow's own form, shown when no node is selected: its name and its settings.

Each section rebuilds one part of the frozen ``Settings`` (``settings.replace``)
and sends the whole to ``Document.set_settings``; keystrokes carry the merge
key ``"settings:<part>"`` so typing in one field is one undo step.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from PySide6.QtCore import QTime, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QCompleter, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
                               QTimeEdit, QVBoxLayout, QWidget)

from designer.model.settings import REENTRY_MODES, Consent, Conversion, QuietHours, Reentry, Settings
from designer.model.validate import Problem
from designer.ui.inspector.base import Loading, label, set_invalid, show_messages
from designer.ui.inspector.condition_builder import ConditionBuilder
from designer.ui.inspector.duration_edit import DurationEdit
from designer.ui.inspector.event_combo import EventCombo, EventNames

REENTRY_LABELS = {"always": "Every time they qualify", "never": "Only once, ever",
                  "cooldown": "Again after a cooldown"}
DEFAULT_EXIT = {"event": "purchase", "since": "flow_start"}
#: Marker a part builder returns when its input cannot be committed yet.
BLOCKED: Any = object()


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def _time(text: str) -> QTime:
    return QTime.fromString(text, "HH:mm")


class SettingsForm(Loading, QWidget):
    def __init__(self, document, events: EventNames, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.notes: dict[str, QLabel] = {}
        self.general = label("", "error", wrap=True)
        self.general.hide()
        layout.addWidget(self.general)

        # Name
        self.name = QLineEdit()
        self.name.setPlaceholderText("flow name")
        self._section(layout, "name", "Name", self.name)

        # Re-entry
        self.reentry_mode = QComboBox()
        for mode in REENTRY_MODES:
            self.reentry_mode.addItem(REENTRY_LABELS[mode], mode)
        self.cooldown = DurationEdit(default="P7D")
        self.cooldown_row = self._labelled("Cooldown", self.cooldown)
        self._section(layout, "reentry", "Customers may enter", self.reentry_mode, self.cooldown_row)

        # Exit condition
        self.exit_on = QCheckBox("Leave the flow as soon as this is true")
        self.exit_when = ConditionBuilder(events)
        self._section(layout, "exit_when", "Exit condition", self.exit_on, self.exit_when,
                      help="Checked before every step (a flow filter).")

        # Smart sending
        self.smart_on = QCheckBox("Skip a send to anyone messaged within")
        self.smart_window = DurationEdit(default="PT16H")
        self._section(layout, "smart_sending", "Smart sending", self.smart_on, self.smart_window,
                      help="Counts messages from every flow and campaign.")

        # Quiet hours
        self.quiet_on = QCheckBox("Hold sends during quiet hours")
        self.quiet_start, self.quiet_end = QTimeEdit(_time("21:00")), QTimeEdit(_time("08:00"))
        for edit in (self.quiet_start, self.quiet_end):
            edit.setDisplayFormat("HH:mm")
        hours = QWidget()
        row = QHBoxLayout(hours)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label("From"))
        row.addWidget(self.quiet_start)
        row.addWidget(label("to"))
        row.addWidget(self.quiet_end)
        row.addStretch(1)
        self.quiet_hours = hours
        self._section(layout, "quiet_hours", "Quiet hours", self.quiet_on, hours, help="In the customer's local time.")

        # Conversion goal
        self.goal_event = EventCombo(events)
        self.goal_value = QLineEdit()
        self.goal_value.setPlaceholderText("none: count conversions only")
        self.goal_window = DurationEdit(default="P5D")
        goal = QWidget()
        form = QFormLayout(goal)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Event", self.goal_event)
        form.addRow("Value property", self.goal_value)
        form.addRow("Within", self.goal_window)
        self._section(layout, "conversion", "Conversion goal", goal)

        # Consent
        self.consent_on = QCheckBox("Send marketing only to customers who agreed")
        self.consent_property = QLineEdit()
        self.consent_property.setPlaceholderText("profile property, e.g. email_consent")
        self.consent_sms = QLineEdit()
        self.consent_sms.setPlaceholderText("same as email")
        consent = QWidget()
        form = QFormLayout(consent)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Property", self.consent_property)
        form.addRow("SMS property", self.consent_sms)
        self.consent_fields = consent
        self._section(layout, "consent", "Consent", self.consent_on, consent)

        # Timezone fallback
        self.timezone = QComboBox()
        self.timezone.setEditable(True)
        self.timezone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.timezone.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.timezone.setMinimumContentsLength(12)
        self.timezone.addItems(list(timezone_names()))
        completer = QCompleter(list(timezone_names()), self.timezone)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.timezone.setCompleter(completer)
        self._section(layout, "timezone", "Timezone fallback", self.timezone,
                      help="For customers whose own timezone is unknown.")
        layout.addStretch(1)

        self._connect()
        self._shown: tuple[str, Settings] | None = None
        self.refresh()

    # -- layout helpers ----------------------------------------------------------
    def _section(self, layout: QVBoxLayout, part: str, title: str, *widgets: QWidget, help: str = "") -> None:
        layout.addSpacing(8)
        layout.addWidget(label(title, "section"))
        for widget in widgets:
            layout.addWidget(widget)
        if help:
            layout.addWidget(label(help, "muted", wrap=True))
        note = label("", "warning", wrap=True)
        note.hide()
        layout.addWidget(note)
        self.notes[part] = note

    def show_problems(self, problems: list[Problem]) -> None:
        """The flow's own problems (no node): under the setting they name, else at the top."""
        by_part: dict[str, list[Problem]] = {}
        general: list[Problem] = []
        for problem in problems:
            if problem.node is not None:
                continue
            path = problem.path or ""
            part = path.split(".")[1] if path.startswith("settings.") else ""
            (by_part.setdefault(part, []) if part in self.notes else general).append(problem)
        for part, note in self.notes.items():
            show_messages(note, by_part.get(part, []))
        show_messages(self.general, general, bullets=True)

    def _labelled(self, text: str, widget: QWidget) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label(text))
        row.addWidget(widget, 1)
        return box

    # -- edits -------------------------------------------------------------------
    def _connect(self) -> None:
        def on(part: str, typing: bool) -> Callable[..., None]:
            return lambda *_args: self._edited(part, typing)

        self.name.textEdited.connect(on("name", True))
        self.reentry_mode.activated.connect(on("reentry", False))
        self.cooldown.edited.connect(lambda typing: self._edited("reentry", typing))
        self.exit_on.toggled.connect(self._exit_toggled)
        self.exit_when.edited.connect(lambda typing: self._edited("exit_when", typing))
        self.smart_on.toggled.connect(on("smart_sending", False))
        self.smart_window.edited.connect(lambda typing: self._edited("smart_sending", typing))
        self.quiet_on.toggled.connect(on("quiet_hours", False))
        self.quiet_start.timeChanged.connect(on("quiet_hours", True))
        self.quiet_end.timeChanged.connect(on("quiet_hours", True))
        self.goal_event.edited.connect(lambda typing: self._edited("conversion", typing))
        self.goal_value.textEdited.connect(on("conversion", True))
        self.goal_window.edited.connect(lambda typing: self._edited("conversion", typing))
        self.consent_on.toggled.connect(on("consent", False))
        self.consent_property.textEdited.connect(on("consent", True))
        self.consent_sms.textEdited.connect(on("consent", True))
        self.timezone.lineEdit().textEdited.connect(on("timezone", True))
        self.timezone.activated.connect(on("timezone", False))

    def _exit_toggled(self, on: bool) -> None:
        if on and not self.exit_when.rows_count() and not self._loading:
            self.exit_when.set_value(DEFAULT_EXIT)
        self._edited("exit_when", False)

    def _edited(self, part: str, typing: bool) -> None:
        if self._loading:
            return
        self._sync_enabled()
        value = getattr(self, f"_read_{part}")()
        self._mark()
        if value is BLOCKED:
            return
        merge_key = f"settings:{part}" if typing else None
        if part == "name":
            self._shown = (value, self.document.flow.settings)
            self.document.set_name(value, merge_key="name" if typing else None)
            return
        settings = self.document.flow.settings.replace(**{part: value})
        self._shown = (self.document.flow.name, settings)
        self.document.set_settings(settings, merge_key=merge_key)

    def _read_name(self) -> Any:
        text = self.name.text().strip()
        return text if text else BLOCKED

    def _read_reentry(self) -> Any:
        mode = self.reentry_mode.currentData()
        if mode != "cooldown":
            return Reentry(mode, None)
        cooldown = self.cooldown.value()
        return BLOCKED if cooldown is None else Reentry("cooldown", cooldown)

    def _read_exit_when(self) -> Any:
        if not self.exit_on.isChecked():
            return None
        tree = self.exit_when.value()
        return BLOCKED if tree is None else tree

    def _read_smart_sending(self) -> Any:
        if not self.smart_on.isChecked():
            return None
        window = self.smart_window.value()
        return BLOCKED if window is None else window

    def _read_quiet_hours(self) -> Any:
        if not self.quiet_on.isChecked():
            return None
        return QuietHours(self.quiet_start.time().toString("HH:mm"), self.quiet_end.time().toString("HH:mm"))

    def _read_conversion(self) -> Any:
        event, window = self.goal_event.value(), self.goal_window.value()
        if not event or window is None:
            return BLOCKED
        return Conversion(event, self.goal_value.text().strip() or None, window)

    def _read_consent(self) -> Any:
        if not self.consent_on.isChecked():
            return None
        prop = self.consent_property.text().strip()
        return Consent(prop, self.consent_sms.text().strip() or None) if prop else BLOCKED

    def _read_timezone(self) -> Any:
        text = self.timezone.currentText().strip()
        zones = timezone_names()
        return text if text and (not zones or text in zones) else BLOCKED

    def _mark(self) -> None:
        """Red frames on what cannot be committed yet."""
        set_invalid(self.name, None if self.name.text().strip() else "Give the flow a name")
        consent_bad = self.consent_on.isChecked() and not self.consent_property.text().strip()
        set_invalid(self.consent_property, "Enter the profile property that holds consent" if consent_bad else None)
        zone_ok = self._read_timezone() is not BLOCKED
        set_invalid(self.timezone, None if zone_ok else "Choose an IANA timezone such as Europe/Berlin")
        for edit in (self.cooldown, self.smart_window, self.goal_window):
            edit.refresh_problem()

    def _sync_enabled(self) -> None:
        self.cooldown_row.setVisible(self.reentry_mode.currentData() == "cooldown")
        self.exit_when.setVisible(self.exit_on.isChecked())
        self.smart_window.setEnabled(self.smart_on.isChecked())
        self.quiet_hours.setEnabled(self.quiet_on.isChecked())
        self.consent_fields.setEnabled(self.consent_on.isChecked())

    # -- loading -----------------------------------------------------------------
    def refresh(self) -> None:
        """Show the model's name and settings, unless they are what this form last wrote."""
        flow = self.document.flow
        shown = (flow.name, flow.settings)
        if shown == self._shown:
            return
        s: Settings = flow.settings
        with self.loading():
            if self.name.text() != flow.name:
                self.name.setText(flow.name)
            self.reentry_mode.setCurrentIndex(max(0, self.reentry_mode.findData(s.reentry.mode)))
            if s.reentry.cooldown:
                self.cooldown.set_value(s.reentry.cooldown)
            self.exit_on.setChecked(s.exit_when is not None)
            self.exit_when.set_value(s.exit_when)
            self.smart_on.setChecked(bool(s.smart_sending))
            if s.smart_sending:
                self.smart_window.set_value(s.smart_sending)
            self.quiet_on.setChecked(s.quiet_hours is not None)
            if s.quiet_hours is not None:
                self.quiet_start.setTime(_time(s.quiet_hours.start))
                self.quiet_end.setTime(_time(s.quiet_hours.end))
            self.goal_event.set_value(s.conversion.event)
            if self.goal_value.text() != (s.conversion.value or ""):
                self.goal_value.setText(s.conversion.value or "")
            self.goal_window.set_value(s.conversion.window)
            self.consent_on.setChecked(s.consent is not None)
            if s.consent is not None:
                if self.consent_property.text() != s.consent.property:
                    self.consent_property.setText(s.consent.property)
                if self.consent_sms.text() != (s.consent.sms_property or ""):
                    self.consent_sms.setText(s.consent.sms_property or "")
            if self.timezone.currentText() != s.timezone:
                self.timezone.setEditText(s.timezone)
        self._sync_enabled()
        self._mark()
        self._shown = shown
