"""Turning a flow into a target's linked steps: the part every compiler shares.

Each target registers, per node kind, a mapping from a node to a
:class:`Fragment`: the target's steps for that node, and for each output port
the setters that write "what comes next" into those steps. :func:`compile_nodes`
runs the mappings in the order a journey meets the nodes (the trigger first);
:func:`wire` then hands every setter the id of the first step of the node its
port leads to, or None where the branch ends. A node with no steps of its own
(a trigger, an exit) stands for whatever follows its ``passthrough`` port.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from designer.model.flow import Flow, Node
from designer.publish.report import Report

Setter = Callable[["str | None"], None]


@dataclass
class Fragment:
    items: list[dict] = field(default_factory=list)
    outs: dict[str, list[Setter]] = field(default_factory=dict)
    passthrough: str | None = None


def journey_order(flow: Flow) -> list[str]:
    """Nodes depth-first from the trigger, ports in their declared order."""
    start = flow.trigger()
    if start is None:
        return []
    seen: dict[str, None] = {}
    stack = [start.id]
    while stack:
        nid = stack.pop()
        if nid in seen or nid not in flow.nodes:
            continue
        seen[nid] = None
        ports = flow.nodes[nid].output_ports()
        stack.extend(t for t in (flow.successor(nid, p) for p in reversed(ports)) if t)
    return list(seen)


def compile_nodes(flow: Flow, mappings: Mapping[str, Callable[[Any, Node], Fragment]], ctx: Any,
                  report: Report) -> dict[str, Fragment]:
    order = journey_order(flow)
    order.sort(key=lambda nid: flow.nodes[nid].kind != "trigger")  # later nodes may read the trigger
    out: dict[str, Fragment] = {}
    for nid in order:
        node = flow.nodes[nid]
        mapping = mappings.get(node.kind)
        if mapping is None:
            report.error(nid, f"the node kind {node.kind!r} has no {report.target} mapping")
            out[nid] = Fragment()
        else:
            out[nid] = mapping(ctx, node)
    return out


@dataclass
class Wired:
    items: list[dict]
    #: The node each item came from, by position.
    item_nodes: list[str]
    entry_of: Callable[[str | None], "str | None"]


def wire(flow: Flow, fragments: dict[str, Fragment], id_key: str) -> Wired:
    entries: dict[str, str | None] = {}

    def entry_of(nid: str | None, path: frozenset = frozenset()) -> str | None:
        if nid is None or nid not in fragments or nid in path:
            return None
        if nid not in entries:
            frag = fragments[nid]
            if frag.items:
                entries[nid] = frag.items[0][id_key]
            else:
                nxt = flow.successor(nid, frag.passthrough) if frag.passthrough else None
                entries[nid] = entry_of(nxt, path | {nid})
        return entries[nid]

    items: list[dict] = []
    item_nodes: list[str] = []
    for nid in journey_order(flow):
        frag = fragments[nid]
        for port, setters in frag.outs.items():
            target = entry_of(flow.successor(nid, port))
            for setter in setters:
                setter(target)
        items.extend(frag.items)
        item_nodes.extend([nid] * len(frag.items))
    return Wired(items, item_nodes, entry_of)
