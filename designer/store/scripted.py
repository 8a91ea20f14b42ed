"""A store written from a script: named customers and their events, for flow unit tests.

Flow tests run the backtest's engine over a tiny history held in memory; the
customers and events they script are written here with the same columns,
property encoding and dedupe keys an import gives them, so the engine reads
them exactly as it reads imported history.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from designer.store.codec import dedupe_key, dumps_properties
from designer.store.db import open_store
from designer.store.schema import customers, events


@dataclass(frozen=True)
class ScriptedCustomer:
    external_id: str
    email: str | None = None
    first_name: str | None = None
    timezone: str | None = None
    consent: bool | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScriptedEvent:
    customer: str
    name: str
    time: int
    properties: dict[str, Any] = field(default_factory=dict)


def memory_store(people: Iterable[ScriptedCustomer], history: Iterable[ScriptedEvent]) -> Engine:
    """A new in-memory store holding exactly these customers and events."""
    engine = open_store("sqlite://")
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        for c in people:
            row = conn.execute(customers.insert().values(
                external_id=c.external_id, email=c.email, first_name=c.first_name, timezone=c.timezone,
                consent=None if c.consent is None else int(c.consent),
                properties=json.dumps(c.properties, sort_keys=True)))
            ids[c.external_id] = int(row.inserted_primary_key[0])
        rows = []
        for n, e in enumerate(history):
            props = dumps_properties(e.properties)
            # The script's order breaks ties: two equal events at one moment are both kept.
            rows.append({"customer_id": ids[e.customer], "name": e.name, "time": e.time,
                         "properties": props, "dedupe_key": dedupe_key(e.name, f"{props}#{n}")})
        if rows:
            conn.execute(events.insert(), rows)
    return engine
