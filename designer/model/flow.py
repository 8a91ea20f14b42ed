"""The flow being drawn: nodes, edges and settings, with change notifications.

The editor mirrors this object and never holds flow state of its own; every
edit goes through one of the mutating methods below, each of which tells the
listeners exactly what changed. Node ids are stable strings ("n7") so that
undo, copy/paste and the file survive edits.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from designer.model import kinds
from designer.model.jsonform import edge_to_json, node_to_json
from designer.model.kind import NodeConfig, Parsed
from designer.model.kinds import KINDS
from designer.model.settings import Settings


class Node:
    """A node: its file form (``config``, the JSON dict saved and snapshotted by undo) and,
    beside it, the config typed and checked by its kind (``parsed``, ``typed``), parsed once
    per config and refreshed whenever ``config`` or ``kind`` is assigned.

    Replace ``config`` rather than changing it in place (``Flow.set_config`` does), so the
    typed config never goes stale.
    """

    __slots__ = ("id", "kind", "x", "y", "_config", "_parsed", "_parsed_kind")

    def __init__(self, id: str, kind: str, x: float = 0.0, y: float = 0.0,
                 config: dict[str, Any] | None = None) -> None:
        self.id = id
        #: A plain attribute (read everywhere, often); the parse below remembers the kind it was for.
        self.kind = kind
        self.x = x
        self.y = y
        self._config: dict[str, Any] = {} if config is None else config
        self._parsed: Parsed | None = None
        self._parsed_kind: str | None = None

    @property
    def config(self) -> dict[str, Any]:
        return self._config

    @config.setter
    def config(self, value: dict[str, Any]) -> None:
        self._config, self._parsed = value, None

    @property
    def parsed(self) -> Parsed:
        """The config checked by its kind: the typed model, or the problems (paths within config)."""
        if self._parsed is None or self._parsed_kind != self.kind:
            self._parsed, self._parsed_kind = kinds.parse(self.kind, self._config), self.kind
        return self._parsed

    @property
    def typed(self) -> NodeConfig | None:
        """The typed config, or None when the config has problems."""
        return self.parsed.config

    def set_parsed(self, parsed: Parsed) -> None:
        """Take a parse done elsewhere for this very config (the loader parses nodes in bulk)."""
        self._parsed, self._parsed_kind = parsed, self.kind

    def output_ports(self) -> tuple[str, ...]:
        spec = KINDS.get(self.kind)
        return spec.output_ports(self._config) if spec else ()

    def summary(self) -> str:
        """The card line."""
        spec = KINDS.get(self.kind)
        return spec.summary(self._config, self.parsed) if spec else ""

    def clone(self, new_id: str | None = None) -> "Node":
        out = Node(new_id or self.id, self.kind, self.x, self.y, copy.deepcopy(self._config))
        out._parsed, out._parsed_kind = self._parsed, self._parsed_kind  # typed configs are immutable: the copy shares the parse
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return (self.id, self.kind, self.x, self.y, self._config) == (other.id, other.kind, other.x, other.y,
                                                                       other._config)

    __hash__ = None  # type: ignore[assignment]  (mutable, like the dataclass it replaced)

    def __repr__(self) -> str:
        return f"Node(id={self.id!r}, kind={self.kind!r}, x={self.x!r}, y={self.y!r}, config={self._config!r})"


class Edge(NamedTuple):
    """An edge from a node's port to a node. Immutable and compared by value; a tuple, since a
    big flow makes tens of thousands of them at once and a tuple is the cheapest value to make."""

    source: str
    target: str
    port: str = "next"


@dataclass(frozen=True)
class Change:
    """What changed: ``what`` is one of node_added, node_removed, node_moved,
    node_config, edge_added, edge_removed, settings, name, reset."""

    what: str
    node: str | None = None
    edge: Edge | None = None


Listener = Callable[[Change], None]


class Flow:
    def __init__(self, id: str = "untitled", name: str = "Untitled flow",
                 settings: Settings | None = None) -> None:
        self.id = id
        self.name = name
        self.settings = settings or Settings()
        self.description = ""
        #: What was published where (target -> record); publishers may write only this.
        self.publish: dict[str, Any] = {}
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        # Adjacency maps, so per-edge checks in the editor never scan every edge.
        self._out: dict[str, list[Edge]] = {}
        self._in: dict[str, list[Edge]] = {}
        self._listeners: list[Listener] = []
        self._next_id = 1

    # -- listeners ---------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- queries -----------------------------------------------------------
    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def trigger(self) -> Node | None:
        return next((n for n in self.nodes.values() if n.kind == "trigger"), None)

    def edges_from(self, node_id: str) -> list[Edge]:
        return list(self._out.get(node_id, ()))

    def edges_to(self, node_id: str) -> list[Edge]:
        return list(self._in.get(node_id, ()))

    def successor(self, node_id: str, port: str) -> str | None:
        """The node a journey goes to from ``port``; None when the branch ends there."""
        for e in self._out.get(node_id, ()):
            if e.port == port:
                return e.target
        return None

    def _index(self) -> None:
        self._out, self._in = {}, {}
        for e in self.edges:
            self._out.setdefault(e.source, []).append(e)
            self._in.setdefault(e.target, []).append(e)

    def new_id(self) -> str:
        """One past the highest ``n<number>`` id, so a deleted node's id is not handed out again."""
        highest = max((int(i[1:]) for i in self.nodes if i[:1] == "n" and i[1:].isdigit()), default=0)
        self._next_id = max(self._next_id, highest + 1)
        return f"n{self._next_id}"

    # -- edits -------------------------------------------------------------
    def add_node(self, node: Node, index: int | None = None) -> Node:
        """Add a node; ``index`` puts it back at its old place in the file order (undo)."""
        if node.id in self.nodes:
            raise ValueError(f"node id {node.id!r} already exists")
        if index is None or index >= len(self.nodes):
            self.nodes[node.id] = node
        else:
            items = list(self.nodes.items())
            items.insert(max(index, 0), (node.id, node))
            self.nodes = dict(items)
        self._emit(Change("node_added", node=node.id))
        return node

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and its edges; returns both so an undo can put them back."""
        edges = list(dict.fromkeys(self._out.get(node_id, []) + self._in.get(node_id, [])))
        for e in edges:
            self.remove_edge(e)
        node = self.nodes.pop(node_id)
        self._emit(Change("node_removed", node=node_id))
        return node, edges

    def move_node(self, node_id: str, x: float, y: float) -> None:
        node = self.nodes[node_id]
        node.x, node.y = float(x), float(y)
        self._emit(Change("node_moved", node=node_id))

    def set_config(self, node_id: str, config: dict[str, Any]) -> None:
        """Change a node's config; edges follow a renamed output port.

        An A/B split's ports are its variant names, so renaming variant "A" to
        "Control" must carry the edge on "A" along, or the branch would come
        loose. Ports are matched by position when their number is unchanged;
        applying the old config again moves the edges back, so undo needs
        nothing extra.
        """
        node = self.nodes[node_id]
        old_ports = node.output_ports()
        new_ports = Node(node.id, node.kind, config=config).output_ports()
        renamed = {o: n for o, n in zip(old_ports, new_ports) if o != n} if len(old_ports) == len(new_ports) else {}
        moved = [(self.edges.index(e), e) for e in self._out.get(node_id, []) if e.port in renamed]
        for _, edge in moved:
            self.remove_edge(edge)
        node.config = copy.deepcopy(config)
        self._emit(Change("node_config", node=node_id))
        for index, edge in sorted(moved, key=lambda m: m[0]):
            self.add_edge(Edge(edge.source, edge.target, renamed[edge.port]), index)

    def add_edge(self, edge: Edge, index: int | None = None) -> Edge:
        """Add an edge; ``index`` puts it back at its old place in the file order (undo)."""
        if index is None or index >= len(self.edges):
            self.edges.append(edge)
            self._out.setdefault(edge.source, []).append(edge)
            self._in.setdefault(edge.target, []).append(edge)
        else:
            self.edges.insert(max(index, 0), edge)
            self._index()
        self._emit(Change("edge_added", edge=edge))
        return edge

    def remove_edge(self, edge: Edge) -> None:
        self.edges.remove(edge)
        self._out[edge.source].remove(edge)
        self._in[edge.target].remove(edge)
        self._emit(Change("edge_removed", edge=edge))

    def set_settings(self, settings: Settings) -> None:
        self.settings = settings
        self._emit(Change("settings"))

    def set_name(self, name: str) -> None:
        self.name = name
        self._emit(Change("name"))

    def load_parts(self, nodes: list[Node], edges: list[Edge]) -> None:
        """Fill an empty flow in one go (the file loader), with one reset notice."""
        assert not self.nodes and not self.edges
        self.nodes = {n.id: n for n in nodes}
        self.edges = list(edges)
        self._index()
        self._emit(Change("reset"))

    def replace_with(self, other: "Flow") -> None:
        """Take another flow's content (open, revert) and tell listeners to rebuild."""
        self.id, self.name, self.settings = other.id, other.name, other.settings
        self.description, self.publish = other.description, copy.deepcopy(other.publish)
        self.nodes = {k: n.clone() for k, n in other.nodes.items()}
        self.edges = list(other.edges)
        self._index()
        self._next_id = 1
        self._emit(Change("reset"))

    def copy(self) -> "Flow":
        out = Flow(self.id, self.name, self.settings)
        out.description, out.publish = self.description, copy.deepcopy(self.publish)
        out.nodes = {k: n.clone() for k, n in self.nodes.items()}
        out.edges = list(self.edges)
        out._index()
        return out

    def subgraph_json(self, node_ids: Iterable[str]) -> dict:
        """Nodes and the edges among them, as file JSON, for copy and delete snapshots."""
        ids = [i for i in self.nodes if i in set(node_ids)]
        keep = set(ids)
        return {
            "nodes": [node_to_json(self.nodes[i]) for i in ids],
            "edges": [edge_to_json(self, e) for e in self.edges if e.source in keep and e.target in keep],
        }
