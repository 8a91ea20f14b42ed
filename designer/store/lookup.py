"""Finding one customer in the store, and reading what they did: for the Journeys view and tests.

Search matches the external id exactly or by prefix, or the email
(case-insensitively); a pseudonymised store is searched by the pseudonym.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, or_, select

from designer.store.schema import customers, events

#: Most events returned for one customer (a heavy shopper's whole history is not a view).
MAX_EVENTS = 2000


@dataclass(frozen=True)
class CustomerRecord:
    external_id: str
    email: str | None = None
    first_name: str | None = None
    timezone: str | None = None
    consent: bool | None = None
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventRecord:
    name: str
    time: int
    properties: dict[str, Any]


def _record(row) -> CustomerRecord:
    try:
        props = json.loads(row.properties or "{}")
    except ValueError:
        props = {}
    consent = None if row.consent is None else bool(row.consent)
    return CustomerRecord(row.external_id, row.email, row.first_name, row.timezone, consent,
                          props if isinstance(props, dict) else {})


def find_customers(engine: Engine, text: str, limit: int = 20) -> list[CustomerRecord]:
    """Customers whose id is ``text`` or starts with it, or whose email contains it."""
    text = text.strip()
    if not text:
        return []
    like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    stmt = (select(customers).where(or_(customers.c.external_id == text,
                                        customers.c.external_id.like(like + "%", escape="\\"),
                                        func.lower(customers.c.email).like("%" + like.lower() + "%", escape="\\")))
            .order_by(customers.c.external_id != text, customers.c.external_id).limit(limit))
    with engine.connect() as conn:
        return [_record(r) for r in conn.execute(stmt)]


def customer(engine: Engine, external_id: str) -> CustomerRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(customers).where(customers.c.external_id == external_id)).first()
    return _record(row) if row is not None else None


def customer_events(engine: Engine, external_id: str, until: int | None = None,
                    limit: int = MAX_EVENTS) -> list[EventRecord]:
    """The customer's events in time order (before ``until`` when given), at most ``limit``."""
    stmt = (select(events.c.name, events.c.time, events.c.properties)
            .join(customers, customers.c.id == events.c.customer_id)
            .where(customers.c.external_id == external_id))
    if until is not None:
        stmt = stmt.where(events.c.time < until)
    stmt = stmt.order_by(events.c.time, events.c.id).limit(limit)
    out = []
    with engine.connect() as conn:
        for name, time, props in conn.execute(stmt):
            try:
                data = json.loads(props or "{}")
            except ValueError:
                data = {}
            out.append(EventRecord(name, int(time), data if isinstance(data, dict) else {}))
    return out
