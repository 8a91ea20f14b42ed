"""Derived facts (order count, total spent, days since last order, first/last seen) as of a moment.

Conditions read these like profile properties. They are computed from the
customer's history up to the journey's clock only, so a split on
"order_count >= 2" never counts an order that has not happened yet.
"""

from __future__ import annotations

from designer.engine.history import History
from designer.engine.interpreter import FactsFunction


def facts_function() -> FactsFunction:
    """The function the interpreter calls: ``(history, cursor, now) -> facts``."""
    return facts_at


def facts_at(history: History, cursor: int, now: int) -> dict:
    raise NotImplementedError
