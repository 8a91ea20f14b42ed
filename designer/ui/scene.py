"""The canvas scene: a mirror of the flow, and the place gestures begin.

The scene listens to the flow's change notifications and keeps one card per
node and one curve per edge; it never edits items' data on its own. Mouse
gestures (new link, move) end in document calls, whose commands change the
model, whose notifications come back here. Selection is the scene's own
(QGraphicsScene selection), so the main window reads it from here.
"""

from __future__ import annotations

from collections import defaultdict

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QPainterPath
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from designer.model.flow import Change, Edge
from designer.model.layout import CARD_HEIGHT, CARD_WIDTH
from designer.model.validate import ERROR, Problem
from designer.ui import theme
from designer.ui.document import Document
from designer.ui.gestures import MoveGesture, NewLinkGesture
from designer.ui.items import INPUT, BadgeItem, EdgeItem, NodeItem, clear_caches

#: Above this many edges to re-route at once, the scene index is rebuilt instead of updated.
BULK_EDGES = 300
#: Room around the flow the view can scroll into.
MARGIN = 800.0


class FlowScene(QGraphicsScene):
    #: Hints and refusal reasons for the status bar.
    statusMessage = Signal(str)

    def __init__(self, document: Document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.grid = 10.0
        self.snap = True
        self.nodes: dict[str, NodeItem] = {}
        self.edges: dict[Edge, list[EdgeItem]] = {}
        self._link: NewLinkGesture | None = None
        self._move: MoveGesture | None = None
        self._problems: dict[str, tuple[str, list[str]]] = {}
        self._rect_timer = QTimer(self)
        self._rect_timer.setSingleShot(True)
        self._rect_timer.setInterval(0)
        self._rect_timer.timeout.connect(self.fit_scene_rect)
        #: Cards moved by the model whose edges still need re-routing; done once at the
        #: end of a command, so an auto-layout re-routes each edge once, not twice.
        self._moved: set[NodeItem] = set()
        self.rebuild()
        document.flow.subscribe(self._on_change)
        document.changed.connect(self.flush_moves)
        document.problemsChanged.connect(self.set_problems)

    def close(self) -> None:
        """Stop mirroring (the window is closing)."""
        self.document.flow.unsubscribe(self._on_change)

    # -- mirroring the flow ------------------------------------------------
    def rebuild(self) -> None:
        """Make every item afresh from the flow, in one pass."""
        if self._link is not None:
            self._link.cancel()
            self._link = None
        self.clearSelection()
        self.clear()
        self.nodes, self.edges, self._problems, self._moved = {}, {}, {}, set()
        flow = self.document.flow
        # Adding thousands of items is much faster without keeping the index up to date
        # item by item; the BSP index is rebuilt once afterwards for quick hit tests.
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        for node in flow.nodes.values():
            item = NodeItem(node)
            self.nodes[node.id] = item
            self.addItem(item)
        connected: dict[str, set[str]] = defaultdict(set)
        for edge in flow.edges:
            if self._add_edge_item(edge) is not None:
                connected[edge.source].add(edge.port)
        for node_id, ports in connected.items():
            self.nodes[node_id].set_connected(ports)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.fit_scene_rect(reset=True)

    def _add_edge_item(self, edge: Edge) -> EdgeItem | None:
        source, target = self.nodes.get(edge.source), self.nodes.get(edge.target)
        if source is None or target is None:
            return None  # a dangling edge in a broken file: validation reports it
        item = EdgeItem(edge, source, target)
        source.out_edges.append(item)
        target.in_edges.append(item)
        self.edges.setdefault(edge, []).append(item)
        self.addItem(item)
        return item

    def _on_change(self, change: Change) -> None:
        what = change.what
        flow = self.document.flow
        if what == "reset":
            self.rebuild()
        elif what == "node_added":
            node = flow.nodes[change.node]
            item = NodeItem(node)
            self.nodes[node.id] = item
            self.addItem(item)
            self._rect_timer.start()
        elif what == "node_removed":
            item = self.nodes.pop(change.node, None)
            if item is not None:
                self.removeItem(item)
                self._problems.pop(change.node, None)
        elif what == "node_moved":
            item = self.nodes.get(change.node)
            node = flow.nodes[change.node]
            if item is not None and (item.x(), item.y()) != (node.x, node.y):
                item.setPos(node.x, node.y)
                self._moved.add(item)
                if not self.document.in_batch():
                    self.flush_moves()
            self._rect_timer.start()
        elif what == "node_config":
            item = self.nodes.get(change.node)
            if item is not None:
                item.refresh(flow.nodes[change.node])
                for edge_item in item.out_edges:
                    edge_item.update_path()
        elif what == "edge_added":
            if self._add_edge_item(change.edge) is not None:
                self._sync_ports(change.edge.source)
        elif what == "edge_removed":
            items = self.edges.get(change.edge)
            if items:
                item = items.pop()
                if not items:
                    del self.edges[change.edge]
                if item in item.source.out_edges:
                    item.source.out_edges.remove(item)
                if item in item.target.in_edges:
                    item.target.in_edges.remove(item)
                self.removeItem(item)
                self._sync_ports(change.edge.source)

    def flush_moves(self) -> None:
        """Re-route the edges of cards the model moved."""
        if not self._moved:
            return
        moved, self._moved = self._moved, set()
        edges = {e for item in moved if item.scene() is self for e in (*item.in_edges, *item.out_edges)}
        bulk = len(edges) > BULK_EDGES
        if bulk:
            # Re-indexing each long edge one by one is slow; rebuilding the index once is not.
            self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        for edge in edges:
            edge.update_path()
        if bulk:
            self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)

    def _sync_ports(self, node_id: str) -> None:
        item = self.nodes.get(node_id)
        if item is not None:
            item.set_connected({e.port for e in self.document.flow.edges_from(node_id)})

    def flow_bounds_from_model(self) -> QRectF:
        """The cards' extent from the model's positions (no item geometry needed)."""
        nodes = self.document.flow.nodes.values()
        if not nodes:
            return QRectF()
        xs = [n.x for n in nodes]
        ys = [n.y for n in nodes]
        return QRectF(min(xs), min(ys), max(xs) - min(xs) + CARD_WIDTH, max(ys) - min(ys) + CARD_HEIGHT)

    def fit_scene_rect(self, reset: bool = False) -> None:
        """Let the view scroll over the whole flow plus a margin (grow only, unless reset)."""
        bounds = self.flow_bounds_from_model()
        if bounds.isNull():
            bounds = QRectF(0, 0, CARD_WIDTH, CARD_HEIGHT)
        rect = bounds.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
        self.setSceneRect(rect if reset else self.sceneRect().united(rect))

    # -- problems --------------------------------------------------------------
    def set_problems(self, problems: list[Problem]) -> None:
        """Badge each card with its worst problem; the messages become the badge's tooltip."""
        by_node: dict[str, tuple[str, list[str]]] = {}
        for p in problems:
            if p.node is None or p.node not in self.nodes:
                continue
            severity, messages = by_node.get(p.node, (p.severity, []))
            if p.severity == ERROR:
                severity = ERROR
            messages.append(p.message)
            by_node[p.node] = (severity, messages)
        for node_id in set(self._problems) - set(by_node):
            item = self.nodes.get(node_id)
            if item is not None and item.badge is not None:
                self.removeItem(item.badge)
                item.badge = None
        for node_id, (severity, messages) in by_node.items():
            if self._problems.get(node_id) == (severity, messages):
                continue
            item = self.nodes[node_id]
            if item.badge is None:
                item.badge = BadgeItem(item)
            item.badge.set_problems(severity, messages)
        self._problems = by_node

    def badge_of(self, node_id: str) -> BadgeItem | None:
        item = self.nodes.get(node_id)
        return item.badge if item is not None else None

    # -- selection ---------------------------------------------------------------
    def selected_node_items(self) -> list[NodeItem]:
        return [i for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_node_ids(self) -> list[str]:
        """Selected nodes in the flow's order."""
        chosen = {i.node_id for i in self.selected_node_items()}
        return [n for n in self.document.flow.nodes if n in chosen]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def single_selected_node(self) -> str | None:
        """The node the inspector should show: exactly one card selected, else None."""
        ids = [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]
        return ids[0] if len(ids) == 1 else None

    def select_nodes(self, ids, clear: bool = True) -> None:
        """Select these cards (one selectionChanged signal)."""
        items = [self.nodes[i] for i in ids if i in self.nodes]
        self.blockSignals(True)
        try:
            if clear:
                self.clearSelection()
            for item in items:
                item.setSelected(True)
        finally:
            self.blockSignals(False)
        self.selectionChanged.emit()

    def select_all(self) -> None:
        path = QPainterPath()
        path.addRect(self.itemsBoundingRect().adjusted(-1, -1, 1, 1))
        self.setSelectionArea(path)

    # -- lookups -------------------------------------------------------------------
    def node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def snapped(self, x: float, y: float) -> tuple[float, float]:
        if not self.snap:
            return x, y
        g = self.grid
        return round(x / g) * g, round(y / g) * g

    # -- gestures ----------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            item = self.node_at(event.scenePos())
            if item is not None:
                port = item.port_at(item.mapFromScene(event.scenePos()))
                if port is not None and port != INPUT:
                    self._link = NewLinkGesture(self, item, port)
                    event.accept()
                    return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self.node_at(event.scenePos()) is not None:
            self._move = MoveGesture(self)

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._link is not None:
            self._link.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)
        if self._move is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self._move.track()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._link is not None and event.button() == Qt.MouseButton.LeftButton:
            link, self._link = self._link, None
            link.finish(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if self._move is not None and event.button() == Qt.MouseButton.LeftButton:
            move, self._move = self._move, None
            move.finish()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape and self._link is not None:
            self._link.cancel()
            self._link = None
            self.statusMessage.emit("")
            return
        steps = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1),
                 Qt.Key.Key_Down: (0, 1)}
        if key in steps and self.focusItem() is None:
            ids = self.selected_node_ids()
            if ids:
                step = self.grid * (5 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1)
                dx, dy = steps[key]
                flow = self.document.flow
                self.document.move_nodes({i: (flow.nodes[i].x + dx * step, flow.nodes[i].y + dy * step)
                                          for i in ids}, text="Nudge")
                event.accept()
                return
        super().keyPressEvent(event)

    # -- look ----------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, theme.color("canvas"))
        scale = painter.worldTransform().m11()
        step = self.grid * 2
        if scale * step < 12:
            return
        painter.setPen(theme.color("grid") if scale < 1.5 else theme.color("border"))
        left = int(rect.left() // step) * step
        top = int(rect.top() // step) * step
        xs = [left + i * step for i in range(int((rect.right() - left) // step) + 2)]
        points = [QPointF(x, top + j * step) for j in range(int((rect.bottom() - top) // step) + 2) for x in xs]
        painter.drawPoints(points)

    def refresh_theme(self) -> None:
        """Repaint every card with the current palette (after a theme change)."""
        clear_caches()
        for item in self.items():
            item.update()
        self.update()

