"""The undo commands: every edit of a flow in the editor is one of these.

Each command changes the model only through Flow's mutating methods, so the
scene (which listens to the flow) follows undo and redo like any other edit.
Commands that remove or add several nodes keep a JSON snapshot (the flow
file's own node and edge shapes) rather than live objects, so a redo after an
undo rebuilds exactly what was there, with the same ids and file order.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from PySide6.QtGui import QUndoCommand

from designer.model.flow import Edge, Flow, Node
from designer.model.settings import Settings

#: Set on every command by the Document: a context in which the flow's many change
#: notices (an auto-layout moves every node) become one ``Document.changed`` signal.
Batch = Callable[[], AbstractContextManager]


def _no_batch() -> AbstractContextManager:
    return contextlib.nullcontext()


class FlowCommand(QUndoCommand):
    """Base of the editor's commands: ``forward``/``backward`` run inside the document's batch."""

    batch: Batch = staticmethod(_no_batch)

    def redo(self) -> None:
        with self.batch():
            self.forward()

    def undo(self) -> None:
        with self.batch():
            self.backward()

    def forward(self) -> None:
        raise NotImplementedError

    def backward(self) -> None:
        raise NotImplementedError


# Command ids for QUndoCommand.mergeWith: only commands with the same id merge.
MOVE_ID, CONFIG_ID, SETTINGS_ID, NAME_ID = 1001, 1002, 1003, 1004


def node_from_json(data: dict) -> Node:
    """A Node from the file's node object (as made by io.node_to_json)."""
    return Node(str(data["id"]), str(data["kind"]), float(data.get("x", 0)), float(data.get("y", 0)),
                copy.deepcopy(data.get("config") or {}))


class AddNodesCommand(FlowCommand):
    """Add nodes and edges among them (new node, paste, duplicate)."""

    def __init__(self, flow: Flow, nodes: list[Node], edges: list[Edge], text: str) -> None:
        super().__init__(text)
        self.flow = flow
        self.nodes = [n.clone() for n in nodes]
        self.edges = list(edges)

    def forward(self) -> None:
        for node in self.nodes:
            self.flow.add_node(node.clone())
        for edge in self.edges:
            self.flow.add_edge(edge)

    def backward(self) -> None:
        for edge in reversed(self.edges):
            self.flow.remove_edge(edge)
        for node in reversed(self.nodes):
            self.flow.remove_node(node.id)


class RemoveNodesCommand(FlowCommand):
    """Delete nodes with every edge touching them; undo puts all back in file order."""

    def __init__(self, flow: Flow, ids: list[str], text: str = "Delete") -> None:
        super().__init__(text)
        self.flow = flow
        wanted = set(ids)
        # The snapshot: node JSON with each node's place in the file, and every
        # edge touching a removed node (internal or not) with its place.
        self.snapshot = flow.subgraph_json(wanted)
        order = {nid: i for i, nid in enumerate(flow.nodes)}
        self.node_rows = [(order[n["id"]], n) for n in self.snapshot["nodes"]]
        self.edge_rows = [(i, {"from": e.source, "to": e.target, "port": e.port})
                          for i, e in enumerate(flow.edges) if e.source in wanted or e.target in wanted]

    def forward(self) -> None:
        for _, data in self.node_rows:
            self.flow.remove_node(data["id"])

    def backward(self) -> None:
        for index, data in self.node_rows:
            self.flow.add_node(node_from_json(data), index)
        for index, data in self.edge_rows:
            self.flow.add_edge(Edge(data["from"], data["to"], data["port"]), index)


class ConnectCommand(FlowCommand):
    def __init__(self, flow: Flow, edge: Edge) -> None:
        super().__init__(f"Connect {edge.source} {edge.port} to {edge.target}")
        self.flow, self.edge = flow, edge

    def forward(self) -> None:
        self.flow.add_edge(self.edge)

    def backward(self) -> None:
        self.flow.remove_edge(self.edge)


