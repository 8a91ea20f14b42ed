"""The file form of nodes and edges: stable key order and numbers, so a saved flow diffs cleanly.

Shared by the file writer (``io``) and the flow's own snapshots (copy, delete
and undo keep nodes as file JSON), so neither imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from designer.model.kinds import KINDS

if TYPE_CHECKING:
    from designer.model.flow import Edge, Flow, Node

#: Key order inside configs and settings: the words people read first, then the rest alphabetically.
_KEY_RANK = {k: i for i, k in enumerate((
    "mode", "cooldown", "all", "any", "not", "event", "property", "trigger", "op", "value", "since",
    "where", "count", "key", "duration", "until", "time", "weekdays", "timeout", "condition", "variants",
    "name", "percent", "template", "subject", "preview_text", "from_email", "from_name", "body", "url",
    "method", "set", "unset", "add_to_list", "remove_from_list", "start", "end", "window"))}



def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (_KEY_RANK.get(k, len(_KEY_RANK)), k))
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def number(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(v, 2)


def node_to_json(node: "Node") -> dict:
    return {"id": node.id, "kind": node.kind, "x": number(node.x), "y": number(node.y),
            "config": _ordered(node.config)}


def edge_to_json(flow: "Flow", edge: "Edge") -> dict:
    out = {"from": edge.source, "to": edge.target}
    source = flow.nodes.get(edge.source)
    spec = KINDS.get(source.kind) if source else None
    if spec is None or spec.ports_of is not None or len(spec.ports) != 1 or edge.port != spec.ports[0]:
        out["port"] = edge.port
    return out
