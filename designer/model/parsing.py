"""Parsing many nodes' configs at once (the loader), with one validation call per kind.

Parsing node by node costs a call into pydantic per node; a flow of 10,000
nodes has ten kinds, so the loader validates each kind's configs as one list
and falls back to node by node only for a kind with a problem, where each
node needs its own messages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

from designer.model import bounds
from designer.model.errors import FlowFormatError
from designer.model.kind import CONFIG_DEPTH, Kind, NodeConfig, Parsed
from designer.model.kinds import KINDS, parse

if TYPE_CHECKING:
    from designer.model.flow import Node

_LISTS: dict[str, TypeAdapter] = {}


def _list_of(spec: Kind) -> TypeAdapter:
    adapter = _LISTS.get(spec.name)
    if adapter is None:
        adapter = _LISTS[spec.name] = TypeAdapter(list[spec.config])
    return adapter


def _check_bounds(node: "Node", index: dict[str, int]) -> None:
    """A config that did not parse may hold anything: one outside the limits makes the file unreadable
    (the editor could not even save it), named by its path."""
    try:
        bounds.check(node.config, f"nodes[{index[node.id]}].config", CONFIG_DEPTH)
    except bounds.BoundsError as exc:
        raise FlowFormatError(exc.message, path=exc.path, node=node.id) from None


def parse_nodes(nodes: list["Node"]) -> None:
    """Parse every node's config and cache it on the node; raises FlowFormatError for a config
    outside the size limits (see ``bounds``)."""
    index = {node.id: i for i, node in enumerate(nodes)}
    groups: dict[str, list["Node"]] = {}
    for node in nodes:
        groups.setdefault(node.kind, []).append(node)
    for kind_name, group in groups.items():
        spec = KINDS.get(kind_name)
        if spec is None:
            for node in group:
                _check_bounds(node, index)
                node.set_parsed(parse(kind_name, node.config))
            continue
        try:
            typed: list[NodeConfig] = _list_of(spec).validate_python([n.config for n in group])
        except ValidationError:
            for node in group:
                _check_bounds(node, index)
                node.set_parsed(spec.parse(node.config, bounded=True))
            continue
        for node, config in zip(group, typed):
            node.set_parsed(spec.check_end_ports(config, node.config) if config.end_ports else Parsed(config))
