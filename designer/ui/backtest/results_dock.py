"""The Results dock: what the last backtest found, in numbers a marketer reads.

Top: the window (all history, or from/to dates in UTC), the compare choice
and how the run went. Then the totals, each with its difference against the
run compared with (the previous run by default, or a run stored earlier for
this flow). Below, in tabs: per step, per message, when messages would have
gone out, and one customer's journeys step by step. Clicking a row that names
a step selects that card and centres it, as the Problems dock does.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDateEdit, QFrame, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QScrollArea, QSizePolicy, QTabWidget, QToolButton,
                               QVBoxLayout, QWidget)

from designer.engine.figures import SimulationResult
from designer.engine.runs import StoredRun
from designer.model.kinds import KINDS, summary
from designer.ui.backtest import numbers
from designer.ui.backtest.charts import MessageCharts
from designer.ui.backtest.controller import BacktestController, Trace
from designer.ui.backtest.tables import NODE_ROLE, Cell, FiguresTable
from designer.ui.backtest.trace_view import TraceView
from designer.ui.backtest.store_panel import StoreInfo

#: Channels as the tables name them.
CHANNELS = {"email": "Email", "sms": "SMS", "webhook": "Webhook"}
PREVIOUS = "previous"

#: The totals row: (key, caption, tooltip, format, value). Formats: "count", "money", "share".
#: Every figure is in one unit its caption names: journeys, messages, customers or money.
TOTALS = (
    ("entered", "Journeys", "Journeys started by the trigger (a customer may start several)", "count",
     lambda r: r.entered),
    ("sends", "Messages", "Marketing messages (email and SMS) that would have gone out; webhook calls are "
     "counted apart", "count", lambda r: r.sends),
    ("webhooks", "Webhook calls", "Calls to webhooks (no consent or smart sending applies, no conversions "
     "credited)", "count", lambda r: r.messages_by_channel.get("webhook", 0)),
    ("recipients", "Recipients", "Customers who would have got at least one marketing message", "count",
     lambda r: r.recipients),
    ("conversion_rate", "Conversion rate", "Recipients with a conversion credited to a message, over recipients",
     "share", lambda r: r.conversion_rate),
    ("conversions", "Conversions", "Purchases credited to a message: the last message before them within the "
     "attribution window (of the same cart when the flow has an entry key); each purchase once", "count",
     lambda r: r.conversions),
    ("revenue", "Revenue", "Value of those conversions", "money", lambda r: r.revenue),
    ("bought_before_message", "Bought before any message", "Journeys whose customer bought after entering and "
     "before the journey's first message: no message can take credit for them", "count",
     lambda r: r.bought_before_message),
    ("in_progress", "In progress", "Journeys still waiting somewhere when the window closed", "count",
     lambda r: r.in_progress),
)


def _formatted(fmt: str, value) -> str:
    if fmt == "money":
        return numbers.money(value)
    if fmt == "share":
        return "\u2013" if value is None else numbers.percent(value, 1)
    return numbers.count(value)


def _ms(day: QDate) -> int:
    d = date(day.year(), day.month(), day.day())
    return int(datetime.combine(d, time(0), timezone.utc).timestamp() * 1000)


def _qdate(ms: int) -> QDate:
    d = datetime.fromtimestamp(ms / 1000, timezone.utc).date()
    return QDate(d.year, d.month, d.day)


class Tile(QFrame):
    """One total: caption, value, and its difference against the run compared with."""

    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "group")
        self.setToolTip(tooltip)
        self.caption = QLabel(caption)
        self.caption.setProperty("role", "muted")
        self.value = QLabel("\u2013")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.value.setFont(font)
        self.delta = QLabel("")
        self.delta.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(0)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.delta)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_value(self, text: str, delta: str = "", tone: str = "muted") -> None:
        self.value.setText(text)
        self.delta.setText(delta)
        if self.delta.property("role") != tone:
            self.delta.setProperty("role", tone)
            self.delta.style().unpolish(self.delta)
            self.delta.style().polish(self.delta)


class ResultsPanel(QWidget):
    #: A row naming a step was clicked (node id).
    nodeActivated = Signal(str)

    def __init__(self, controller: BacktestController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.document = controller.document
        #: What the totals are compared with (None: nothing to compare).
        self.compare_to: SimulationResult | None = None
        self.compare_name = ""
        self.stored: dict[int, StoredRun] = {}
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
        self.all_history = QCheckBox("All history")
        self.all_history.setChecked(True)
        self.all_history.setToolTip("Replay the store's whole history, or only the days chosen")
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for edit in (self.date_from, self.date_to):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setEnabled(False)
            edit.dateChanged.connect(self._window_changed)
        self.date_from.setToolTip("First day of the window (UTC): journeys start from this day on")
        self.date_to.setToolTip("Last day of the window (UTC), included")
        self.all_history.toggled.connect(self._window_changed)
        self.run_button = QToolButton()
        self.run_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.compare = QComboBox()
        self.compare.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.compare.setMinimumContentsLength(16)
        self.compare.setToolTip("The run the differences under each total are measured against")
        self.compare.activated.connect(self._compare_chosen)
        self.status = QLabel("")
        self.status.setProperty("role", "muted")
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setMinimumWidth(120)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        head = QHBoxLayout()
        head.setSpacing(6)
        head.addWidget(self.run_button)
        head.addSpacing(8)
        head.addWidget(QLabel("Window:"))
        head.addWidget(self.all_history)
        head.addWidget(self.date_from)
        head.addWidget(QLabel("to"))
        head.addWidget(self.date_to)
        head.addSpacing(12)
        head.addWidget(QLabel("Compare with:"))
        head.addWidget(self.compare)
        head.addSpacing(12)
        head.addWidget(self.status, 1)

        self.tiles: dict[str, Tile] = {}
        tiles = QHBoxLayout()
        tiles.setSpacing(6)
        for attr, caption, tip, _format, _value in TOTALS:
            tile = Tile(caption, tip)
            self.tiles[attr] = tile
            tiles.addWidget(tile)
        self.compare_line = QLabel("")
        self.compare_line.setProperty("role", "muted")
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
        # The trace's parts, as the dock's own (the view holds them).
        self.trace_input, self.trace_button = self.trace_view.trace_input, self.trace_view.trace_button
        self.trace_status, self.trace_tree = self.trace_view.trace_status, self.trace_view.trace_tree

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.node_table, "Steps")
        self.tabs.addTab(self.send_table, "Messages")
        self.tabs.addTab(self.charts, "Timing")
        self.tabs.addTab(self.trace_view, "Trace a customer")

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addLayout(tiles)
        layout.addWidget(self.compare_line)
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
        self._fill_compare()

    def set_run_action(self, action: QAction) -> None:
        """The window's Flow > Backtest action, offered as the dock's run button."""
        self.run_button.setDefaultAction(action)

    # -- the window --------------------------------------------------------------------
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
        self._window_changed()

    def window(self) -> tuple[int | None, int | None]:
        """(from_ms, to_ms) for the engine: None ends for all history, else whole UTC days."""
        if self.all_history.isChecked():
            return (None, None)
        lo, hi = self.date_from.date(), self.date_to.date()
        if hi < lo:
            lo, hi = hi, lo
        return (_ms(lo), _ms(hi.addDays(1)))

    def set_window_days(self, first: date | None, last: date | None) -> None:
        """Choose a window by days (None, None: all history), as the date pickers would."""
        if first is None or last is None:
            self.all_history.setChecked(True)
            return
        self.all_history.setChecked(False)
        self.date_from.setDate(QDate(first.year, first.month, first.day))
        self.date_to.setDate(QDate(last.year, last.month, last.day))

    def _window_changed(self, *_args) -> None:
        on = not self.all_history.isChecked()
        self.date_from.setEnabled(on)
        self.date_to.setEnabled(on)
        self.controller.set_window(self.window())

    # -- showing a result -------------------------------------------------------------
    def _finished(self, result: SimulationResult) -> None:
        if self.compare.currentData() in (PREVIOUS, None) or self.compare.currentIndex() < 0:
            self.compare_to = self.controller.previous
            self.compare_name = "previous run"
        self.show_result(result)
        self._refresh_stored_runs()

    def show_result(self, result: SimulationResult | None) -> None:
        stale = self.controller.stale if result is not None else False
        self._fill_totals(result)
        self._fill_nodes(result)
        self._fill_sends(result)
        self.charts.show_result(result, stale)
        if result is None:
            self._set_status("Press F5 (Flow > Backtest) to replay this flow over the store's history.")
            return
        self._status_for(result, stale)

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

    def _set_status(self, text: str, tone: str = "muted") -> None:
        self.status.setText(text)
        self.status.setToolTip(text)
        if self.status.property("role") != tone:
            self.status.setProperty("role", tone)
            self.status.style().unpolish(self.status)
            self.status.style().polish(self.status)

    def _fill_totals(self, r: SimulationResult | None) -> None:
        base = self.compare_to if r is not None else None
        changes = []
        for attr, caption, _tip, fmt, get in TOTALS:
            tile = self.tiles[attr]
            if r is None:
                tile.set_value("\u2013")
                continue
            value = get(r)
            text = _formatted(fmt, value)
            if attr == "entered" and r.customers_entered:
                tile.setToolTip(f"{TOTALS[0][2]}: {numbers.count(r.customers_entered)} customers")
            if attr == "bought_before_message" and r.entered:
                text += f" ({numbers.percent(value, r.entered)} of journeys)"
            if attr == "sends" and r.messages_by_channel:
                tile.setToolTip(TOTALS[1][2] + ": " + ", ".join(
                    f"{numbers.count(n)} {CHANNELS.get(c, c)}" for c, n in sorted(r.messages_by_channel.items())
                    if c != "webhook"))
            if base is None or fmt == "share":
                tile.set_value(text)
                continue
            diff = value - get(base)
            is_money = fmt == "money"
            delta = numbers.signed(diff, is_money=is_money)
            if abs(diff) < 0.005 or attr not in ("conversions", "revenue"):
                tone = "muted"
            else:
                tone = "ok" if diff > 0 else "warning"
            tile.set_value(text, f"{delta} vs {self.compare_name}", tone)
            if abs(diff) >= 0.005:
                changes.append(numbers.signed(diff, caption.lower(), is_money=is_money)
                               if not is_money else f"{numbers.signed(diff, is_money=True)} revenue")
        if r is None or base is None:
            self.compare_line.setText("")
        elif changes:
            self.compare_line.setText(f"Against the {self.compare_name}: " + ", ".join(changes) + ".")
        else:
            self.compare_line.setText(f"Same totals as the {self.compare_name}.")
        self.compare_line.setVisible(bool(self.compare_line.text()))
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

    # -- compare ----------------------------------------------------------------------
    def _fill_compare(self) -> None:
        current = self.compare.currentData()
        self.compare.blockSignals(True)
        self.compare.clear()
        self.compare.addItem("Previous run", PREVIOUS)
        self.compare.addItem("Nothing", "none")
        own = self.controller.result.run_id if self.controller.result is not None else None
        for run in self.stored.values():
            if run.id == own:
                continue
            when = numbers.when(run.created)
            version = "this version" if self.controller.result is not None and \
                run.flow_hash == self.controller.result.flow_hash else "another version"
            self.compare.addItem(f"Saved run {run.id} \u00b7 {when} \u00b7 {version}", run.id)
        index = self.compare.findData(current)
        self.compare.setCurrentIndex(index if index >= 0 else 0)
        self.compare.blockSignals(False)

    def _refresh_stored_runs(self) -> None:
        task = self.controller.stored_runs()
        task.on(finished=self._stored_runs_read)

    def _stored_runs_read(self, runs: list[StoredRun]) -> None:
        self.stored = {r.id: r for r in runs}
        self._fill_compare()

    def _compare_chosen(self, _index: int) -> None:
        data = self.compare.currentData()
        if data == PREVIOUS:
            self.compare_to, self.compare_name = self.controller.previous, "previous run"
        elif data in self.stored:
            self.compare_to, self.compare_name = self.stored[data].result, f"saved run {data}"
        else:
            self.compare_to, self.compare_name = None, ""
        if self.controller.result is not None:
            self._fill_totals(self.controller.result)

    # -- trace ------------------------------------------------------------------------
    def run_trace(self) -> None:
        self.trace_view.run_trace()

    def show_trace(self, trace: Trace) -> None:
        self.trace_view.show_trace(trace)

    def trace_rows(self) -> list[tuple[str, str, str, str, str]]:
        return self.trace_view.trace_rows()
