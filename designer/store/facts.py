"""Lifecycle facts derived from a customer's events, as of a moment.

Conditions test these like profile properties (``order_count >= 2``,
``days_since_last_order > 30``). They are always computed from the events,
never stored, so they cannot go stale and never count what has not happened
yet: only events with ``time <= as_of`` take part.

* ``first_seen`` / ``last_seen``: epoch ms of the first / last event of any
  name (``None`` when there is none yet);
* ``order_count``: events named ``purchase`` (the ``order_event``);
* ``total_spent``: the sum of their ``price`` (the ``value_property``);
  a missing or non-numeric value (text, even ``"12.5"``; booleans) adds
  nothing. The importers store numbers as JSON numbers, so prices count;
* ``last_order``: epoch ms of the latest order;
* ``days_since_last_order``: ``(as_of - last_order) / 1 day`` as a float
  (``None`` without orders).

:func:`customer_facts` is a pure function over one customer's events (the
engine calls it per customer, no SQL); :func:`customer_facts_sql` computes
the same for many customers in one query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, case, func, select

from designer.store.schema import events

DAY_MS = 86_400_000
FACT_NAMES = ("first_seen", "last_seen", "order_count", "total_spent", "last_order", "days_since_last_order")


@dataclass(frozen=True)
class CustomerFacts:
    first_seen: int | None = None
    last_seen: int | None = None
    order_count: int = 0
    total_spent: float = 0.0
    last_order: int | None = None
    days_since_last_order: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The facts as the profile-like properties conditions read."""
        return asdict(self)


def _number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        return float(value) if abs(value) != float("inf") else 0.0
    return 0.0


def _unpack(event: Any) -> tuple[str, int, Any]:
    """``(name, time, properties)`` from a tuple, a mapping or an object with those attributes."""
    if isinstance(event, (tuple, list)):
        return event[0], event[1], event[2] if len(event) > 2 else None
    if isinstance(event, Mapping):
        return event["name"], event["time"], event.get("properties")
    return event.name, event.time, getattr(event, "properties", None)


def order_value(properties: Any, value_property: str = "price") -> float:
    """The order value in an event's properties (a dict or its JSON text)."""
    if properties is None:
        return 0.0
    if isinstance(properties, (str, bytes)):
        try:
            properties = json.loads(properties)
        except (ValueError, RecursionError):
            return 0.0
    if not isinstance(properties, Mapping):
        return 0.0
    return _number(properties.get(value_property))


def customer_facts(
    events_: Iterable[Any],
    as_of: int,
    *,
    order_event: str = "purchase",
    value_property: str = "price",
) -> CustomerFacts:
    """Facts from one customer's events, counting only those at or before ``as_of``.

    Each event is a ``(name, time, properties)`` tuple (extra items ignored;
    properties as a dict or JSON text), a mapping with those keys, or an
    object with those attributes. Order does not matter. Properties are
    parsed only for orders.
    """
    first = last = last_order = None
    orders = 0
    spent = 0.0
    for event in events_:
        name, t, properties = _unpack(event)
        if t > as_of:
            continue
        if first is None or t < first:
            first = t
        if last is None or t > last:
            last = t
        if name == order_event:
            orders += 1
            spent += order_value(properties, value_property)
            if last_order is None or t > last_order:
                last_order = t
    return CustomerFacts(
        first_seen=first,
        last_seen=last,
        order_count=orders,
        total_spent=round(spent, 6),
        last_order=last_order,
        days_since_last_order=None if last_order is None else (as_of - last_order) / DAY_MS,
    )


def customer_facts_sql(
    store: Connection | Engine,
    as_of: int,
    customer_ids: Iterable[int] | None = None,
    *,
    order_event: str = "purchase",
    value_property: str = "price",
) -> dict[int, CustomerFacts]:
    """Facts for many customers (internal ids) in one grouped query; customers with no events are absent.

    Uses SQLite's ``json_extract`` for the order value; on other databases
    it reads the order rows and sums in Python, giving the same numbers.
    """
    if isinstance(store, Engine):
        with store.connect() as conn:
            return customer_facts_sql(conn, as_of, customer_ids, order_event=order_event, value_property=value_property)
    conn = store
    ids = None if customer_ids is None else list(customer_ids)
    where = [events.c.time <= as_of]
    if ids is not None:
        if not ids:
            return {}
        where.append(events.c.customer_id.in_(ids))
    is_order = events.c.name == order_event
    base = [
        events.c.customer_id,
        func.min(events.c.time),
        func.max(events.c.time),
        func.sum(case((is_order, 1), else_=0)),
        func.max(case((is_order, events.c.time), else_=None)),
    ]
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        path = "$." + json.dumps(value_property) if not value_property.isidentifier() else "$." + value_property
        value = func.json_extract(events.c.properties, path)
        numeric = case((func.json_type(events.c.properties, path).in_(("integer", "real")), value), else_=0)
        base.append(func.total(case((is_order, numeric), else_=0)))
    stmt = select(*base).where(and_(*where)).group_by(events.c.customer_id)
    result: dict[int, CustomerFacts] = {}
    spent: dict[int, float] = {}
    if not sqlite:
        for cid, props in conn.execute(select(events.c.customer_id, events.c.properties).where(and_(*where, is_order))):
            spent[cid] = spent.get(cid, 0.0) + order_value(props, value_property)
    for row in conn.execute(stmt):
        cid, first, last, orders, last_order = row[:5]
        total = float(row[5]) if sqlite else spent.get(cid, 0.0)
        result[cid] = CustomerFacts(
            first_seen=first,
            last_seen=last,
            order_count=int(orders or 0),
            total_spent=round(total, 6),
            last_order=last_order,
            days_since_last_order=None if last_order is None else (as_of - last_order) / DAY_MS,
        )
    return result

