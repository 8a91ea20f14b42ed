"""Flows as hostile input: a small sound flow, hostile values, and the rule every flow must keep.

The rule (issue "flows that pass validation and then crash"): loading either
refuses a file with a FlowFormatError that says where, or gives a flow; a flow
``validate`` accepts is accepted by ``simulate`` (on a tiny store), saved,
hashed and summarised on its cards without an exception.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from designer.engine.simulate import flow_hash, simulate
from designer.model import io
from designer.model.errors import FlowFormatError
from designer.model.flow import Flow
from designer.model.validate import ERROR, Problem, validate

from tests.engine.tinystore import TinyStore, at


def sound_flow() -> dict:
    """Trigger, delay, split, email / update, wait_for, A/B, sms, webhook, exit: every kind once."""
    return {
        "format": "trigger-flow", "version": 1, "id": "hostile", "name": "Hostile",
        "settings": {"reentry": {"mode": "always"}, "exit_when": {"event": "purchase"},
                     "smart_sending": "PT1H", "quiet_hours": {"start": "22:00", "end": "07:00"},
                     "conversion": {"event": "purchase", "value": "price", "window": "P2D"},
                     "consent": {"property": "consent"}, "timezone": "Europe/Berlin"},
        "nodes": [
            {"id": "n1", "kind": "trigger", "x": 0, "y": 0,
             "config": {"event": "add_to_cart", "key": "cart_id",
                        "where": {"property": "price", "op": ">", "value": 1}}},
            {"id": "n2", "kind": "delay", "x": 0, "y": 100,
             "config": {"duration": "PT1H", "until": {"time": "10:00", "weekdays": ["mon", "fri"]}}},
            {"id": "n3", "kind": "split", "x": 0, "y": 200,
             "config": {"condition": {"any": [{"event": "view", "since": "P2D", "count": {">=": 2}},
                                              {"not": {"property": "tier", "op": "in", "value": ["gold"]}},
                                              {"trigger": "price", "op": ">=", "value": 10}]}}},
            {"id": "n4", "kind": "send_email", "x": 0, "y": 300,
             "config": {"template": "t", "subject": "Hi {{ first_name }}", "preview_text": "p"}},
            {"id": "n5", "kind": "update_profile", "x": 200, "y": 300,
             "config": {"set": {"tier": "silver", "score": 3}, "unset": ["old"], "add_to_list": "L"}},
            {"id": "n6", "kind": "wait_for", "x": 0, "y": 400,
             "config": {"event": "purchase", "timeout": "P1D", "where": {"property": "price", "op": ">", "value": 0},
                        "end_ports": ["event"]}},
            {"id": "n7", "kind": "ab_split", "x": 0, "y": 500,
             "config": {"variants": [{"name": "A", "percent": 50}, {"name": "B", "percent": 50}]}},
            {"id": "n8", "kind": "send_sms", "x": 0, "y": 600, "config": {"body": "hi"}},
            {"id": "n9", "kind": "webhook", "x": 200, "y": 600,
             "config": {"url": "https://example.com/h", "method": "POST", "body": "{}"}},
            {"id": "n10", "kind": "exit", "x": 0, "y": 700, "config": {}},
        ],
        "edges": [
            {"from": "n1", "to": "n2"}, {"from": "n2", "to": "n3"},
            {"from": "n3", "port": "yes", "to": "n4"}, {"from": "n3", "port": "no", "to": "n5"},
            {"from": "n4", "to": "n6"}, {"from": "n5", "to": "n6"},
            {"from": "n6", "port": "timeout", "to": "n7"},
            {"from": "n7", "port": "A", "to": "n8"}, {"from": "n7", "port": "B", "to": "n9"},
            {"from": "n8", "to": "n10"},
        ],
    }


_STORE: TinyStore | None = None


def tiny_store() -> TinyStore:
    """Two customers with carts, views and purchases over a week (made once, read by every example)."""
    global _STORE
    if _STORE is None:
        store = TinyStore()
        store.customer("a", tier="gold")
        store.customer("b", consent=0, timezone="America/New_York")
        for day in range(4):
            store.event("a", "add_to_cart", at(day, "09:00"), cart_id=f"c{day}", price=12.5)
            store.event("a", "view", at(day, "11:00"))
            store.event("b", "add_to_cart", at(day, "20:00"), cart_id="x", price="30")
            store.event("b", "purchase", at(day + 1, "08:00"), price=30)
        _STORE = store
    return _STORE


def outcome(text: str) -> tuple[str, Any]:
    """What the program makes of a flow file: ("unreadable", error), ("invalid", problems) or
    ("accepted", flow). Any other exception fails the calling test."""
    try:
        flow = io.loads(text, file="hostile.json")
    except FlowFormatError as exc:
        assert exc.path or exc.line, f"an unreadable file must say where: {exc}"
        str(exc).encode("utf-8")  # the message itself can be printed
        return "unreadable", exc
    problems = validate(flow)
    for p in problems:
        p.message.encode("utf-8")
    errors = [p for p in problems if p.severity == ERROR]
    # The editor shows every flow it opens, valid or not: cards, saving, snapshots.
    for node in flow.nodes.values():
        node.summary()
        node.output_ports()
    io.dumps(flow)
    flow.subgraph_json(list(flow.nodes))
    if errors:
        for p in errors:
            assert p.node is not None or p.path is not None or p.code in ("no-trigger",), p
        return "invalid", errors
    return "accepted", flow


def check_accepted(flow: Flow) -> None:
    """What validate accepts, the engine runs and the run is stored under its hash."""
    flow_hash(flow)
    simulate(flow, tiny_store().engine)


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=True)


def at_path(data: dict, path: list, value: Any) -> dict:
    """A copy of ``data`` with the value at ``path`` (keys and indexes) replaced."""
    out = copy.deepcopy(data)
    target = out
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return out


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path in a JSON value (each object key and list index), the value itself first."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(paths(v, prefix + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(paths(v, prefix + (i,)))
    return out


__all__ = ["Problem", "at_path", "check_accepted", "dumps", "outcome", "paths", "sound_flow", "tiny_store"]
