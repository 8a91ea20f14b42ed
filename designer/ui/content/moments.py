"""Which moment the Content panel previews: the "recipient from the last backtest" button, and the
line under the customer picker that says whose message it is and as at when.

The button previews the send for a customer who really got its message in the
window's last backtest, at the moment it went. Enabled only when there is
such a backtest and it sent that node's message to someone; otherwise its
tooltip says why. Finding the customer traces candidates again with the
run's own flow (:func:`designer.content.recipients.random_recipient`), so it
runs in the background, on a pool of its own (a preview never waits for it).
"""

from __future__ import annotations

import random

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QTreeWidgetItem, QWidget

from designer.content.recipients import MessageMoment, NoRecipient, random_recipient
from designer.store.db import StoreError, open_store
from designer.ui.backtest import numbers
from designer.ui.backtest.worker import Task, TaskFailed, Workers

LABEL = "Recipient from backtest"
#: Where a trace row keeps the message it stands for (a :class:`MessageMoment`).
MESSAGE_ROLE = Qt.ItemDataRole.UserRole + 7
OPEN_MESSAGE = "Open message \u2197"


def mark_message(item: QTreeWidgetItem, column: int, moment: MessageMoment, zone: str | None) -> None:
    """Make a trace row a link to its message: ``column`` reads "Open message", styled as a link."""
    item.setData(0, MESSAGE_ROLE, moment)
    item.setText(column, OPEN_MESSAGE)
    font = item.font(column)
    font.setUnderline(True)
    item.setFont(column, font)
    item.setForeground(column, QApplication.palette().link())
    item.setToolTip(column, f"Show the message {moment.customer} got at {numbers.local_moment(moment.at, zone)} "
                            "in the Content panel (click here, or double-click the row)")


def message_of_row(item: QTreeWidgetItem | None) -> MessageMoment | None:
    """The message a trace row links to (None: the row is no message)."""
    return item.data(0, MESSAGE_ROLE) if item is not None else None


class RecipientButton(QPushButton):
    #: A recipient was found: the :class:`MessageMoment` of the message they got.
    picked = Signal(object)
    #: The search found nobody or could not run (the reason, in words).
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(LABEL, parent)
        self.setObjectName("contentRecipient")
        self.backtest = None
        self.node_id: str | None = None
        #: The random order customers are tried in (tests seed it).
        self.rng = random.Random()
        self.workers = Workers(self, threads=1)
        self.task: Task | None = None
        self.clicked.connect(self.pick)
        self.refresh()

    def set_backtest(self, controller) -> None:
        """Follow the window's backtest (a :class:`~designer.ui.backtest.controller.BacktestController`)."""
        self.backtest = controller
        # Bound methods, not lambdas: Qt drops these connections when the button goes.
        controller.finished.connect(self._backtest_changed)
        controller.cleared.connect(self._backtest_changed)
        controller.store.changed.connect(self._backtest_changed)
        self.refresh()

    def _backtest_changed(self, *_args) -> None:
        self.refresh()

    def set_node(self, node_id: str | None) -> None:
        if node_id != self.node_id and self.task is not None:
            self.task.cancel()
        self.node_id = node_id
        self.refresh()

    def reason(self) -> str | None:
        """Why there is no recipient to pick now, or None."""
        if self.node_id is None:
            return "Select a send first"
        result = self.backtest.result if self.backtest is not None else None
        if result is None:
            return "Run a backtest first (F5): this then picks a customer who got this message in it"
        if result.run_id is None or self.backtest.key is None:
            return "The last backtest was not kept in the store, so its recipients cannot be looked up"
        if self.backtest.store.path != self.backtest.key.store:
            return "The last backtest read another event store: run it again (F5) on this one"
        figures = result.nodes.get(self.node_id)
        if figures is None:
            return f"{self.node_id} was not in the flow when the last backtest ran"
        if figures.messages == 0:
            return f"Nobody got {self.node_id}'s message in the last backtest (run {result.run_id})"
        return None

    def refresh(self) -> None:
        reason = self.reason()
        searching = self.task is not None
        self.setEnabled(reason is None and not searching)
        self.setText("Finding a recipient\u2026" if searching else LABEL)
        if reason is not None:
            self.setToolTip(reason)
            return
        f, run = self.backtest.result.nodes[self.node_id], self.backtest.result.run_id
        self.setToolTip(f"Preview for a random customer who got this message in the last backtest (run {run}: "
                        f"{numbers.count(f.messages)} messages to {numbers.count(f.recipients)} customers), "
                        "as it was when it went")

    def pick(self) -> Task | None:
        """Find a random recipient in the background; ``picked`` carries them."""
        if self.reason() is not None or self.task is not None:
            return None
        store, run_id, node_id = self.backtest.key.store, self.backtest.result.run_id, self.node_id
        recipients = self.backtest.result.nodes[node_id].recipients
        rng = random.Random(self.rng.random())

        def work(_report, cancel) -> MessageMoment:
            try:
                engine = open_store(store)
            except StoreError as exc:
                raise TaskFailed(str(exc)) from None
            try:
                return random_recipient(engine, run_id, node_id, rng=rng, cancelled=cancel.is_set,
                                        recipients=recipients)
            except NoRecipient as exc:
                raise TaskFailed(str(exc)) from None
            finally:
                engine.dispose()

        task = Task("recipient", work)
        self.task = task

        def finished(moment: MessageMoment) -> None:
            if moment.node == self.node_id:
                self.picked.emit(moment)

        def done() -> None:
            if self.task is task:
                self.task = None
            self.refresh()

        self.workers.start(task.on(finished=finished, failed=self.failed.emit, done=done))
        self.refresh()
        return task

    def release(self) -> None:
        """Stop a search (window closing)."""
        self.workers.shutdown()


class MomentLine(QLabel):
    """"c000011 as this message reached them: 2025-03-03 11:00 WET, journey 1 of run 4 (... UTC)"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setObjectName("contentMoment")
        self.setProperty("role", "muted")
        self.setWordWrap(True)
        self.setVisible(False)

    def describe(self, customer: str | None, at: int | None, zone: str | None,
                 moment: MessageMoment | None) -> None:
        """Say what a render showed: ``moment`` when it rendered that message, else the usual moment."""
        if customer is None or at is None:
            self.note("")
            return
        when = numbers.local_moment(at, zone)
        if moment is not None and moment.at == at:
            journey = f", journey {moment.journey + 1}" if moment.journey >= 0 else ""
            run = f" of run {moment.run_id}" if moment.run_id is not None else ""
            self.note(f"{customer} as this message reached them: {when}{journey}{run} ({numbers.moment(at)})")
        else:
            self.note(f"{customer} at {when}, an hour after their latest trigger event")

    def note(self, text: str, tone: str = "muted") -> None:
        self.setText(text)
        self.setVisible(bool(text))
        if self.property("role") != tone:
            self.setProperty("role", tone)
            self.style().unpolish(self)
            self.style().polish(self)
