"""Derived facts (order count, total spent, days since last order, first/last seen) as of a moment.

Conditions read these like profile properties. The store defines them
(:mod:`designer.store.facts`); the engine only decides *which* events they
see: those before the journey's cursor, so a split on "order_count >= 2"
never counts an order that has not happened yet.
"""

from __future__ import annotations

from designer.engine.history import History

#: The event the store's order facts count (read by the simulator when a flow uses them).
ORDER_EVENT = "purchase"


def facts_at(history: History, cursor: int, now: int) -> dict:
    """The facts from the customer's first ``cursor`` events, as of ``now``."""
    from designer.store.facts import customer_facts

    names, times, raw = history.names, history.times, history.raw
    events = [(names[i], times[i], raw[i]) for i in range(cursor)]
    return customer_facts(events, now, order_event=ORDER_EVENT).as_dict()


def facts_function():
    """The function the interpreter calls: ``(history, cursor, now) -> facts``."""
    return facts_at
