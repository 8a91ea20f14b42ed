"""Stored runs: each simulation's flow, window and figures, kept so runs can be compared later.

The store keeps the ``runs`` table; the engine decides what goes in it: the
flow's canonical JSON and its hash (so "the same flow" is checkable), the
window, and the result's JSON (without the per-customer trace), with a mark
of the history it ran on (how many events, the newest event id) and, for a
programme, the ids of the runs of its other flows. Those are what a run's
audit log is derived from (:mod:`designer.engine.audit`): the same flows
over the same history decide exactly the same, so the log is exact as long
as the mark still matches, and says so when it does not.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import Engine, desc, func, select

from designer.engine.figures import SimulationResult
from designer.model import io
from designer.model.flow import Flow
from designer.store.schema import events, runs


def history_mark(conn) -> dict:
    """What identifies the history a run read: the number of events and the newest event id."""
    count, newest = conn.execute(select(func.count(), func.max(events.c.id)).select_from(events)).one()
    return {"events": int(count or 0), "newest_event_id": int(newest or 0)}


@dataclass(frozen=True)
class StoredRun:
    id: int
    flow_id: str
    flow_hash: str
    flow_json: str
    window_from: int
    window_to: int
    created: int
    result: SimulationResult
    #: The history the run read (see :func:`history_mark`), when it was recorded.
    history: dict | None = None
    #: The runs of the same programme (this one included), when the flow ran in one.
    programme_runs: tuple[int, ...] = ()
    #: The programme's cap ({"messages", "window_ms"}) and collision window, when it ran in one.
    cap: dict | None = None
    collision_ms: int | None = None

    def flow(self) -> Flow:
        return io.loads(self.flow_json)


def save_runs(engine: Engine, flows: list[Flow], results: list[SimulationResult]) -> list[int]:
    """Keep each flow's run; runs of one programme name each other (``programme_runs``)."""
    ids = [save_run(engine, flow, r) for flow, r in zip(flows, results)]
    if len(ids) > 1 and results[0].programme is not None:
        with engine.begin() as conn:
            for run_id in ids:
                figures = json.loads(conn.execute(select(runs.c.figures).where(runs.c.id == run_id)).scalar())
                figures["programme_runs"] = ids
                conn.execute(runs.update().where(runs.c.id == run_id).values(figures=json.dumps(figures)))
    for r, run_id in zip(results, ids):
        r.run_id = run_id
    return ids


def save_run(engine: Engine, flow: Flow, result: SimulationResult) -> int:
    figures = result.to_json()
    figures.pop("trace", None)
    figures.pop("run_id", None)
    with engine.begin() as conn:
        figures["history"] = history_mark(conn)
        row = conn.execute(runs.insert().values(
            flow_id=flow.id, flow_hash=result.flow_hash, flow_json=io.dumps(flow),
            window_from=result.window_from, window_to=result.window_to,
            created=int(time.time() * 1000), figures=json.dumps(figures),
        ))
        return int(row.inserted_primary_key[0])


def _stored(row) -> StoredRun:
    result = SimulationResult.from_json(json.loads(row.figures))
    result.run_id = row.id
    data = json.loads(row.figures)
    return StoredRun(row.id, row.flow_id, row.flow_hash, row.flow_json, row.window_from, row.window_to,
                     row.created, result, data.get("history"), tuple(data.get("programme_runs", ())),
                     (data.get("programme") or {}).get("cap"), (data.get("programme") or {}).get("collision_window_ms"))


def load_run(engine: Engine, run_id: int) -> StoredRun | None:
    with engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
    return _stored(row) if row is not None else None


def list_runs(engine: Engine, flow_id: str | None = None, limit: int = 50) -> list[StoredRun]:
    """The latest runs, newest first, optionally of one flow."""
    stmt = select(runs).order_by(desc(runs.c.created), desc(runs.c.id)).limit(limit)
    if flow_id is not None:
        stmt = stmt.where(runs.c.flow_id == flow_id)
    with engine.connect() as conn:
        return [_stored(r) for r in conn.execute(stmt)]
