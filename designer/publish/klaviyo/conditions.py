"""Our condition tree in Klaviyo's filter shapes.

Klaviyo's filters are ``condition_groups``: every group must hold, and within
a group any one condition is enough (conjunctive normal form). Our trees are
any mix of all / any / not, so they are pushed into that form first: ``not``
flips each leaf's operator (De Morgan), ``all`` joins groups, ``any``
distributes. Each leaf then becomes one Klaviyo condition; a leaf Klaviyo has
no filter for comes back as None with the reason, for the capability report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from typing import Any

from designer.model import durations

#: A leaf with its operator flipped means the negation of the leaf.
NEGATED_OP = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
              "contains": "not contains", "not contains": "contains", "in": "not in", "not in": "in",
              "is set": "is not set", "is not set": "is set"}
NUMERIC_OP = {"=": "equals", "!=": "not-equals", "<": "less-than", "<=": "less-than-or-equal",
              ">": "greater-than", ">=": "greater-than-or-equal"}
NUMERIC_OP_BACK = {v: k for k, v in NUMERIC_OP.items()}
#: Groups a tree may expand to before the report calls it too large to send.
MAX_CONDITIONS = 50
#: Derived facts Klaviyo can compute from the purchase metric, and how.
DERIVED_MEASUREMENT = {"order_count": "count", "total_spent": "sum"}


class Unsupported(Exception):
    """A leaf or tree Klaviyo has no filter for; the message says why."""


@dataclass(frozen=True)
class Leaf:
    test: dict
    negated: bool = False

    def effective(self) -> dict:
        """The leaf with the negation folded into its operator or count."""
        if not self.negated:
            return self.test
        out = dict(self.test)
        if "event" in out:
            (op, n), = (out.get("count") or {">=": 1}).items()
            out["count"] = {NEGATED_OP[op]: n}
            return out
        out["op"] = NEGATED_OP[out.get("op", "=")]
        return out


def cnf(cond: Any, negated: bool = False) -> list[list[Leaf]]:
    """Groups of leaves: every group must hold, any leaf of a group is enough."""
    if "not" in cond:
        return cnf(cond["not"], not negated)
    for key in ("all", "any"):
        if isinstance(cond.get(key), list):
            parts = [cnf(c, negated) for c in cond[key]]
            conjunction = (key == "all") != negated
            if conjunction:
                return [g for p in parts for g in p]
            groups = [[leaf for g in combo for leaf in g] for combo in product(*parts)]
            if sum(len(g) for g in groups) > MAX_CONDITIONS:
                raise Unsupported(f"the condition expands to more than {MAX_CONDITIONS} Klaviyo conditions")
            return groups
    return [[Leaf(cond, negated)]]


def value_filter(op: str, value: Any) -> dict:
    """The Klaviyo filter for one comparison; Unsupported when none fits."""
    if op in ("is set", "is not set"):
        return {"type": "existence", "operator": "is-set" if op == "is set" else "not-set"}
    if op in ("in", "not in"):
        if not all(isinstance(v, str) for v in value):
            raise Unsupported(f"Klaviyo's '{op}' takes text values only, got {value!r}")
        return {"type": "string", "operator": op.replace(" ", "-"), "value": list(value)}
    if op in ("contains", "not contains"):
        if not isinstance(value, str):
            raise Unsupported(f"'{op}' needs a text value in Klaviyo, got {value!r}")
        return {"type": "string", "operator": op.replace(" ", "-"), "value": value}
    if isinstance(value, bool):
        if op not in ("=", "!="):
            raise Unsupported(f"true/false compares only with = or != in Klaviyo, not {op!r}")
        return {"type": "boolean", "operator": "equals", "value": value if op == "=" else not value}
    if isinstance(value, (int, float)):
        return {"type": "numeric", "operator": NUMERIC_OP[op], "value": value}
    if isinstance(value, str) and op in ("=", "!="):
        return {"type": "string", "operator": "equals" if op == "=" else "not-equals", "value": value}
    raise Unsupported(f"Klaviyo has no filter for {op!r} with {value!r}")


def timeframe(since: str) -> dict:
    if since == "flow_start":
        return {"type": "date", "operator": "flow-start"}
    if since == "ever":
        return {"type": "date", "operator": "alltime"}
    seconds = durations.parse_seconds(since)
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600)):
        if seconds % size == 0:
            return {"type": "date", "operator": "in-the-last", "unit": unit, "quantity": int(seconds // size)}
    raise Unsupported(f"'in the last {durations.humanize(since)}' is not whole hours, which Klaviyo needs")


def metric_filters(where: Any) -> list[dict]:
    """An event test's ``where`` as Klaviyo ``metric_filters`` (all must hold)."""
    if where is None:
        return []
    groups = cnf(where)
    if any(len(g) != 1 for g in groups):
        raise Unsupported("Klaviyo's metric filters must all hold: an 'any' in an event filter does not fit")
    out = []
    for (leaf,) in groups:
        test = leaf.effective()
        out.append({"property": test["property"], "filter": value_filter(test.get("op", "="), test.get("value"))})
    return out


