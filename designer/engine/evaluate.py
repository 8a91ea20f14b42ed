"""Evaluating the condition tree of :mod:`designer.model.conditions`, compiled once per flow.

A condition compiles to a function of a *view*: any object with

* ``now`` (epoch ms) and ``cursor`` (how many history events it may see),
* ``entry_index`` (the trigger event's position; "since flow start" counts
  events after it, and trigger tests read its properties),
* ``customer`` with ``history`` (:class:`~designer.engine.history.History`)
  and ``profile_value(name, now, flow)``, and ``plan.index`` (the flow's number
  in the run: derived facts count orders as that flow's conversion settings say).

A journey is such a view, so splits and the exit rule are evaluated on the
journey itself. Events at or beyond the cursor are never read, which is the
whole of the no-peeking guarantee.

Value semantics, shared by profile, trigger and event-property tests:

* a missing property fails every test except ``!=``, ``not contains``,
  ``not in`` and ``is not set``;
* numbers and numeric text compare as numbers (``"100" = 100``); booleans
  match booleans, 0/1 and the words true/false/yes/no; other text compares
  exactly (case matters);
* ``<``/``>`` compare numbers with numbers and text with text (ISO dates sort
  as text), anything else fails;
* ``contains`` is substring for text and membership for a list; ``in`` is
  membership of the value (or any element of a list value) in the given list;
* ``is set``: present, not null, not empty text or list.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from designer.model import conditions, durations

MISSING = object()
_TRUE_WORDS = {"true": True, "yes": True, "y": True, "1": True, "false": False, "no": False, "n": False, "0": False}
_COUNT_OPS: dict[str, Callable[[int, int], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def as_number(x: Any) -> float | None:
    if isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x) if not (isinstance(x, float) and math.isnan(x)) else None
    if isinstance(x, str):
        try:
            value = float(x)
        except ValueError:
            return None
        return value if math.isfinite(value) else None
    return None


def as_bool(x: Any) -> bool | None:
    if isinstance(x, bool):
        return x
    if isinstance(x, (int, float)) and x in (0, 1):
        return bool(x)
    if isinstance(x, str):
        return _TRUE_WORDS.get(x.strip().lower())
    return None


def is_true(x: Any) -> bool:
    """Whether a profile value grants something (consent): true, 1, 'yes'... Unknown is no."""
    return as_bool(x) is True


def equals(a: Any, b: Any) -> bool:
    if a is MISSING or a is None or b is None:
        return a is b or (a is None and b is None)
    if isinstance(a, bool) or isinstance(b, bool):
        ab, bb = as_bool(a), as_bool(b)
        return ab is not None and ab == bb
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    na, nb = as_number(a), as_number(b)
    if na is not None and nb is not None:
        return na == nb
    return a == b


def _order(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def test(a: Any, b: Any) -> bool:
        if a is MISSING or a is None:
            return False
        na, nb = as_number(a), as_number(b)
        if na is not None and nb is not None and not (isinstance(a, str) and isinstance(b, str)):
            return op(na, nb)
        if isinstance(a, str) and isinstance(b, str):
            if na is not None and nb is not None:
                return op(na, nb)
            return op(a, b)
        return False
    return test


def _contains(a: Any, b: Any) -> bool:
    if isinstance(a, str):
        return isinstance(b, (str, int, float)) and not isinstance(b, bool) and str(b) in a
    if isinstance(a, (list, tuple)):
        return any(equals(x, b) for x in a)
    if isinstance(a, dict):
        return isinstance(b, str) and b in a
    return False


def _in(a: Any, b: Any) -> bool:
    if a is MISSING or a is None or not isinstance(b, (list, tuple)):
        return False
    if isinstance(a, (list, tuple)):
        return any(equals(x, y) for x in a for y in b)
    return any(equals(a, y) for y in b)


def _is_set(a: Any, _b: Any = None) -> bool:
    return not (a is MISSING or a is None or a == "" or (isinstance(a, (list, dict)) and not a))


_ORDER_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}

_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "=": equals,
    "!=": lambda a, b: not equals(a, b),
    "<": _order(operator.lt), "<=": _order(operator.le), ">": _order(operator.gt), ">=": _order(operator.ge),
    "contains": _contains,
    "not contains": lambda a, b: not _contains(a, b),
    "in": _in,
    "not in": lambda a, b: not _in(a, b),
    "is set": _is_set,
    "is not set": lambda a, b: not _is_set(a),
}


def property_test(name: str, op: str, expected: Any) -> Callable[[dict], bool]:
    """One property of an object (an event's or the trigger's properties) tested against a fixed value.

    Built once per rule, so an evaluation is one dictionary lookup and the
    test: comparing with a plain number (``price >= 100``, the usual order
    test) converts that number here rather than at every evaluation. Results
    are those of :func:`test_value` with :func:`lookup`.
    """
    order = _ORDER_OPS.get(op)
    bound = None
    if order is not None and isinstance(expected, (int, float)) and not isinstance(expected, bool):
        bound = as_number(expected)
    dotted = "." in name
    if bound is not None:
        # _order with a non-text number on the right: a number on the left compares, anything else fails.
        def against_number(obj: dict) -> bool:
            value = lookup(obj, name) if dotted else obj.get(name)
            # A plain float or int (nearly always) is its own number: as_number's checks, inline.
            if value.__class__ is float:
                return value == value and order(value, bound)  # NaN is no number
            if value.__class__ is int:
                return order(float(value), bound)
            number = as_number(value)
            return number is not None and order(number, bound)
        return against_number
    test = _TESTS[op]
    if dotted:
        return lambda obj: test(lookup(obj, name), expected)
    return lambda obj: test(obj.get(name, MISSING), expected)


def test_value(op: str, actual: Any, expected: Any) -> bool:
    """One property test; ``actual`` is :data:`MISSING` when the property is absent."""
    return _TESTS[op](actual, expected)


def lookup(obj: dict, name: str) -> Any:
    """A property by name; a dotted name reaches into nested objects (``address.city``)."""
    if name in obj:
        return obj[name]
    if "." in name:
        cur: Any = obj
        for part in name.split("."):
            if isinstance(cur, dict) and part in cur:
                cur = cur[part]
            elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
                cur = cur[int(part)]
            else:
                return MISSING
        return cur
    return MISSING


# -- filters on an event's properties ---------------------------------------
Filter = Callable[[dict], bool]


def compile_filter(cond: Any) -> Filter | None:
    """A predicate on an event's properties; None for no filter (everything passes)."""
    if cond is None:
        return None
    return _filter(cond)


