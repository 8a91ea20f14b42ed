"""The backtest's window: all of the store's history, or whole UTC days from one date to another.

A widget of its own so the Results dock only hears "the window is now this"
(:attr:`WindowPicker.windowChanged`, as the engine takes it: ``(from_ms, to_ms)``
with ``None`` ends for all history) and never handles date edits itself.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QCheckBox, QDateEdit, QHBoxLayout, QLabel, QWidget

from designer.ui.backtest.store_panel import StoreInfo

Window = tuple[int | None, int | None]


def _ms(day: QDate) -> int:
    d = date(day.year(), day.month(), day.day())
    return int(datetime.combine(d, time(0), timezone.utc).timestamp() * 1000)


def _qdate(ms: int) -> QDate:
    d = datetime.fromtimestamp(ms / 1000, timezone.utc).date()
    return QDate(d.year, d.month, d.day)


class WindowPicker(QWidget):
    """"All history" or a from/to pair of days (the last day included), bounded by the store's history."""

    #: The window changed: ``(from_ms, to_ms)``, ``(None, None)`` for all history.
    windowChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.all_history = QCheckBox("All history")
        self.all_history.setChecked(True)
        self.all_history.setToolTip("Replay the store's whole history, or only the days chosen")
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setEnabled(False)
            edit.dateChanged.connect(self._changed)
        self.date_from.setToolTip("First day of the window (UTC): journeys start from this day on")
        self.date_to.setToolTip("Last day of the window (UTC), included")
        self.all_history.toggled.connect(self._changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(QLabel("Window:"))
        layout.addWidget(self.all_history)
        layout.addWidget(self.date_from)
        layout.addWidget(QLabel("to"))
        layout.addWidget(self.date_to)

    def set_store(self, info: StoreInfo | None) -> None:
        """Bound the date pickers by the store's history; keep "all history" as chosen."""
        if info is None or info.first_event is None or info.last_event is None:
            return
        first, last = _qdate(info.first_event), _qdate(info.last_event)
        for edit in (self.date_from, self.date_to):
            edit.blockSignals(True)
            edit.setDateRange(first, last)
        self.date_from.setDate(first)
        self.date_to.setDate(last)
        for edit in (self.date_from, self.date_to):
            edit.blockSignals(False)
        self._changed()

    def span(self) -> Window:
        """(from_ms, to_ms) for the engine: None ends for all history, else whole UTC days.
        (Not ``window``: that is QWidget's top-level window, which dialogs parented here ask for.)"""
        if self.all_history.isChecked():
            return (None, None)
        lo, hi = self.date_from.date(), self.date_to.date()
        if hi < lo:
            lo, hi = hi, lo
        return (_ms(lo), _ms(hi.addDays(1)))

    def set_days(self, first: date | None, last: date | None) -> None:
        """Choose a window by days (None, None: all history), as the date pickers would."""
        if first is None or last is None:
            self.all_history.setChecked(True)
            return
        self.all_history.setChecked(False)
        self.date_from.setDate(QDate(first.year, first.month, first.day))
        self.date_to.setDate(QDate(last.year, last.month, last.day))

    def _changed(self, *_args) -> None:
        on = not self.all_history.isChecked()
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.windowChanged.emit(self.span())
