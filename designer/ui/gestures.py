"""One small state object per mouse gesture on the canvas.

A gesture starts on a press, follows the moves, and ends in at most one
document call (connect, move, add), so the scene's event handlers stay short
and each gesture can be read on its own. Panning is a view gesture because it
scrolls; the rest work in scene coordinates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, QPoint, QPointF

from designer.model.kinds import KINDS
from designer.model.layout import CARD_HEIGHT, CARD_WIDTH
from designer.ui.items import LinkPreviewItem, NodeItem

if TYPE_CHECKING:
    from PySide6.QtWidgets import QGraphicsView

    from designer.ui.scene import FlowScene

#: The palette's drag payload: a kind name as UTF-8 bytes.
KIND_MIME = "application/x-trigger-flow-kind"


class NewLinkGesture:
    """Drag from an output port to a card: a live curve, targets marked valid or
    refused, the refusal reason in the status bar, and one connect on release."""

    def __init__(self, scene: "FlowScene", source: NodeItem, port: str) -> None:
        self.scene, self.source, self.port = scene, source, port
        doc = scene.document
        # One walk up the graph answers the loop test for every target.
        self.ancestors = doc.ancestors(source.node_id)
        self.preview = LinkPreviewItem(source.mapToScene(source.port_pos(port)))
        scene.addItem(self.preview)
        self.reasons: dict[str, str | None] = {}
        for node_id, item in scene.nodes.items():
            reason = doc.can_connect(source.node_id, port, node_id, self.ancestors)
            self.reasons[node_id] = reason
            item.set_target_state("ok" if reason is None else "refused")
        self.hovered: NodeItem | None = None
        scene.statusMessage.emit(f"Connect {source.node_id} {port!r}: drop on a card")

    def move(self, pos: QPointF) -> None:
        target = self.scene.node_at(pos)
        if target is not self.hovered:
            if self.hovered is not None:
                refused = self.reasons.get(self.hovered.node_id) is not None
                self.hovered.set_target_state("refused" if refused else "ok")
            self.hovered = target
        reason = None
        end = pos
        if target is not None:
            reason = self.reasons.get(target.node_id)
            target.set_target_state("ok" if reason is None else "refused", hovered=True)
            if reason is None:
                end = target.mapToScene(target.input_pos())
            self.scene.statusMessage.emit(f"Cannot connect: {reason}" if reason else
                                          f"Connect {self.source.node_id} {self.port!r} to {target.node_id}")
        self.preview.set_end(end, refused=reason is not None)

    def finish(self, pos: QPointF) -> None:
        target = self.scene.node_at(pos)
        self.cancel()
        if target is None:
            self.scene.statusMessage.emit("")
            return
        reason = self.scene.document.connect(self.source.node_id, self.port, target.node_id)
        self.scene.statusMessage.emit(f"Cannot connect: {reason}" if reason else
                                      f"Connected {self.source.node_id} {self.port!r} to {target.node_id}")

    def cancel(self) -> None:
        for item in self.scene.nodes.values():
            item.set_target_state(None)
        if self.preview.scene() is not None:
            self.scene.removeItem(self.preview)


class MoveGesture:
    """Cards dragged with the mouse: Qt moves the items, the gesture snaps them to
    the grid; on release the new places become one Move command."""

    def __init__(self, scene: "FlowScene") -> None:
        self.scene = scene
        self.items = scene.selected_node_items()
        self.start = {item.node_id: item.pos() for item in self.items}

    def track(self) -> None:
        """After Qt moved the selected cards: snap them to the grid and re-route their edges."""
        for item in self.items:
            if self.scene.snap:
                x, y = self.scene.snapped(item.x(), item.y())
                if (x, y) != (item.x(), item.y()):
                    item.setPos(x, y)
            item.update_edges()

    def finish(self) -> None:
        moves = {}
        for node_id in self.start:
            item = self.scene.nodes.get(node_id)
            if item is not None and item.pos() != self.start[node_id]:
                moves[node_id] = (item.x(), item.y())
        if moves:
            # Each drag is its own undo step; arrow-key nudges merge instead.
            self.scene.document.move_nodes(moves, mergeable=False)


class PanGesture:
    """Middle-button or space-drag: scroll the view with the pointer."""

    def __init__(self, view: "QGraphicsView", at: QPoint) -> None:
        self.view, self.last = view, QPoint(at)

    def move(self, at: QPoint) -> None:
        delta = at - self.last
        self.last = QPoint(at)
        h, v = self.view.horizontalScrollBar(), self.view.verticalScrollBar()
        h.setValue(h.value() - delta.x())
        v.setValue(v.value() - delta.y())


class DropGesture:
    """A kind dragged from the palette: accepted only when it names a known kind;
    the drop adds a card centred on the drop point."""

    @staticmethod
    def kind_of(mime: QMimeData) -> str | None:
        if mime is None or not mime.hasFormat(KIND_MIME):
            return None
        kind = bytes(mime.data(KIND_MIME).data()).decode("utf-8", "replace").strip()
        return kind if kind in KINDS else None

    @staticmethod
    def drop(scene: "FlowScene", kind: str, pos: QPointF) -> str:
        x, y = scene.snapped(pos.x() - CARD_WIDTH / 2, pos.y() - CARD_HEIGHT / 2)
        node_id = scene.document.add_node(kind, x, y)
        scene.select_nodes([node_id])
        return node_id
