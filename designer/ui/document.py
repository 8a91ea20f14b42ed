"""The open flow: the model, its undo stack, its file, and its validation.

Widgets (canvas, inspector, palette, problems) never change the flow
themselves: they call the methods here, each of which pushes one QUndoCommand
whose redo changes the model through Flow's mutating methods. The scene then
follows the flow's change notifications. So undo covers every edit, and the
same calls can be tested without a window.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from designer.model import io
from designer.model.errors import FlowFormatError
from designer.model.flow import Change, Edge, Flow, Node
from designer.model.kinds import KINDS
from designer.model.settings import Settings
from designer.model.validate import Problem, validate
from designer.ui.commands import (AddNodesCommand, ConnectCommand, DisconnectCommand, MoveNodesCommand,
                                  RemoveNodesCommand, ReplaceFlowCommand, SetConfigCommand, SetNameCommand,
                                  SetSettingsCommand)

#: How long the flow must stay unchanged before validation re-runs, so typing never stalls.
VALIDATION_DELAY_MS = 300


class Document(QObject):
    changed = Signal()
    problemsChanged = Signal(list)
    fileChanged = Signal(str)

    def __init__(self, flow: Flow | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.flow: Flow = flow if flow is not None else new_flow()
        self.undo_stack = QUndoStack(self)
        self.path: str | None = None
        self._problems: list[Problem] = []
        self._problems_stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(VALIDATION_DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        self._batch_depth = 0
        self._batch_changed = False
        self.flow.subscribe(self._on_change)
        self._timer.start()

    # -- state -------------------------------------------------------------
    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def title(self) -> str:
        """The name shown in the window title: the file name, or the flow's name."""
        return Path(self.path).name if self.path else self.flow.name

    def _on_change(self, change: Change) -> None:
        self._problems_stale = True
        self._timer.start()  # restarts: validation waits for a pause in editing
        if self._batch_depth:
            self._batch_changed = True
        else:
            self.changed.emit()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Model changes inside become one ``changed`` signal at the end (commands run in one)."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._batch_changed:
                self._batch_changed = False
                self.changed.emit()

    def in_batch(self) -> bool:
        return self._batch_depth > 0

    def _push(self, command) -> None:
        command.batch = self.batch
        self.undo_stack.push(command)

    # -- validation ----------------------------------------------------------
    def problems(self) -> list[Problem]:
        """The flow's problems now (validating first if an edit came since the last run)."""
        if self._problems_stale:
            self.validate_now()
        return list(self._problems)

    def validate_now(self) -> list[Problem]:
        self._timer.stop()
        self._problems = validate(self.flow)
        self._problems_stale = False
        self.problemsChanged.emit(list(self._problems))
        return list(self._problems)

    # -- files ---------------------------------------------------------------
    def load(self, path: str) -> None:
        """Open a flow file in place of the current one; raises FlowFormatError and keeps
        the current flow when the file is broken."""
        loaded = io.load(path)
        self.replace_flow(loaded, str(path))

    def replace_flow(self, flow: Flow, path: str | None) -> None:
        """Show another flow (new, open, recovered); the undo history starts afresh."""
        self.undo_stack.clear()
        self.flow.replace_with(flow)
        self.undo_stack.setClean()
        self.set_path(path)

    def restore(self, flow: Flow, text: str = "Restore recovered changes") -> None:
        """Put a recovered flow in place as one undoable, unsaved change."""
        self._push(ReplaceFlowCommand(self.flow, flow, text))

    def save(self, path: str | None = None) -> None:
        """Save atomically to ``path`` (or the current file); marks the document clean."""
        target = path or self.path
        if not target:
            raise ValueError("no file to save to")
        io.save(self.flow, target)
        self.undo_stack.setClean()
        self.set_path(str(target))

    def set_path(self, path: str | None) -> None:
        self.path = path
        self.fileChanged.emit(path or "")

    # -- edits ---------------------------------------------------------------
    def add_node(self, kind: str, x: float, y: float, config: dict | None = None) -> str:
        spec = KINDS.get(kind)
        if spec is None:
            raise ValueError(f"unknown node kind {kind!r}")
        node = Node(self.flow.new_id(), kind, float(x), float(y),
                    copy.deepcopy(config) if config is not None else spec.default_config())
        self._push(AddNodesCommand(self.flow, [node], [], f"Add {spec.label}"))
        return node.id

    def remove_nodes(self, ids: Iterable[str]) -> None:
        ids = [i for i in dict.fromkeys(ids) if i in self.flow.nodes]
        if ids:
            text = "Delete node" if len(ids) == 1 else f"Delete {len(ids)} nodes"
            self._push(RemoveNodesCommand(self.flow, ids, text))

    def can_connect(self, source: str, port: str, target: str,
                    ancestors: set[str] | None = None) -> str | None:
        """Why ``source.port -> target`` cannot be drawn, or None when it can.

        ``ancestors`` (the nodes that reach ``source``, from :meth:`ancestors`)
        lets a gesture check many targets with one graph walk.
        """
        flow = self.flow
        src, dst = flow.nodes.get(source), flow.nodes.get(target)
        if src is None or dst is None:
            return f"no node {source if src is None else target!r} in this flow"
        if source == target:
            return "a node cannot connect to itself"
        if dst.kind == "trigger":
            return "the trigger cannot be a target: journeys start only from events"
        ports = src.output_ports()
        if port not in ports:
            have = f"its ports are {', '.join(ports)}" if ports else "it has no outputs"
            return f"{source} has no port {port!r}; {have}"
        used = flow.successor(source, port)
        if used is not None:
            return f"port {port!r} of {source} already leads to {used}; delete that edge first"
        if target in (ancestors if ancestors is not None else self.ancestors(source)):
            return f"{target} already leads to {source}, so this edge would make a loop"
        return None

    def ancestors(self, node_id: str) -> set[str]:
        """Every node with a path to ``node_id``, walking the flow's adjacency maps."""
        seen: set[str] = set()
        stack = [node_id]
        while stack:
            for edge in self.flow.edges_to(stack.pop()):
                if edge.source not in seen:
                    seen.add(edge.source)
                    stack.append(edge.source)
        return seen

    def connect(self, source: str, port: str, target: str) -> str | None:
        reason = self.can_connect(source, port, target)
        if reason is None:
            self._push(ConnectCommand(self.flow, Edge(source, target, port)))
        return reason

    def disconnect(self, edge: Edge) -> None:
        if edge in self.flow.edges:
            self._push(DisconnectCommand(self.flow, edge))

    def remove(self, node_ids: Iterable[str], edges: Iterable[Edge]) -> None:
        """Delete a selection of nodes and edges as one undo step."""
        node_ids = [i for i in dict.fromkeys(node_ids) if i in self.flow.nodes]
        gone = set(node_ids)
        edges = [e for e in dict.fromkeys(edges) if e in self.flow.edges and not {e.source, e.target} & gone]
        if not node_ids and not edges:
            return
        if len(edges) + bool(node_ids) == 1:
            if node_ids:
                self.remove_nodes(node_ids)
            else:
                self.disconnect(edges[0])
            return
        self.undo_stack.beginMacro("Delete")
        try:
            for edge in edges:
                self.disconnect(edge)
            self.remove_nodes(node_ids)
        finally:
            self.undo_stack.endMacro()

    def move_nodes(self, moves: dict[str, tuple[float, float]], text: str = "Move",
                   mergeable: bool = True) -> None:
        moves = {k: v for k, v in moves.items() if k in self.flow.nodes
                 and (self.flow.nodes[k].x, self.flow.nodes[k].y) != (float(v[0]), float(v[1]))}
        if moves:
            self._push(MoveNodesCommand(self.flow, moves, text, mergeable))

    def set_config(self, node_id: str, config: dict, merge_key: str | None = None) -> None:
        if config != self.flow.nodes[node_id].config:
            self._push(SetConfigCommand(self.flow, node_id, config, merge_key))

    def set_settings(self, settings: Settings, merge_key: str | None = None) -> None:
        if settings != self.flow.settings:
            self._push(SetSettingsCommand(self.flow, settings, merge_key))

    def set_name(self, name: str, merge_key: str | None = None) -> None:
        if name != self.flow.name:
            self._push(SetNameCommand(self.flow, name, merge_key))

    # -- clipboard -----------------------------------------------------------
    def copy(self, ids: Iterable[str]) -> dict:
        """The nodes and the edges among them, as flow-file JSON."""
        return self.flow.subgraph_json(ids)

    def paste(self, snapshot: dict, offset: tuple[float, float] = (40, 40)) -> list[str]:
        """Add a copied snapshot with fresh ids, shifted by ``offset``; edges among the
        pasted nodes are kept, edges to nodes outside it are not. One undo step.

        The snapshot is read with the flow file's own strict loader, so clipboard text
        that is not a piece of a flow adds nothing (and returns no ids).
        """
        if not isinstance(snapshot, dict):
            return []
        try:
            clip = io.from_json({"format": io.FORMAT, "version": io.CURRENT_VERSION, "id": "clipboard",
                                 "name": "clipboard", "nodes": snapshot.get("nodes", []),
                                 "edges": snapshot.get("edges", [])})
        except FlowFormatError:
            return []
        taken = set(self.flow.nodes)
        id_map: dict[str, str] = {}
        nodes: list[Node] = []
        counter = 1
        for node in clip.nodes.values():
            if node.kind not in KINDS:
                continue
            while f"n{counter}" in taken:
                counter += 1
            new_id = f"n{counter}"
            taken.add(new_id)
            id_map[node.id] = new_id
            nodes.append(Node(new_id, node.kind, node.x + offset[0], node.y + offset[1], node.config))
        if not nodes:
            return []
        edges = [Edge(id_map[e.source], id_map[e.target], e.port) for e in clip.edges
                 if e.source in id_map and e.target in id_map]
        text = "Paste node" if len(nodes) == 1 else f"Paste {len(nodes)} nodes"
        self._push(AddNodesCommand(self.flow, nodes, edges, text))
        return [n.id for n in nodes]

def new_flow() -> Flow:
    """A fresh flow that starts somewhere real: a trigger on add-to-cart."""
    flow = Flow("untitled", "Untitled flow")
    spec = KINDS["trigger"]
    flow.add_node(Node("n1", "trigger", 0.0, 0.0, spec.default_config()))
    return flow