class DisconnectCommand(FlowCommand):
    def __init__(self, flow: Flow, edge: Edge) -> None:
        super().__init__(f"Disconnect {edge.source} {edge.port} from {edge.target}")
        self.flow, self.edge = flow, edge
        self.index = flow.edges.index(edge)

    def forward(self) -> None:
        self.flow.remove_edge(self.edge)

    def backward(self) -> None:
        self.flow.add_edge(self.edge, self.index)


class MoveNodesCommand(FlowCommand):
    """Move nodes; consecutive moves of the same set of nodes merge (arrow keys, nudges)."""

    def __init__(self, flow: Flow, moves: dict[str, tuple[float, float]], text: str = "Move",
                 mergeable: bool = True) -> None:
        super().__init__(text)
        self.flow = flow
        self.new = {k: (float(x), float(y)) for k, (x, y) in moves.items()}
        self.old = {k: (flow.nodes[k].x, flow.nodes[k].y) for k in moves}
        self.mergeable = mergeable

    def id(self) -> int:
        return MOVE_ID if self.mergeable else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, MoveNodesCommand) or not other.mergeable or other.new.keys() != self.new.keys():
            return False
        self.new = dict(other.new)
        if self.new == self.old:
            self.setObsolete(True)
        return True

    def _apply(self, where: dict[str, tuple[float, float]]) -> None:
        for node_id, (x, y) in where.items():
            node = self.flow.nodes.get(node_id)
            if node is not None and (node.x, node.y) != (x, y):
                self.flow.move_node(node_id, x, y)

    def forward(self) -> None:
        self._apply(self.new)

    def backward(self) -> None:
        self._apply(self.old)


class _MergingValueCommand(FlowCommand):
    """A value change that merges with the next one carrying the same merge key (typing)."""

    command_id = -1

    def __init__(self, old: Any, new: Any, merge_key: str | None, text: str) -> None:
        super().__init__(text)
        self.old, self.new, self.merge_key = old, new, merge_key

    def id(self) -> int:
        return self.command_id if self.merge_key is not None else -1

    def same_target(self, other: "_MergingValueCommand") -> bool:
        return True

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (type(other) is not type(self) or other.merge_key is None
                or other.merge_key != self.merge_key or not self.same_target(other)):
            return False
        self.new = other.new
        if self.new == self.old:
            self.setObsolete(True)
        return True


class SetConfigCommand(_MergingValueCommand):
    command_id = CONFIG_ID

    def __init__(self, flow: Flow, node_id: str, config: dict, merge_key: str | None) -> None:
        super().__init__(copy.deepcopy(flow.nodes[node_id].config), copy.deepcopy(config), merge_key,
                         f"Edit {node_id}")
        self.flow, self.node_id = flow, node_id

    def same_target(self, other: "_MergingValueCommand") -> bool:
        return isinstance(other, SetConfigCommand) and other.node_id == self.node_id

    def forward(self) -> None:
        self.flow.set_config(self.node_id, self.new)

    def backward(self) -> None:
        self.flow.set_config(self.node_id, self.old)


class SetSettingsCommand(_MergingValueCommand):
    command_id = SETTINGS_ID

    def __init__(self, flow: Flow, settings: Settings, merge_key: str | None) -> None:
        super().__init__(flow.settings, settings, merge_key, "Edit flow settings")
        self.flow = flow

    def forward(self) -> None:
        self.flow.set_settings(self.new)

    def backward(self) -> None:
        self.flow.set_settings(self.old)


class SetNameCommand(_MergingValueCommand):
    command_id = NAME_ID

    def __init__(self, flow: Flow, name: str, merge_key: str | None) -> None:
        super().__init__(flow.name, name, merge_key, "Rename flow")
        self.flow = flow

    def forward(self) -> None:
        self.flow.set_name(self.new)

    def backward(self) -> None:
        self.flow.set_name(self.old)


class ReplaceFlowCommand(FlowCommand):
    """Swap the whole flow's content (restoring a recovered flow over the saved one)."""

    def __init__(self, flow: Flow, new: Flow, text: str) -> None:
        super().__init__(text)
        self.flow = flow
        self.old = flow.copy()
        self.new = new.copy()

    def forward(self) -> None:
        self.flow.replace_with(self.new)

    def backward(self) -> None:
        self.flow.replace_with(self.old)
