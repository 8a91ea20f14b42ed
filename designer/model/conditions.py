"""Conditions: the small JSON tree that splits, filters and exit rules share.

Shapes (a condition is one of them):

* ``{"all": [c, ...]}``, ``{"any": [c, ...]}``, ``{"not": c}``
* ``{"property": NAME, "op": OP, "value": V}``: a test on the customer's profile,
  including facts derived from history (``order_count``, ``total_spent``,
  ``days_since_last_order``, ``first_seen``, ``last_seen``, ``days_since_first_seen``);
* ``{"trigger": NAME, "op": OP, "value": V}``: a test on a property of the event
  that started the journey;
* ``{"event": NAME, "since": SINCE, "where": FILTER, "count": {OP: N}}``: history.
  ``since`` is ``"flow_start"`` (the journey's entry, the default), ``"ever"``, or
  an ISO duration meaning "in the last ...". ``count`` defaults to ``{">=": 1}``.

A *filter* (the ``where`` of triggers, waits and event tests) is the same tree
whose leaves are ``{"property": NAME, "op": OP, "value": V}`` tests on the
event's own properties.

The model only checks and describes conditions; the engine evaluates them and
publishers compile them, so each target reads the same tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from designer.model import durations

#: Comparison operators and whether they take a value.
OPERATORS: dict[str, bool] = {
    "=": True, "!=": True, "<": True, "<=": True, ">": True, ">=": True,
    "contains": True, "not contains": True, "in": True, "not in": True,
    "is set": False, "is not set": False,
}
COUNT_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
SINCE_WORDS = ("flow_start", "ever")

#: Facts the engine derives from a customer's history, usable as profile properties.
#: (The engine's ``designer.engine.facts`` computes each, from the flow's conversion settings.)
DERIVED_FACTS = ("order_count", "total_spent", "days_since_last_order", "first_seen", "last_seen",
                 "days_since_first_seen")


def check(cond: Any, path: str, *, filter_only: bool = False) -> list[tuple[str, str]]:
    """Every problem in a condition, as (JSON path, message) pairs; empty when it is sound."""
    problems: list[tuple[str, str]] = []
    _check(cond, path, filter_only, problems)
    return problems


def _check(cond: Any, path: str, filter_only: bool, out: list[tuple[str, str]]) -> None:
    if not isinstance(cond, dict):
        out.append((path, f"expected a condition object, got {type(cond).__name__}"))
        return
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        items = cond[key]
        if not isinstance(items, list) or not items:
            out.append((f"{path}.{key}", f"'{key}' needs a non-empty list of conditions"))
            return
        for i, item in enumerate(items):
            _check(item, f"{path}.{key}[{i}]", filter_only, out)
        return
    if "not" in cond:
        _check(cond["not"], f"{path}.not", filter_only, out)
        return
    if "event" in cond and not filter_only:
        _check_event(cond, path, out)
        return
    if "property" in cond or ("trigger" in cond and not filter_only):
        key = "property" if "property" in cond else "trigger"
        if not isinstance(cond[key], str) or not cond[key].strip():
            out.append((f"{path}.{key}", "needs a property name"))
        op = cond.get("op", "=")
        if op not in OPERATORS:
            out.append((f"{path}.op", f"unknown operator {op!r}; use one of {', '.join(OPERATORS)}"))
        elif OPERATORS[op] and "value" not in cond:
            out.append((f"{path}.value", f"operator {op!r} needs a value"))
        elif op in ("in", "not in") and not isinstance(cond.get("value"), list):
            out.append((f"{path}.value", f"operator {op!r} needs a list of values"))
        return
    allowed = "all, any, not, property" if filter_only else "all, any, not, property, trigger, event"
    out.append((path, f"not a condition: expected one of the keys {allowed}"))


def _check_event(cond: dict, path: str, out: list[tuple[str, str]]) -> None:
    if not isinstance(cond["event"], str) or not cond["event"].strip():
        out.append((f"{path}.event", "needs an event name"))
    since = cond.get("since", "flow_start")
    if since not in SINCE_WORDS and not durations.is_valid(since):
        out.append((f"{path}.since", f"{since!r}: use 'flow_start', 'ever' or a duration such as 'PT48H'"))
    count = cond.get("count", {">=": 1})
    if not (isinstance(count, dict) and len(count) == 1):
        out.append((f"{path}.count", "count is one comparison such as {\">=\": 1}"))
    else:
        (op, n), = count.items()
        if op not in COUNT_OPERATORS:
            out.append((f"{path}.count", f"unknown count operator {op!r}"))
        elif not isinstance(n, int) or isinstance(n, bool) or n < 0:
            out.append((f"{path}.count", f"count needs a whole number, got {n!r}"))
    if "where" in cond and cond["where"] is not None:
        _check(cond["where"], f"{path}.where", True, out)


def leaf_tests(cond: Any) -> Iterator[dict]:
    """Every single test in a condition (inside all / any / not), for whoever needs to know what it reads."""
    if not isinstance(cond, dict):
        return
    for key in ("all", "any"):
        if isinstance(cond.get(key), list):
            for item in cond[key]:
                yield from leaf_tests(item)
            return
    if "not" in cond:
        yield from leaf_tests(cond["not"])
    else:
        yield cond


def event_tests(cond: Any) -> Iterator[dict]:
    """Every history test in a condition, for lint and for reading only the events needed."""
    return (test for test in leaf_tests(cond) if "event" in test)


def count_test(cond: dict) -> tuple[str, int]:
    """The (operator, number) of an event test, with the default filled in."""
    (op, n), = (cond.get("count") or {">=": 1}).items()
    return op, n


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value)
    if isinstance(value, str):
        return value
    return str(value).lower() if isinstance(value, bool) else str(value)


def describe(cond: Any) -> str:
    """A short phrase for a card: 'purchase since entry', 'loyalty_tier = gold'."""
    if not isinstance(cond, dict):
        return "?"
    for key, word in (("all", " and "), ("any", " or ")):
        if isinstance(cond.get(key), list):
            inner = [describe(c) for c in cond[key]]
            return word.join(f"({t})" if (" and " in t or " or " in t) else t for t in inner) or "?"
    if "not" in cond:
        return f"not {describe(cond['not'])}"
    if "event" in cond:
        since = cond.get("since", "flow_start")
        when = {"flow_start": "since entry", "ever": "ever"}.get(since) or f"in last {durations.humanize(since)}"
        count = cond.get("count") or {">=": 1}
        op, n = next(iter(count.items())) if isinstance(count, dict) and len(count) == 1 else (">=", 1)
        times = "" if (op, n) == (">=", 1) else f" {op} {n}x"
        where = f" where {describe(cond['where'])}" if isinstance(cond.get("where"), dict) else ""
        return f"{cond['event']}{where}{times} {when}"
    key = "property" if "property" in cond else "trigger" if "trigger" in cond else None
    if key is None:
        return "?"
    name = cond[key] if key == "property" else f"trigger.{cond[key]}"
    op = cond.get("op", "=")
    if not OPERATORS.get(op, True):
        return f"{name} {op}"
    return f"{name} {op} {_value_text(cond.get('value'))}"
