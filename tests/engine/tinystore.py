"""Tiny event stores written in a test, and flows built from plain JSON, for engine tests.

Times are given as (day, "HH:MM") from a fixed Monday, 2025-01-06 00:00 UTC,
so hand-worked expectations read like a calendar.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import Engine

from designer.model import io
from designer.model.flow import Flow
from designer.store.codec import dedupe_key, dumps_properties
from designer.store.db import open_store
from designer.store.schema import customers, events

MONDAY = int(datetime(2025, 1, 6, tzinfo=timezone.utc).timestamp() * 1000)
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def at(day: int, clock: str = "00:00") -> int:
    """Epoch ms of ``clock`` UTC on day ``day`` (0 = Monday 2025-01-06)."""
    h, m = clock.split(":")
    return MONDAY + day * DAY + int(h) * HOUR + int(m) * MINUTE


class TinyStore:
    """A store with a handful of customers and events, inserted with plain SQLAlchemy."""

    def __init__(self, path=None) -> None:
        self.engine: Engine = open_store(path or "sqlite://")
        self.ids: dict[str, int] = {}
        self._n = 0

    def customer(self, external_id: str, *, consent: int | None = 1, timezone: str | None = None,
                 email: str | None = None, first_name: str | None = None, **properties) -> int:
        with self.engine.begin() as conn:
            row = conn.execute(customers.insert().values(
                external_id=external_id, email=email or f"{external_id}@example.com", first_name=first_name,
                timezone=timezone, consent=consent, properties=json.dumps(properties)))
        self.ids[external_id] = int(row.inserted_primary_key[0])
        return self.ids[external_id]

    def event(self, external_id: str, name: str, time: int, **properties) -> None:
        if external_id not in self.ids:
            self.customer(external_id)
        props = dumps_properties(properties)
        self._n += 1
        with self.engine.begin() as conn:
            conn.execute(events.insert().values(
                customer_id=self.ids[external_id], name=name, time=time, properties=props,
                dedupe_key=dedupe_key(name, props + f"#{self._n}")))


def flow(nodes: list[dict], edges: list[dict], settings: dict | None = None, flow_id: str = "test") -> Flow:
    """A flow from its file JSON; nodes may leave out x, y."""
    data = {"format": "trigger-flow", "version": 1, "id": flow_id, "name": flow_id,
            "settings": settings if settings is not None else {},
            "nodes": [{"x": 0, "y": 0, **n} for n in nodes], "edges": edges}
    return io.from_json(data)


#: Settings with every gate off, so a test switches on only the one it checks.
PLAIN = {"reentry": {"mode": "always"}, "smart_sending": None, "consent": None}


def node(node_id: str, kind: str, **config) -> dict:
    return {"id": node_id, "kind": kind, "config": config}


def edge(source: str, target: str, port: str | None = None) -> dict:
    return {"from": source, "to": target, **({"port": port} if port else {})}
