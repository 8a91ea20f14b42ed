"""A run's audit log: for whom each trigger fired and when, every list change, which rule decided each skip.

A backtest is a pure function of its flows, its window and the history, all
of which a stored run keeps (the flows' JSON, the window, a mark of the
history: see :mod:`designer.engine.runs`). So the log is derived when asked
for, by tracing the customer again with the run's own flows (the run's whole
programme, with its cap, when it ran in one): exactly what the run decided,
without storing every decision of every customer on every run. When the
store has changed since (an import, an erasure), the mark no longer matches
and the log says so: it then shows what the flows decide on today's history.
"""

from __future__ import annotations

import csv
import io as text_io
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, select

from designer.engine import clock
from designer.engine.figures import TraceStep
from designer.engine.runs import StoredRun, history_mark, load_run
from designer.engine.simulate import simulate_together
from designer.model.flow import Flow
from designer.model.programme import Cap, Programme
from designer.store.schema import customers, events

#: Trace lines an audit keeps, and the column that names them.
KINDS = {
    "entered": "trigger fired",
    "not entered": "trigger refused",
    "profile": "profile or list change",
    "skipped": "send skipped",
    "exit condition": "left by the exit rule",
    "sent": "message sent",
    "conversion": "conversion credited",
}
COLUMNS = ("run", "flow", "customer", "time", "journey", "node", "decision", "rule")


class AuditError(ValueError):
    """The run is not in the store (or another reason the audit cannot be made, said in words)."""


@dataclass(frozen=True)
class AuditRow:
    run: int
    flow: str
    customer: str
    time: int
    journey: int
    node: str | None
    decision: str
    rule: str

    def values(self) -> list:
        return [self.run, self.flow, self.customer, clock.iso(self.time), self.journey + 1 if self.journey >= 0
                else "", self.node or "", self.decision, self.rule]


@dataclass(frozen=True)
class Audit:
    runs: list[StoredRun]
    #: False when the store changed since the run (the rows are then today's decisions).
    history_unchanged: bool
    rows: list[AuditRow]

    def note(self) -> str:
        if self.history_unchanged:
            return "the history is as the run read it: these are the run's own decisions"
        return ("the store has changed since this run (events imported or erased): these are the decisions "
                "the same flows make on today's history")


def _runs(engine: Engine, run_id: int) -> list[StoredRun]:
    run = load_run(engine, run_id)
    if run is None:
        raise AuditError(f"no run {run_id} in the store")
    siblings = [load_run(engine, i) for i in run.programme_runs if i != run_id] if run.programme_runs else []
    return [run] + [s for s in siblings if s is not None]


def _programme(run: StoredRun) -> Programme | None:
    if not run.programme_runs:
        return None
    cap = Cap(run.cap["messages"], f"PT{run.cap['window_ms'] // 1000}S") if run.cap else None
    window = f"PT{(run.collision_ms or 86_400_000) // 1000}S"
    return Programme(cap, (), window)


def _rows(runs: list[StoredRun], external_id: str, trace: list[TraceStep]) -> list[AuditRow]:
    """Each audited trace line, with the run of the flow it belongs to."""
    by_flow = {r.flow_id: r.id for r in runs}
    return [AuditRow(by_flow.get(step.flow or runs[0].flow_id, runs[0].id), step.flow or runs[0].flow_id, external_id,
                     step.time, step.journey, step.node, KINDS[step.what], step.detail)
            for step in trace if step.what in KINDS]


def audit_customer(engine: Engine, run_id: int, external_id: str) -> Audit:
    """The run's decisions about one customer."""
    runs = _runs(engine, run_id)
    flows = [r.flow() for r in runs]
    run = runs[0]
    with engine.connect() as conn:
        unchanged = run.history is not None and history_mark(conn) == run.history
    results = simulate_together(flows, engine, window=(run.window_from, run.window_to), trace_customer=external_id,
                                workers=1, save=False, programme=_programme(run))
    return Audit(runs, unchanged, _rows(runs, external_id, results[0].trace or []))


def audited_customers(engine: Engine, run: StoredRun, flows: list[Flow]) -> Iterator[str]:
    """Every customer with a trigger event of the run's flows in its window."""
    names = sorted({f.trigger().config["event"] for f in flows if f.trigger() is not None})
    stmt = (select(customers.c.external_id).distinct().select_from(events.join(customers))
            .where(events.c.name.in_(names), events.c.time >= run.window_from, events.c.time < run.window_to)
            .order_by(customers.c.external_id))
    with engine.connect() as conn:
        yield from conn.execute(stmt).scalars()


def audit_csv(engine: Engine, run_id: int, customer: str | None = None) -> tuple[Audit, str]:
    """The audit as CSV text: one customer's, or every customer's the run could have entered."""
    runs = _runs(engine, run_id)
    flows = [r.flow() for r in runs]
    people = [customer] if customer is not None else list(audited_customers(engine, runs[0], flows))
    rows: list[AuditRow] = []
    audit = None
    for external_id in people:
        audit = audit_customer(engine, run_id, external_id)
        rows.extend(audit.rows)
    out = text_io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row.values())
    unchanged = audit.history_unchanged if audit is not None else True
    return Audit(runs, unchanged, rows), out.getvalue()
