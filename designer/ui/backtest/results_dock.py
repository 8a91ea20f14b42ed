"""The Results dock: what the last backtest found, in numbers a marketer reads.

Top: the window (:mod:`.window_picker`), the compare choice
(:mod:`.compare_picker`) and how the run went. Then the totals
(:mod:`.totals`), each with its difference against the run compared with.
Below, in tabs: per step, per message, when messages would have gone out, and
one customer's journeys step by step (:mod:`.trace_view`), and, after a run with
other flows, the programme's figures (:mod:`.programme_view`). Clicking a row that
names a step selects that card and centres it, as the Problems dock does.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QScrollArea, QSizePolicy,
                               QTabWidget, QToolButton, QVBoxLayout, QWidget)

from designer.engine.figures import SimulationResult
from designer.model.kinds import KINDS, summary
from designer.ui.backtest import numbers
from designer.ui.backtest.charts import MessageCharts
from designer.ui.backtest.compare_picker import ComparePicker
from designer.ui.backtest.controller import BacktestController, Trace
from designer.ui.backtest.programme_view import ProgrammeView
from designer.ui.backtest.store_panel import StoreInfo
from designer.ui.backtest.tables import NODE_ROLE, Cell, FiguresTable
from designer.ui.backtest.totals import CHANNELS, Totals
from designer.ui.backtest.trace_view import TraceView
from designer.ui.backtest.window_picker import WindowPicker


class ResultsPanel(QWidget):
    #: A row naming a step was clicked (node id).
    nodeActivated = Signal(str)
    #: A traced message was opened (a :class:`~designer.content.recipients.MessageMoment`).
    messageActivated = Signal(object)

    def __init__(self, controller: BacktestController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.document = controller.document
        self._build()
        controller.finished.connect(self._finished)
        controller.staleChanged.connect(self._stale_changed)
        controller.cleared.connect(lambda: self.show_result(None))
        controller.started.connect(lambda: self._set_status("Running the backtest\u2026"))
        controller.cancelled.connect(lambda: self._set_status("Backtest cancelled"))
        controller.failed.connect(lambda text: self._set_status(text, "error"))
        controller.refused.connect(lambda text: self._set_status(text, "warning"))
        controller.store.changed.connect(self.set_store)
        if controller.store.info is not None:
            self.set_store(controller.store.info)
        self.show_result(None)

    # -- building ---------------------------------------------------------------------
    def _build(self) -> None:
        self.window_picker = WindowPicker()
        self.window_picker.windowChanged.connect(self.controller.set_window)
        self.run_button = QToolButton()
        self.run_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.compare_picker = ComparePicker(self.controller)
        self.compare_picker.changed.connect(self._compare_chosen)
        self.status = QLabel("")
        self.status.setProperty("role", "muted")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setMinimumWidth(120)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        head = QHBoxLayout()
        head.setSpacing(6)
        head.addWidget(self.run_button)
        head.addSpacing(8)
        head.addWidget(self.window_picker)
        head.addSpacing(12)
        head.addWidget(self.compare_picker)
        head.addSpacing(12)
        head.addWidget(self.status, 1)

        self.totals = Totals()
        # The tiles and the compare line, as the dock's own (the totals widget holds them).
        self.tiles, self.compare_line = self.totals.tiles, self.totals.compare_line
        self.warnings_list = QListWidget()
        self.warnings_list.setVisible(False)
        self.warnings_list.itemClicked.connect(lambda item: item.data(NODE_ROLE) and
                                               self.nodeActivated.emit(item.data(NODE_ROLE)))

        self.node_table = FiguresTable(["Step", "", "Entered", "Left by port", "Exit rule", "Ended", "In progress",
                                  "Skipped", "Held (quiet hours)"])
        self.send_table = FiguresTable(["Step", "Message", "Channel", "Entered", "Sent", "Skipped", "Recipients",
                                  "Skipped: no consent", "Skipped: smart sending", "Skipped: other",
                                  "Held (quiet hours)", "Conversions", "Converting recipients", "Conv. rate",
                                  "Revenue"])
        for table in (self.node_table, self.send_table):
            table.clicked.connect(self._row_clicked)
            table.activated.connect(self._row_clicked)
        self.charts = MessageCharts()

        self.trace_view = TraceView(self.controller, self.document)
        self.trace_view.nodeActivated.connect(self.nodeActivated)
        self.trace_view.messageActivated.connect(self.messageActivated)
        # The trace's parts, as the dock's own (the view holds them).
        self.trace_input, self.trace_button = self.trace_view.trace_input, self.trace_view.trace_button
        self.trace_status, self.trace_tree = self.trace_view.trace_status, self.trace_view.trace_tree

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.node_table, "Steps")
        self.tabs.addTab(self.send_table, "Messages")
        self.tabs.addTab(self.charts, "Timing")
        self.tabs.addTab(self.trace_view, "Trace a customer")
        self.programme_view = ProgrammeView()
        self.tabs.addTab(self.programme_view, "Programme")

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.totals)
        layout.addWidget(self.warnings_list)
        layout.addWidget(self.tabs, 1)
        # In a narrow window the dock scrolls sideways rather than widening the window.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def set_run_action(self, action: QAction) -> None:
        """The window's Flow > Backtest action, offered as the dock's run button."""
        self.run_button.setDefaultAction(action)

    # -- the window --------------------------------------------------------------------
    def set_store(self, info: StoreInfo | None) -> None:
        """Bound the window's dates by the store's history."""
        self.window_picker.set_store(info)

    def set_window_days(self, first: date | None, last: date | None) -> None:
        """Choose a window by days (None, None: all history), as the date pickers would."""
        self.window_picker.set_days(first, last)

    # -- showing a result -------------------------------------------------------------
    def _finished(self, result: SimulationResult) -> None:
        self.show_result(result)
        self.compare_picker.refresh()

    def show_result(self, result: SimulationResult | None) -> None:
        stale = self.controller.stale if result is not None else False
        self._fill_totals(result)
        self._fill_nodes(result)
        self._fill_sends(result)
        self.charts.show_result(result, stale)
        self.programme_view.show_results(self.controller.programme_results if result is not None else None, stale)
        if result is None:
            self._set_status("Press F5 (Flow > Backtest) to replay this flow over the store's history.")
            return
        self._status_for(result, stale)

    def show_live(self, result: SimulationResult, note: str) -> None:
        """Figures read from a runtime (not a backtest of this editor): the same views, the status
        saying where they come from and as of when, never "out of date"."""
        self._fill_totals(result)
        self._fill_nodes(result)
        self._fill_sends(result)
        self.charts.show_result(result, False)
        self._set_status(note)

    def _status_for(self, result: SimulationResult, stale: bool) -> None:
        if stale:
            self._set_status("Out of date: the flow, window or store changed since this run. "
                             "Press F5 to run again.", "warning")
            return
        run = f"run {result.run_id}, " if result.run_id is not None else ""
        self._set_status(f"{numbers.span(result.window_from, max(result.window_from, result.window_to - 1))} "
                         f"({run}{numbers.count(result.customers_read)} customers and "
                         f"{numbers.count(result.events_read)} events read in {result.seconds:.2f} s)")

    def _stale_changed(self, stale: bool) -> None:
        if self.controller.result is not None:
            self._status_for(self.controller.result, stale)
            self.charts.set_stale(stale)
            self.programme_view.set_stale(stale)

    def _set_status(self, text: str, tone: str = "muted") -> None:
        self.status.setText(text)
        self.status.setToolTip(text)
        if self.status.property("role") != tone:
            self.status.setProperty("role", tone)
            self.status.style().unpolish(self.status)
            self.status.style().polish(self.status)

    def _fill_totals(self, r: SimulationResult | None) -> None:
        self.totals.show_result(r, *self.compare_picker.baseline())
        self._fill_warnings(r)

    def _fill_warnings(self, r: SimulationResult | None) -> None:
        """What the run could not show, or advises, each naming its step (click to go there)."""
        self.warnings_list.clear()
        for w in (r.warnings if r is not None else []):
            node = w.get("node")
            item = QListWidgetItem(f"\u26a0 {node + ': ' if node else ''}{w.get('message', '')}")
            item.setData(NODE_ROLE, node)
            item.setToolTip(w.get("code", ""))
            self.warnings_list.addItem(item)
        self.warnings_list.setVisible(self.warnings_list.count() > 0)
        self.warnings_list.setMaximumHeight(22 * min(4, self.warnings_list.count()) + 6)

    def _step_cell(self, node_id: str) -> Cell:
        node = self.document.flow.nodes.get(node_id)
        spec = KINDS.get(node.kind) if node is not None else None
        return Cell(f"{node_id}  {spec.label}" if spec else node_id,
                    tooltip=summary(node.kind, node.config) if node is not None else "")

    def _fill_nodes(self, r: SimulationResult | None) -> None:
        if r is None:
            self.node_table.set_rows([])
            return
        ids = [nid for nid in self.document.flow.nodes if nid in r.nodes] + \
              [nid for nid in r.nodes if nid not in self.document.flow.nodes]
        rows = []
        for node_id in ids:
            f = r.nodes[node_id]
            node = self.document.flow.nodes.get(node_id)
            skipped = sum(f.skipped.values())
            held = f.deferred.get("quiet_hours", 0)
            reasons = ", ".join(f"{numbers.SKIP_REASONS.get(k, k)} {numbers.count(v)}" for k, v in sorted(f.skipped.items()))
            rows.append((node_id, [
                self._step_cell(node_id),
                Cell(summary(node.kind, node.config) if node is not None else "(deleted since)"),
                Cell(numbers.count(f.entered), f.entered),
                Cell(" \u00b7 ".join(f"{p} {numbers.count(n)}" for p, n in f.exits.items()) or "\u2013"),
                Cell(numbers.count(f.exited), f.exited),
                Cell(numbers.count(f.ended), f.ended),
                Cell(numbers.count(f.in_progress), f.in_progress),
                Cell(numbers.count(skipped), skipped, reasons),
                Cell(numbers.count(held), held),
            ]))
        self.node_table.set_rows(rows)

    def _fill_sends(self, r: SimulationResult | None) -> None:
        if r is None:
            self.send_table.set_rows([])
            return
        ids = [nid for nid in self.document.flow.nodes if nid in r.nodes and r.nodes[nid].is_send]
        ids += [nid for nid, f in r.nodes.items() if f.is_send and nid not in ids]
        rows = []
        for node_id in ids:
            f = r.nodes[node_id]
            node = self.document.flow.nodes.get(node_id)
            spec = KINDS.get(f.kind)
            channel = (spec.channel if spec is not None else None) or ""
            skipped = sum(f.skipped.values())
            other = skipped - f.skipped.get("no_consent", 0) - f.skipped.get("smart_sending", 0)
            rate = f.converting_recipients / f.recipients if f.recipients else 0
            rows.append((node_id, [
                self._step_cell(node_id),
                Cell(summary(node.kind, node.config) if node is not None else ""),
                Cell(CHANNELS.get(channel, channel)),
                Cell(numbers.count(f.entered), f.entered),
                Cell(numbers.count(f.messages), f.messages),
                Cell(numbers.count(skipped), skipped),
                Cell(numbers.count(f.recipients), f.recipients),
                Cell(numbers.count(f.skipped.get("no_consent", 0)), f.skipped.get("no_consent", 0)),
                Cell(numbers.count(f.skipped.get("smart_sending", 0)), f.skipped.get("smart_sending", 0)),
                Cell(numbers.count(other), other),
                Cell(numbers.count(f.deferred.get("quiet_hours", 0)), f.deferred.get("quiet_hours", 0)),
                Cell(numbers.count(f.conversions), f.conversions),
                Cell(numbers.count(f.converting_recipients), f.converting_recipients),
                Cell(numbers.percent(f.converting_recipients, f.recipients), rate),
                Cell(numbers.money_exact(f.revenue), f.revenue),
            ]))
        self.send_table.set_rows(rows)

    def _row_clicked(self, index) -> None:
        node_id = index.data(NODE_ROLE)
        if node_id:
            self.nodeActivated.emit(node_id)

    def _compare_chosen(self) -> None:
        if self.controller.result is not None:
            self._fill_totals(self.controller.result)

    # -- trace ------------------------------------------------------------------------
    def run_trace(self) -> None:
        self.trace_view.run_trace()

    def show_trace(self, trace: Trace) -> None:
        self.trace_view.show_trace(trace)

    def trace_rows(self) -> list[tuple[str, str, str, str, str]]:
        return self.trace_view.trace_rows()
