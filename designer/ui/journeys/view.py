"""The Journeys view: one customer's events and every journey of theirs, step by step, with reasons.

Search a customer by id or email in the open store; the view backtests the
flow for that customer alone (the engine's trace: the same run as the
backtest, one customer) and lists their events on a timeline and each
journey's steps with times in the customer's own zone (UTC in the tooltip)
and why each decision went the way it did. Selecting a journey lights its
path on the canvas; each message sent links to it ("Open message", or a double
click): the Content panel shows it as that customer got it at that moment.
"Save as Test" turns what happened into a case of the
flow's tests, so a later change that alters it shows up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QPushButton, QSplitter,
                               QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from designer.content.recipients import entry_times, message_of
from designer.engine import clock
from designer.engine.figures import TraceStep
from designer.engine.flowtests import Journey, case_from_trace, journeys_from_trace
from designer.engine.simulate import SimulationError, simulate
from designer.model import io
from designer.store.db import StoreError, open_store
from designer.store.lookup import CustomerRecord, EventRecord, customer, customer_events, find_customers
from designer.ui.backtest.worker import Task, TaskFailed, Workers
from designer.ui.content.moments import mark_message, message_of_row
from designer.ui.document import Document
from designer.ui.pathlight import PathLight
from designer.ui.scene import FlowScene


@dataclass(frozen=True)
class CustomerStory:
    profile: CustomerRecord
    events: list[EventRecord]
    trace: list[TraceStep]
    journeys: list[Journey]
    window: tuple[int, int]


def local_text(ms: int, zone_name: str | None) -> str:
    """The moment in the customer's zone, with the zone's abbreviation: 2025-03-03 11:00 WET."""
    tz = clock.customer_zone(zone_name, None)
    dt = datetime.fromtimestamp(ms / 1000, timezone.utc).astimezone(tz)
    return dt.strftime("%Y-%m-%d %H:%M ") + (dt.tzname() or "UTC")


def read_story(store: str, flow_json: dict, external_id: str) -> CustomerStory:
    """Off the GUI thread: the customer's profile, events and traced journeys."""
    try:
        engine = open_store(store)
    except StoreError as exc:
        raise TaskFailed(str(exc)) from None
    try:
        profile = customer(engine, external_id)
        if profile is None:
            raise TaskFailed(f"no customer {external_id!r} in the store")
        try:
            result = simulate(io.from_json(flow_json), engine, trace_customer=external_id, workers=1, save=False)
        except SimulationError as exc:
            raise TaskFailed(str(exc)) from None
        trace = result.trace or []
        history = customer_events(engine, external_id, until=result.window_to)
        return CustomerStory(profile, history, trace, journeys_from_trace(trace),
                             (result.window_from, result.window_to))
    finally:
        engine.dispose()


#: The steps' column with the link to a sent message.
MESSAGE_COLUMN = 4


