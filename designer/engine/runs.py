"""Stored runs: each simulation's flow, window and figures, kept so runs can be compared later.

The store keeps the ``runs`` table; the engine decides what goes in it: the
flow's canonical JSON and its hash (so "the same flow" is checkable), the
window, and the result's JSON (without the per-customer trace).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from sqlalchemy import Engine, desc, select

from designer.engine.figures import SimulationResult
from designer.model import io
from designer.model.flow import Flow
from designer.store.schema import runs


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

    def flow(self) -> Flow:
        return io.loads(self.flow_json)


def save_run(engine: Engine, flow: Flow, result: SimulationResult) -> int:
    figures = result.to_json()
    figures.pop("trace", None)
    figures.pop("run_id", None)
    with engine.begin() as conn:
        row = conn.execute(runs.insert().values(
            flow_id=flow.id, flow_hash=result.flow_hash, flow_json=io.dumps(flow),
            window_from=result.window_from, window_to=result.window_to,
            created=int(time.time() * 1000), figures=json.dumps(figures),
        ))
        return int(row.inserted_primary_key[0])


def _stored(row) -> StoredRun:
    result = SimulationResult.from_json(json.loads(row.figures))
    result.run_id = row.id
    return StoredRun(row.id, row.flow_id, row.flow_hash, row.flow_json, row.window_from, row.window_to,
                     row.created, result)


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