def profile_metric(metric_id: str, measurement: str, op: str, n: Any, since: str,
                   where: Any = None) -> dict:
    out = {"type": "profile-metric", "metric_id": metric_id, "measurement": measurement,
           "measurement_filter": {"type": "numeric", "operator": NUMERIC_OP[op], "value": n},
           "timeframe_filter": timeframe(since)}
    filters = metric_filters(where)
    if filters:
        out["metric_filters"] = filters
    return out


def profile_condition(test: dict, metric_id: Callable[[str], str]) -> dict:
    """One profile or history leaf as a Klaviyo profile condition."""
    if "event" in test:
        (op, n), = (test.get("count") or {">=": 1}).items()
        return profile_metric(metric_id(test["event"]), "count", op, n, test.get("since", "flow_start"),
                              test.get("where"))
    if "trigger" in test:
        raise Unsupported("a test on the trigger event cannot sit beside profile tests in one Klaviyo split")
    prop, op = test["property"], test.get("op", "=")
    if prop in DERIVED_MEASUREMENT:
        if op not in NUMERIC_OP or not isinstance(test.get("value"), (int, float)):
            raise Unsupported(f"{prop} compares with a number in Klaviyo")
        return profile_metric(metric_id("purchase"), DERIVED_MEASUREMENT[prop], op, test["value"], "ever")
    if prop in ("days_since_last_order", "first_seen", "last_seen"):
        raise Unsupported(f"Klaviyo has no profile filter for the derived fact {prop!r}")
    return {"type": "profile-property", "property": prop, "filter": value_filter(op, test.get("value"))}


def metric_property(test: dict, key: str, metric_id: str) -> dict:
    """A test on the trigger event's property (``key`` names the property field)."""
    return {"type": "metric-property", "metric_id": metric_id, "field": test[key],
            "filter": value_filter(test.get("op", "="), test.get("value"))}


def groups_of(conditions: list[list[dict]]) -> dict:
    return {"condition_groups": [{"conditions": g} for g in conditions]}


def profile_filter(cond: Any, metric_id: Callable[[str], str], negated: bool = False) -> dict:
    """A whole tree as a Klaviyo ``profile_filter``; Unsupported names the first leaf that does not fit."""
    return groups_of([[profile_condition(leaf.effective(), metric_id) for leaf in g]
                      for g in cnf(cond, negated)])


def trigger_filter(cond: Any, key: str, metric_id: str) -> dict:
    """A tree of trigger-property tests (``key`` "trigger") or event filters (``key`` "property")."""
    return groups_of([[metric_property(leaf.effective(), key, metric_id) for leaf in g] for g in cnf(cond)])


def leaves(cond: Any) -> list[dict]:
    return [leaf.test for g in cnf(cond) for leaf in g]
