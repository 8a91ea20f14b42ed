"""Trace a customer: one customer's journeys through the flow as it is now, step by step.

Each step has its time on the customer's own clock (UTC on hover), its
journey, the step, what happened and why; clicking a step goes to its card.
A message sent links to it: clicking "Open message" (or double-clicking the
row) shows it in the Content panel as that customer got it at that moment.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from designer.content.recipients import entry_times, message_of
from designer.model.kinds import KINDS
from designer.ui.backtest import numbers
from designer.ui.backtest.controller import BacktestController, Trace
from designer.ui.backtest.tables import NODE_ROLE
from designer.ui.content.moments import mark_message, message_of_row

#: The column with the link to a sent message.
MESSAGE_COLUMN = 5


class TraceView(QWidget):
    nodeActivated = Signal(str)
    #: A message of the trace was opened (a :class:`~designer.content.recipients.MessageMoment`).
    messageActivated = Signal(object)

    def __init__(self, controller: BacktestController, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller, self.document = controller, document
        self.trace_input = QLineEdit()
        self.trace_input.setPlaceholderText("customer id, as imported (e.g. c000011)")
        self.trace_input.setClearButtonEnabled(True)
        self.trace_input.returnPressed.connect(self.run_trace)
        self.trace_button = QPushButton("Trace")
        self.trace_button.clicked.connect(self.run_trace)
        self.trace_status = QLabel("Type a customer id to see each of their journeys through the flow, step by step.")
        self.trace_status.setProperty("role", "muted")
        self.trace_tree = QTreeWidget()
        self.trace_tree.setHeaderLabels(["Time (the customer's zone)", "Journey", "Step", "What", "Why / detail",
                                         "Message"])
        self.trace_tree.setRootIsDecorated(False)
        self.trace_tree.setAlternatingRowColors(True)
        self.trace_tree.setUniformRowHeights(True)
        self.trace_tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.trace_tree.header().setStretchLastSection(True)
        self.trace_tree.itemClicked.connect(self._trace_clicked)
        self.trace_tree.itemActivated.connect(self._trace_activated)
        trace_row = QHBoxLayout()
        trace_row.addWidget(QLabel("Trace a customer:"))
        trace_row.addWidget(self.trace_input, 1)
        trace_row.addWidget(self.trace_button)
        trace_row.addWidget(self.trace_status, 2)
        trace_layout = QVBoxLayout(self)
        trace_layout.setContentsMargins(4, 4, 4, 4)
        trace_layout.addLayout(trace_row)
        trace_layout.addWidget(self.trace_tree, 1)

    def run_trace(self) -> None:
        customer = self.trace_input.text().strip()
        if not customer:
            self._trace_status("Type a customer id first.", "warning")
            return
        self.trace_tree.clear()
        self._trace_status(f"Replaying {customer}\u2026")
        self.trace_button.setEnabled(False)
        task = self.controller.trace(customer)
        task.on(finished=self.show_trace, failed=lambda text: self._trace_status(text, "error"),
                done=lambda: self.trace_button.setEnabled(True))

    def show_trace(self, trace: Trace) -> None:
        self.trace_tree.clear()
        flow = trace.flow
        if not trace.steps:
            self._trace_status(f"{trace.customer} started no journey between "
                               f"{numbers.moment(trace.window_from)} and {numbers.moment(trace.window_to)} "
                               "(no matching trigger event).", "warning")
            return
        rows = []
        journeys = set()
        entries = entry_times(trace.steps)
        for step in trace.steps:
            node = flow.nodes.get(step.node) if step.node else None
            spec = KINDS.get(node.kind) if node is not None else None
            where = f"{step.node} {spec.label}" if spec else (step.node or "")
            journey = str(step.journey + 1) if step.journey >= 0 else "\u2013"
            if step.journey >= 0:
                journeys.add(step.journey)
            row = QTreeWidgetItem([numbers.local_moment(step.time, trace.timezone), journey, where, step.what,
                                   step.detail])
            row.setData(0, NODE_ROLE, step.node)
            row.setToolTip(0, numbers.moment(step.time))
            row.setToolTip(4, step.detail)
            message = message_of(step, trace.customer, entries)
            if message is not None:
                mark_message(row, MESSAGE_COLUMN, message, trace.timezone)
            rows.append(row)
        self.trace_tree.addTopLevelItems(rows)
        n = len(journeys)
        zone = trace.timezone or "UTC (the store has no time zone for them)"
        self._trace_status(f"{trace.customer}: {n} journey{'s' * (n != 1)}, {len(rows)} steps, times in {zone} "
                           "(UTC on hover; click a step to find it on the canvas, \"Open message\" to see what they got).")

    def trace_rows(self) -> list[tuple[str, str, str, str, str]]:
        out = []
        for i in range(self.trace_tree.topLevelItemCount()):
            row = self.trace_tree.topLevelItem(i)
            out.append(tuple(row.text(c) for c in range(5)))
        return out

    def _trace_status(self, text: str, tone: str = "muted") -> None:
        self.trace_status.setText(text)
        if self.trace_status.property("role") != tone:
            self.trace_status.setProperty("role", tone)
            self.trace_status.style().unpolish(self.trace_status)
            self.trace_status.style().polish(self.trace_status)

    def _trace_clicked(self, row: QTreeWidgetItem, column: int = 0) -> None:
        message = message_of_row(row)
        if message is not None and column == MESSAGE_COLUMN:
            self.messageActivated.emit(message)
            return
        node = row.data(0, NODE_ROLE)
        if node and node in self.document.flow.nodes:
            self.nodeActivated.emit(node)

    def _trace_activated(self, row: QTreeWidgetItem, column: int = 0) -> None:
        """Enter or a double click: a message opens, any other step goes to its card."""
        message = message_of_row(row)
        if message is not None:
            self.messageActivated.emit(message)
        else:
            self._trace_clicked(row, column)
