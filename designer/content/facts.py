"""The derived facts a message sees, from the engine's facts function (one place to change).

The engine owns what "order count as of a moment" means (:mod:`designer.engine.facts`);
this adapter feeds it one customer's events.
"""

from __future__ import annotations

from designer.engine.facts import Orders, facts_at
from designer.engine.history import History



def facts_as_of(events: list[tuple[str, int, str | dict]], now: int, orders: Orders | None = None) -> dict:
    """Facts from ``events`` (``(name, time, properties)`` in time order) that happened by ``now``."""
    history = History(list(events))
    return facts_at(history, history.cursor_at(now), now, orders)