def _filter(cond: dict) -> Filter:
    if "all" in cond:
        parts = [_filter(c) for c in cond["all"]]
        return lambda p: all(f(p) for f in parts)
    if "any" in cond:
        parts = [_filter(c) for c in cond["any"]]
        return lambda p: any(f(p) for f in parts)
    if "not" in cond:
        inner = _filter(cond["not"])
        return lambda p: not inner(p)
    return property_test(cond["property"], cond.get("op", "="), cond.get("value"))


# -- conditions on a journey --------------------------------------------------
Predicate = Callable[[Any], bool]


def compile_condition(cond: Any) -> Predicate:
    if "all" in cond:
        parts = [compile_condition(c) for c in cond["all"]]
        return lambda v: all(f(v) for f in parts)
    if "any" in cond:
        parts = [compile_condition(c) for c in cond["any"]]
        return lambda v: any(f(v) for f in parts)
    if "not" in cond:
        inner = compile_condition(cond["not"])
        return lambda v: not inner(v)
    if "event" in cond:
        return _event_test(cond)
    if "trigger" in cond:
        test = property_test(cond["trigger"], cond.get("op", "="), cond.get("value"))
        return lambda v: test(v.customer.history.props(v.entry_index))  # the trigger event's properties
    name, op, value = cond["property"], cond.get("op", "="), cond.get("value")
    compare = _TESTS[op]
    return lambda v: compare(v.customer.profile_value(name, v.now, v.plan.index), value)


def _event_test(cond: dict) -> Predicate:
    name = cond["event"]
    since = cond.get("since", "flow_start")
    where = compile_filter(cond.get("where"))
    op, n = conditions.count_test(cond)
    compare = _COUNT_OPS[op]
    lookback = durations.parse_ms(since) if since not in conditions.SINCE_WORDS else None

    if where is None and since == "flow_start" and (op, n) == (">=", 1):
        # The usual test ("did purchase since the flow started"), run at every split and
        # exit check: is there a position of the name in [entry + 1, cursor)? One bisection.
        def any_since_start(v: Any) -> bool:
            lst = v.customer.history.by_name.get(name)
            if not lst:
                return False
            k = bisect_left(lst, v.entry_index + 1)
            return k < len(lst) and lst[k] < v.cursor
        return any_since_start

    if where is None and since == "flow_start":
        # Other counts since the flow started: two bisections on the name's positions.
        def since_start(v: Any) -> bool:
            lst = v.customer.history.by_name.get(name)
            if not lst:
                return compare(0, n)
            lo, hi = v.entry_index + 1, v.cursor
            return compare(bisect_left(lst, hi) - bisect_left(lst, lo) if hi > lo else 0, n)
        return since_start

    def count(v: Any) -> int:
        history = v.customer.history
        hi = v.cursor
        if since == "flow_start":
            lo = v.entry_index + 1
        elif since == "ever":
            lo = 0
        else:
            lo = history.first_at_or_after(v.now - lookback)
        if where is None:
            return history.count_between(name, lo, hi)
        return sum(1 for i in history.between(name, lo, hi) if where(history.props(i)))

    return lambda v: compare(count(v), n)


def reads_derived_facts(cond: Any) -> set[str]:
    """The derived facts (order count...) a condition reads, so they are computed only when used."""
    return {
        test["property"]
        for test in conditions.leaf_tests(cond)
        if "property" in test and test["property"] in conditions.DERIVED_FACTS
    }


def reads_profile(cond: Any) -> set[str]:
    """The profile properties a condition tests (derived facts included: a fact a run cannot
    derive is looked up in the profile), so the reader fetches only the columns rules read."""
    return {
        test["property"]
        for test in conditions.leaf_tests(cond)
        if "event" not in test and "trigger" not in test and "property" in test
    }
