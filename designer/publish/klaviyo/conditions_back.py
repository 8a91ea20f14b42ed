"""Klaviyo's condition groups back into our condition tree (the pull direction).

Groups all hold and any condition of a group is enough, so a filter reads
back as ``all`` of ``any``; one-item lists are unwrapped. A condition with no
counterpart raises :class:`Untranslatable` naming its type, for the report.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from designer.publish.klaviyo.conditions import NEGATED_OP, NUMERIC_OP_BACK


class Untranslatable(Exception):
    pass


def _op_value(flt: dict) -> tuple[str, Any]:
    kind, op = flt.get("type"), flt.get("operator")
    if kind == "existence":
        return ("is set" if op == "is-set" else "is not set"), None
    if kind == "boolean" and op == "equals":
        return "=", flt["value"]
    if kind == "numeric" and op in NUMERIC_OP_BACK:
        return NUMERIC_OP_BACK[op], flt["value"]
    if kind == "string":
        ops = {"equals": "=", "not-equals": "!=", "contains": "contains", "not-contains": "not contains",
               "in": "in", "not-in": "not in"}
        if op in ops:
            return ops[op], flt["value"]
    raise Untranslatable(f"a {kind} filter with operator {op!r}")


def _leaf(key: str, name: str, flt: dict) -> dict:
    op, value = _op_value(flt)
    out = {key: name, "op": op}
    if value is not None:
        out["value"] = value
    return out


def _since(tf: dict) -> str:
    op = tf.get("operator")
    if op == "flow-start":
        return "flow_start"
    if op == "alltime":
        return "ever"
    if op == "in-the-last":
        unit, n = tf["unit"], int(tf["quantity"])
        return {"hour": f"PT{n}H", "day": f"P{n}D", "week": f"P{n}W"}[unit]
    raise Untranslatable(f"the timeframe {op!r}")


def condition(c: dict, event_of: Callable[[str], str]) -> dict:
    kind = c.get("type")
    if kind == "profile-property":
        return _leaf("property", c["property"], c["filter"])
    if kind == "metric-property":
        return _leaf("trigger", c["field"], c["filter"])
    if kind == "profile-metric":
        flt = c["measurement_filter"]
        op = NUMERIC_OP_BACK.get(flt.get("operator"))
        if op is None:
            raise Untranslatable(f"the count operator {flt.get('operator')!r}")
        event = event_of(c["metric_id"])
        if c.get("measurement") == "sum":
            if event != "purchase" or _since(c["timeframe_filter"]) != "ever":
                raise Untranslatable("a sum over a metric other than all-time orders")
            return {"property": "total_spent", "op": op, "value": flt["value"]}
        out: dict[str, Any] = {"event": event, "since": _since(c["timeframe_filter"]),
                               "count": {op: int(flt["value"])}}
        wheres = [_leaf("property", f["property"], f["filter"]) for f in c.get("metric_filters") or []]
        if wheres:
            out["where"] = wheres[0] if len(wheres) == 1 else {"all": wheres}
        return out
    raise Untranslatable(f"the {kind} condition")


def negate(leaf: dict) -> dict:
    out = dict(leaf)
    if "event" in out:
        (op, n), = out["count"].items()
        out["count"] = {NEGATED_OP[op]: n}
    elif out.get("op") == "=" and isinstance(out.get("value"), bool):
        out["value"] = not out["value"]
    else:
        out["op"] = NEGATED_OP[out["op"]]
    return out


def _join(key: str, items: list[dict]) -> dict:
    return items[0] if len(items) == 1 else {key: items}


def tree(groups: list[dict], event_of: Callable[[str], str], negated: bool = False) -> dict:
    """``all`` of ``any`` (or, negated, ``any`` of ``all`` of flipped leaves)."""
    parts = []
    for g in groups:
        leaves = [condition(c, event_of) for c in g["conditions"]]
        parts.append(_join("all", [negate(x) for x in leaves]) if negated else _join("any", leaves))
    return _join("any" if negated else "all", parts)