class JourneysView(QWidget):
    #: A test case made from the shown customer (the Tests panel adds it).
    caseCreated = Signal(dict)
    #: A message was opened (a :class:`~designer.content.recipients.MessageMoment`).
    messageActivated = Signal(object)

    def __init__(self, document: Document, scene: FlowScene, workers: Workers, store_path, parent=None) -> None:
        """``store_path``: a function giving the open store's path or URL (None when none is open)."""
        super().__init__(parent)
        self.document, self.workers, self.store_path = document, workers, store_path
        self.light = PathLight(scene)
        self.story: CustomerStory | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Customer id or email, then Enter")
        self.matches = QListWidget()
        self.header = QLabel("Find a customer to see their journeys.")
        self.header.setWordWrap(True)
        self.save_button = QPushButton("Save as Test")
        self.save_button.setEnabled(False)
        self.timeline = QTreeWidget()
        self.timeline.setHeaderLabels(["Time (customer's zone)", "Event", "Properties"])
        self.steps = QTreeWidget()
        self.steps.setHeaderLabels(["Time (customer's zone)", "Step", "What", "Why", "Message"])
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.search)
        ll.addWidget(self.matches)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.header, 1)
        head.addWidget(self.save_button)
        rl.addLayout(head)
        inner = QSplitter(Qt.Orientation.Vertical)
        inner.addWidget(self.steps)
        inner.addWidget(self.timeline)
        rl.addWidget(inner, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        QVBoxLayout(self).addWidget(split)
        self.search.returnPressed.connect(self.find)
        self.matches.itemActivated.connect(lambda item: self.show_customer(item.data(Qt.ItemDataRole.UserRole)))
        self.matches.itemClicked.connect(lambda item: self.show_customer(item.data(Qt.ItemDataRole.UserRole)))
        self.steps.currentItemChanged.connect(lambda cur, _prev: self._light(cur))
        self.steps.itemClicked.connect(self._step_clicked)
        self.steps.itemActivated.connect(lambda item, _column: self._open_message(item))
        self.save_button.clicked.connect(self.save_as_test)
        document.changed.connect(self.light.clear)  # an edited flow is not the one traced

    def sizeHint(self) -> QSize:
        """Small, like the other bottom docks: a dock's hint sets the height of the whole dock area."""
        return QSize(640, 160)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 90)

    # -- search -----------------------------------------------------------------
    def find(self) -> Task | None:
        store, text = self.store_path(), self.search.text()
        if not store:
            self.header.setText("Open an event store first (File > Open Event Store).")
            return None

        def work(_p, _c) -> list[CustomerRecord]:
            try:
                engine = open_store(store)
            except StoreError as exc:
                raise TaskFailed(str(exc)) from None
            try:
                return find_customers(engine, text)
            finally:
                engine.dispose()

        return self.workers.start(Task("find customers", work).on(finished=self._found, failed=self.header.setText))

    def _found(self, found: list[CustomerRecord]) -> None:
        self.matches.clear()
        for c in found:
            item = QListWidgetItem(c.external_id + (f"  {c.email}" if c.email else ""))
            item.setData(Qt.ItemDataRole.UserRole, c.external_id)
            self.matches.addItem(item)
        if not found:
            self.header.setText(f"No customer matches {self.search.text()!r}.")
        elif len(found) == 1:
            self.show_customer(found[0].external_id)

    # -- one customer ---------------------------------------------------------------
    def show_customer(self, external_id: str) -> Task | None:
        store = self.store_path()
        if not store:
            return None
        flow_json = io.to_json(self.document.flow)
        self.header.setText(f"Reading {external_id}\u2026")
        task = Task("trace customer", lambda _p, _c: read_story(store, flow_json, external_id))
        return self.workers.start(task.on(finished=self._show, failed=self.header.setText))

    def _show(self, story: CustomerStory) -> None:
        self.story = story
        p, zone = story.profile, story.profile.timezone
        self.header.setText(f"{p.external_id}" + (f" \u00b7 {p.email}" if p.email else "")
                            + f" \u00b7 times in {zone or 'UTC'} \u00b7 {len(story.journeys)} journeys in "
                            f"{self.document.flow.name}")
        self.timeline.clear()
        for e in story.events:
            row = QTreeWidgetItem([local_text(e.time, zone), e.name,
                                   ", ".join(f"{k}={v}" for k, v in sorted(e.properties.items()))])
            row.setToolTip(0, clock.iso(e.time))
            self.timeline.addTopLevelItem(row)
        self.steps.clear()
        entries = entry_times(story.trace)
        for j in story.journeys:
            top = QTreeWidgetItem([local_text(j.steps[0].time, zone) if j.steps else "", f"journey {j.number}",
                                   " \u2192 ".join(j.visits), f"ended at {j.ends_at}" if j.ends_at else ""])
            top.setData(0, Qt.ItemDataRole.UserRole, j.number)
            for s in j.steps:
                child = QTreeWidgetItem([local_text(s.time, zone), s.node or "", s.what, s.detail])
                child.setToolTip(0, clock.iso(s.time))
                child.setData(0, Qt.ItemDataRole.UserRole, j.number)
                message = message_of(s, p.external_id, entries)
                if message is not None:
                    mark_message(child, MESSAGE_COLUMN, message, zone)
                top.addChild(child)
            self.steps.addTopLevelItem(top)
            top.setExpanded(True)
        self.save_button.setEnabled(bool(story.journeys))
        if story.journeys:
            self.steps.setCurrentItem(self.steps.topLevelItem(0))
        else:
            self.light.clear()

    def _light(self, item: QTreeWidgetItem | None) -> None:
        if item is None or self.story is None:
            return
        number = item.data(0, Qt.ItemDataRole.UserRole)
        journey = next((j for j in self.story.journeys if j.number == number), None)
        if journey is not None:
            self.light.show(journey.visits, "success")

    def _step_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        if column == MESSAGE_COLUMN:
            self._open_message(item)

    def _open_message(self, item: QTreeWidgetItem) -> None:
        message = message_of_row(item)
        if message is not None:
            self.messageActivated.emit(message)

    def save_as_test(self) -> dict | None:
        if self.story is None:
            return None
        p = self.story.profile
        profile = {"id": p.external_id, "email": p.email, "first_name": p.first_name, "timezone": p.timezone,
                   "consent": p.consent, "properties": p.properties}
        history = [(e.name, e.time, e.properties) for e in self.story.events]
        case = case_from_trace(f"{p.external_id} as in the backtest", profile, history, self.story.trace,
                               self.story.window)
        self.caseCreated.emit(case)
        return case
