"""One customer at one send, read from the store: the :class:`~designer.content.context.Moment`.

Two ways to pick the moment: the customer's first arrival at the node in a
backtest (the engine's trace says when, and which trigger event began that
journey), or a given time with the latest trigger event before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, select

from designer.content.context import Moment
from designer.content.facts import facts_as_of
from designer.engine.history import base_profile, merge_properties, parse_object
from designer.model.flow import Flow
from designer.store.schema import customers, events


@dataclass
class Customer:
    """One customer's profile and whole history (events as ``(name, time, properties)``, in store order)."""

    id: int
    external_id: str
    profile: dict
    events: list[tuple[str, int, dict]]


def read_customer(store: Engine, external_id: str) -> Customer | None:
    """The customer with that external id (or that email), or ``None``."""
    with store.connect() as conn:
        cols = (customers.c.id, customers.c.external_id, customers.c.email, customers.c.first_name,
                customers.c.timezone, customers.c.consent, customers.c.properties)
        row = conn.execute(select(*cols).where(customers.c.external_id == external_id)).first()
        if row is None:
            row = conn.execute(select(*cols).where(customers.c.email == external_id).limit(1)).first()
        if row is None:
            return None
        profile = base_profile(row[1], tuple(row[2:6]))
        merge_properties(profile, row[6])
        rows = conn.execute(select(events.c.name, events.c.time, events.c.properties)
                            .where(events.c.customer_id == row[0]).order_by(events.c.time, events.c.id)).all()
    return Customer(row[0], row[1], profile, [(n, t, parse_object(p)) for n, t, p in rows])


def _trigger(flow: Flow):
    for node in flow.nodes.values():
        if node.kind == "trigger":
            return node
    return None


def moment_at(flow: Flow, node_id: str, customer: Customer, at: int, entry_time: int | None = None) -> Moment:
    """The moment ``at`` for that node: the trigger event is the one at ``entry_time`` (a backtest's
    entry) or else the latest trigger event at or before ``at``."""
    trigger = _trigger(flow)
    name = trigger.config.get("event") if trigger is not None else None
    key = trigger.config.get("key") if trigger is not None else None
    seen = [e for e in customer.events if e[1] <= at]
    event = None
    for n, t, props in reversed(seen):
        if n == name and (entry_time is None or t == entry_time):
            event = {**props, "name": n, "time": t}
            break
    return Moment(profile=customer.profile, facts=facts_as_of(seen, at), now=at, event=event, events=seen,
                  entry_time=event["time"] if event else entry_time, entry_key=key or None,
                  flow_id=flow.id, flow_name=flow.name, node_id=node_id)


def first_arrival(flow: Flow, store: Engine, customer: Customer, node_id: str) -> tuple[int, int] | None:
    """``(time the message went, entry time of that journey)`` for the customer's first message from
    the node in a backtest over the whole history; ``None`` when it never sent them one."""
    from designer.engine.simulate import simulate

    result = simulate(flow, store, trace_customer=customer.external_id, save=False, workers=1)
    entries: dict[int, int] = {}
    for step in result.trace or []:
        if step.what == "entered" and step.node is not None:
            entries.setdefault(step.journey, step.time)
        if step.node == node_id and step.what == "sent":
            return step.time, entries.get(step.journey, step.time)
    return None
