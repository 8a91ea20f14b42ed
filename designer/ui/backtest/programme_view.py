"""The Results dock's Programme tab: what only a backtest of several flows together shows.

After Flow > Backtest with Other Flows..., the run's shared programme figures
(:class:`designer.engine.programme.ProgrammeFigures`): each flow's totals,
marketing messages per customer per week (a histogram over customer-weeks),
customers in more than one flow at once, sends another flow's message
suppressed (which flow blocked which, and by which rule) and the collisions
table (two flows' messages to one customer within the collision window).
Without other flows the tab says how to add them.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from designer.engine.figures import SimulationResult
from designer.ui.backtest import numbers
from designer.ui.backtest.charts import BarChart
from designer.ui.backtest.tables import Cell, FiguresTable

#: The rules by which another flow's message stops a send, in the marketer's words.
BLOCK_REASONS = {"smart_sending": "smart sending", "frequency_cap": "frequency cap"}
NO_PROGRAMME = ("This flow ran alone. Flow > Backtest with Other Flows\u2026 adds the shop's other flows: "
                "smart sending and a frequency cap then count across them, and this tab shows messages per "
                "customer per week, customers in several flows at once, who blocked whom and collisions.")


def _days(ms: int) -> str:
    hours = ms / 3_600_000
    return f"{hours / 24:g} days" if hours >= 24 and hours % 24 == 0 else f"{hours:g} h"


class ProgrammeView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel(NO_PROGRAMME)
        self.summary.setWordWrap(True)
        self.summary.setProperty("role", "muted")
        self.add_button = QToolButton()
        self.flows_table = FiguresTable(["Flow", "Journeys", "Messages", "Recipients", "Conversions", "Revenue",
                                         "Skipped: frequency cap", "Skipped: smart sending"])
        self.histogram = BarChart("Customer-weeks by marketing messages that week")
        self.suppressed_table = FiguresTable(["Blocked flow", "Blocked by", "Rule", "Sends"])
        self.collisions_table = FiguresTable(["Flow", "With flow", "Message pairs"])
        head = QHBoxLayout()
        head.addWidget(self.summary, 1)
        head.addWidget(self.add_button)
        right = QVBoxLayout()
        right.setSpacing(4)
        right.addWidget(self.suppressed_table)
        right.addWidget(self.collisions_table)
        body = QHBoxLayout()
        body.setSpacing(6)
        body.addWidget(self.flows_table, 3)
        body.addWidget(self.histogram, 2)
        body.addLayout(right, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addLayout(body, 1)
        self.results: list[SimulationResult] | None = None
        self.show_results(None)

    def set_add_action(self, action: QAction) -> None:
        """The window's Flow > Backtest with Other Flows... action, offered here too."""
        self.add_button.setDefaultAction(action)

    def show_results(self, results: list[SimulationResult] | None, stale: bool = False) -> None:
        """Every flow's result of a run together (the open flow's first), or None for a run alone."""
        self.results = results
        p = results[0].programme if results else None
        on = p is not None
        for widget in (self.flows_table, self.histogram, self.suppressed_table, self.collisions_table):
            widget.setVisible(on)
        if not on:
            self.summary.setText(NO_PROGRAMME)
            for table in (self.flows_table, self.suppressed_table, self.collisions_table):
                table.set_rows([])
            self.histogram.set_values([], [])
            return
        self._summary(results, stale)
        self._flows(results)
        weeks = p.messages_per_week
        top = max(weeks, default=0)
        self.histogram.set_values([weeks.get(k, 0) for k in range(1, top + 1)],
                                  [(k - 1, str(k)) for k in range(1, top + 1)], stale)
        self.suppressed_table.set_rows([(None, [Cell(blocked), Cell(by), Cell(BLOCK_REASONS.get(rule, rule)),
                                                Cell(numbers.count(n), n)])
                                        for (blocked, by, rule), n in sorted(p.suppressed.items())])
        self.collisions_table.model_.headers[2] = f"Message pairs within {_days(p.collision_ms)}"
        self.collisions_table.set_rows([(None, [Cell(a), Cell(b), Cell(numbers.count(n), n)])
                                        for (a, b), n in sorted(p.collisions.items())])

    def _summary(self, results: list[SimulationResult], stale: bool) -> None:
        p = results[0].programme
        names = ", ".join([f"{results[0].flow_id} (this flow)"] + [r.flow_id for r in results[1:]])
        cap = (f"cap {p.cap[0]} marketing message{'s' * (p.cap[0] != 1)} per {_days(p.cap[1])}" if p.cap
               else "no frequency cap")
        window = _days(p.cap[1]) if p.cap else "7 days"
        text = (f"{len(results)} flows together: {names}; {cap}. "
                f"{numbers.count(p.customers_with_messages)} customers got marketing messages; "
                f"{numbers.count(p.customers_in_several_flows)} were in more than one flow at once; "
                f"the most any one customer got within {window}: {p.max_in_cap_window}.")
        self.summary.setText(("Out of date: " if stale else "") + text)

    def _flows(self, results: list[SimulationResult]) -> None:
        rows = []
        for r in results:
            cap = sum(n.skipped.get("frequency_cap", 0) for n in r.nodes.values())
            smart = sum(n.skipped.get("smart_sending", 0) for n in r.nodes.values())
            rows.append((None, [Cell(r.flow_id, tooltip=r.flow_name), Cell(numbers.count(r.entered), r.entered),
                                Cell(numbers.count(r.sends), r.sends), Cell(numbers.count(r.recipients), r.recipients),
                                Cell(numbers.count(r.conversions), r.conversions),
                                Cell(numbers.money_exact(r.revenue), r.revenue),
                                Cell(numbers.count(cap), cap), Cell(numbers.count(smart), smart)]))
        self.flows_table.set_rows(rows)

    def set_stale(self, stale: bool) -> None:
        if self.results:
            self._summary(self.results, stale)
            self.histogram.set_values(self.histogram.values, self.histogram.labels, stale)
