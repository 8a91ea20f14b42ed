"""Lifecycle facts derived from a customer's history, and an order's value: one definition.

Conditions test facts like profile properties (``order_count >= 2``,
``days_since_last_order > 30``); the backtest's revenue sums order values.
Both read the flow's conversion settings (which event is an order, which
property holds its value) and the same :func:`order_value`, so the
``total_spent`` of a customer's orders and the revenue those orders bring a
flow are one number.

Facts are always computed from the events, never stored, so they cannot go
stale, and from the events a journey may see (those before its cursor), so a
split on ``order_count >= 2`` never counts an order that has not happened yet.
The fact names are the model's (:data:`designer.model.conditions.DERIVED_FACTS`,
which the editor offers); :data:`FACTS` says how each is computed and
:data:`ORDER_FACTS` which of them read orders (the rest read any activity).

* ``first_seen`` / ``last_seen``: epoch ms of the first / last event of any
  name (None when there is none yet);
* ``days_since_first_seen``: tenure, ``(now - first_seen) / 1 day`` as a float;
* ``order_count``: conversion events (the flow's ``conversion.event``);
* ``total_spent``: the sum of their :func:`order_value`;
* ``days_since_last_order``: ``(now - last order) / 1 day`` (None without orders);
* ``purchase_score`` / ``predicted_clv``: the predictive scores of
  :mod:`designer.engine.scores`, from the run's *scorer* (the models of the
  store's monthly cut-offs, so a journey at ``now`` sees a model trained on
  data before ``now`` only; None before the first model, or in a store too
  short to learn from). A flow test has no models (``scripted_scores``): the
  scores are :data:`UNDERIVED` there, and the case's customer properties of
  that name are read instead.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from designer.engine.evaluate import as_number
from designer.engine.history import History
from designer.model.conditions import DERIVED_FACTS, SCORE_FACTS

DAY_MS = 86_400_000
#: What a fact returns when this run cannot derive it (no score models): read the profile instead.
UNDERIVED = object()


class Scorer(Protocol):
    """The run's score models applied to one customer's history (see :class:`designer.engine.scores.Scorer`)."""

    def value(self, name: str, history: History, now: int) -> float | None: ...


def order_value(value: Any) -> float:
    """An order's value from the conversion property: a number, numeric text ("12.5"), or a list
    to sum (items as numbers, or objects with ``price`` times an optional ``quantity``)."""
    number = as_number(value)  # None for booleans, NaN and infinities too
    if number is not None:
        return number
    if isinstance(value, list):
        return sum(order_value(v) for v in value)
    if isinstance(value, dict) and "price" in value:
        qty = as_number(value.get("quantity", 1))
        return order_value(value["price"]) * (qty if qty is not None else 1)
    return 0.0


@dataclass(frozen=True)
class Orders:
    """What counts as an order: the flow's conversion event and the property holding its value."""

    event: str
    value: str | None = None

    def value_of(self, props: dict) -> float:
        return order_value(props.get(self.value)) if self.value else 0.0


def _orders(history: History, cursor: int, orders: Orders) -> list[int]:
    positions = history.by_name.get(orders.event) or []
    return positions[:bisect_left(positions, cursor)]


def _first_seen(history: History, cursor: int, now: int, orders: Orders,
                scorer: Scorer | None = None) -> int | None:
    return history.times[0] if cursor else None


def _last_seen(history: History, cursor: int, now: int, orders: Orders,
               scorer: Scorer | None = None) -> int | None:
    return history.times[cursor - 1] if cursor else None


def _days_since_first_seen(history: History, cursor: int, now: int, orders: Orders,
                           scorer: Scorer | None = None) -> float | None:
    return (now - history.times[0]) / DAY_MS if cursor else None


def _order_count(history: History, cursor: int, now: int, orders: Orders,
                 scorer: Scorer | None = None) -> int:
    return len(_orders(history, cursor, orders))


def _total_spent(history: History, cursor: int, now: int, orders: Orders,
                 scorer: Scorer | None = None) -> float:
    return round(sum(orders.value_of(history.props(i)) for i in _orders(history, cursor, orders)), 6)


def _days_since_last_order(history: History, cursor: int, now: int, orders: Orders,
                           scorer: Scorer | None = None) -> float | None:
    found = _orders(history, cursor, orders)
    return (now - history.times[found[-1]]) / DAY_MS if found else None


def _score(name: str) -> Callable[..., Any]:
    def score(history: History, cursor: int, now: int, orders: Orders, scorer: Scorer | None = None) -> Any:
        return UNDERIVED if scorer is None else scorer.value(name, history, now)
    score.__doc__ = f"{name} as of ``now``, from the models the run's scorer holds."
    return score


#: ``fact(history, cursor, now, orders, scorer) -> value``, per fact name.
FACTS: dict[str, Callable[[History, int, int, Orders, Scorer | None], Any]] = {
    "first_seen": _first_seen,
    "last_seen": _last_seen,
    "days_since_first_seen": _days_since_first_seen,
    "order_count": _order_count,
    "total_spent": _total_spent,
    "days_since_last_order": _days_since_last_order,
    **{name: _score(name) for name in SCORE_FACTS},
}
#: The facts that read orders only; the others read every event (the reader must fetch them all).
ORDER_FACTS = frozenset({"order_count", "total_spent", "days_since_last_order"})
#: The facts a model predicts (they read every event, and the run needs its score models).
SCORES = frozenset(SCORE_FACTS)

if set(FACTS) != set(DERIVED_FACTS):  # the model names the facts; each needs its computation here
    raise ImportError(f"derived facts out of step: the model names {sorted(DERIVED_FACTS)}, "
                      f"the engine computes {sorted(FACTS)}")


def facts_at(history: History, cursor: int, now: int, orders: Orders | None = None,
             scorer: Scorer | None = None) -> dict[str, Any]:
    """Every derived fact of the customer's first ``cursor`` events as of ``now`` (orders as the flow
    counts them; by default ``purchase`` valued by ``price``); the scores only with a ``scorer``."""
    orders = orders or Orders("purchase", "price")
    found = {name: fact(history, cursor, now, orders, scorer) for name, fact in FACTS.items()}
    return {name: value for name, value in found.items() if value is not UNDERIVED}
