"""The derived facts a message sees, from the engine's facts function (one place to change).

The engine owns what "order count as of a moment" means (:mod:`designer.engine.facts`);
this adapter feeds it one customer's events and adds the facts only messages
show (``days_since_first_seen``).
"""

from __future__ import annotations

from designer.engine.facts import facts_function
from designer.engine.history import History

DAY_MS = 86_400_000


def facts_as_of(events: list[tuple[str, int, str | dict]], now: int) -> dict:
    """Facts from ``events`` (``(name, time, properties)`` in time order) that happened by ``now``."""
    history = History(list(events))
    facts = dict(facts_function()(history, history.cursor_at(now), now))
    first = facts.get("first_seen")
    facts["days_since_first_seen"] = None if first is None else (now - first) / DAY_MS
    return facts
