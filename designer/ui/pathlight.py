"""Lighting one journey's path on the canvas: its cards outlined, the links it took drawn over.

The Tests panel lights a case's actual path, the Journeys view a traced
customer's. The light is view state only: outlines and curves added to the
scene over the cards (they follow the model's items but never change them),
cleared on the next light or when the scene is rebuilt.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from designer.model.layout import CARD_HEIGHT, CARD_WIDTH
from designer.ui.items import PORT_RADIUS, link_path
from designer.ui.scene import FlowScene
from designer.ui.theme import color

#: Drawn above cards and edges, below the badges.
LIGHT_Z = 5.0


class PathLight:
    def __init__(self, scene: FlowScene) -> None:
        self.scene = scene
        self._items: list[QGraphicsItem] = []
        #: The nodes and (source, target) links lit now, in journey order.
        self.nodes: list[str] = []
        self.links: list[tuple[str, str]] = []

    def clear(self) -> None:
        items, self._items = self._items, []
        for item in items:
            try:
                if item.scene() is self.scene:
                    self.scene.removeItem(item)  # the scene gives it back: deleted with its wrapper
            except RuntimeError:
                pass  # the scene went first and took its items with it
        self.nodes, self.links = [], []

    def show(self, visits: list[str], tone: str = "success") -> None:
        """Light ``visits`` (node ids in order); links are those joining consecutive visits."""
        self.clear()
        pen_color = QColor(color(tone))
        pen = QPen(pen_color, 3.0)
        pen.setCosmetic(True)
        for node_id in visits:
            item = self.scene.nodes.get(node_id)
            if item is None:
                continue
            outline = QPainterPath()
            outline.addRoundedRect(QRectF(-4, -4, CARD_WIDTH + 8, CARD_HEIGHT + 8), 11, 11)
            # Owned by the scene, not the card: a card deleted by a rebuild takes no light with it.
            light = QGraphicsPathItem(outline)
            light.setPos(item.pos())
            self.scene.addItem(light)
            light.setPen(pen)
            light.setBrush(Qt.BrushStyle.NoBrush)
            light.setZValue(LIGHT_Z)
            light.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self._items.append(light)
            if node_id not in self.nodes:
                self.nodes.append(node_id)
        flow = self.scene.document.flow
        for a, b in zip(visits, visits[1:]):
            edge = next((e for e in flow.edges_from(a) if e.target == b), None)
            source, target = self.scene.nodes.get(a), self.scene.nodes.get(b)
            if edge is None or source is None or target is None:
                continue
            start = source.mapToScene(source.port_pos(edge.port))
            end = target.mapToScene(target.input_pos() - QPointF(0, PORT_RADIUS))
            curve = QGraphicsPathItem(link_path(start, end))
            faded = QColor(pen_color)
            faded.setAlpha(170)
            wide = QPen(faded, 5.0)
            wide.setCosmetic(True)
            curve.setPen(wide)
            curve.setZValue(LIGHT_Z)
            curve.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
            self.scene.addItem(curve)
            self._items.append(curve)
            self.links.append((a, b))
