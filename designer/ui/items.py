"""What the canvas draws: node cards, problem badges, edges, and the live link curve.

Items hold no flow state of their own beyond what they mirror for painting;
the scene creates, updates and removes them as the flow reports changes.
Cards are plain QGraphicsItems (no per-item signals) painted through a device
coordinate cache, so a flow of thousands of nodes opens and pans quickly; at
small zoom they paint as plain coloured blocks.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import (QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPainterPathStroker,
                           QPalette, QPen, QPixmap, QPolygonF)
from PySide6.QtWidgets import QApplication, QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from designer.model.flow import Edge, Node
from designer.model.kinds import KINDS, summary
from designer.model.layout import CARD_HEIGHT, CARD_WIDTH
from designer.model.validate import ERROR
from designer.ui import theme

PORT_RADIUS = 5.0
#: How close (scene units) a press must be to a port to start a link.
PORT_HIT = 10.0
INPUT = "__in__"
#: Below this zoom, cards paint as coloured blocks without text.
SIMPLE_LOD = 0.4
#: Where a card's footer (the backtest's count strip) sits, in card coordinates.
FOOTER_RECT = QRectF(10, 48, CARD_WIDTH - 18, 17)

NODE_TYPE = QGraphicsItem.UserType + 1
EDGE_TYPE = QGraphicsItem.UserType + 2
BADGE_TYPE = QGraphicsItem.UserType + 3

_icon_pixmaps: dict[tuple[str, str, float], QPixmap] = {}


def palette() -> QPalette:
    return QApplication.palette()


def kind_color(kind: str) -> QColor:
    spec = KINDS.get(kind)
    return QColor(spec.color if spec else "#888888")


def kind_pixmap(kind: str, size: int, ratio: float) -> QPixmap:
    """The kind's icon tinted with its colour, cached per theme and screen scale."""
    key = (kind, theme.effective_theme(), ratio)
    pix = _icon_pixmaps.get(key)
    if pix is None:
        pix = theme.icon(kind, kind_color(kind)).pixmap(QSize(size, size), ratio)
        _icon_pixmaps[key] = pix
    return pix


#: The small text on cards and edges (node id, port names, figures) next to the body text.
SMALL_TEXT_RATIO = 0.88


def small_font(font: QFont) -> QFont:
    """The cards' and edges' small text, derived from the body font: the smallest text on
    the canvas, so the one that decides whether a zoom level is readable."""
    small = QFont(font)
    small.setPointSizeF(max(6.0, font.pointSizeF() * SMALL_TEXT_RATIO))
    return small


def clear_caches() -> None:
    """Forget pre-rendered icons (after a theme change)."""
    _icon_pixmaps.clear()


class NodeItem(QGraphicsItem):
    """A node card: icon, kind colour, title, one-line summary, input and output ports.

    The item's position is the node's (x, y): the card's top-left corner.
    """

    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node_id = node.id
        self.kind = node.kind
        self.ports: tuple[str, ...] = ()
        self.title = ""
        self.summary = ""
        self.connected: set[str] = set()
        #: Edge items leaving and entering this card, kept by the scene.
        self.out_edges: list[EdgeItem] = []
        self.in_edges: list[EdgeItem] = []
        #: While a link is drawn: None, "ok" or "refused" (this card as a target).
        self.target_state: str | None = None
        self.hovered_target = False
        self.badge: BadgeItem | None = None
        #: A child item drawn along the card's bottom (the backtest's count strip); while one
        #: is attached the card packs its title and summary into the upper part.
        self.footer: QGraphicsItem | None = None
        self._shape: QPainterPath | None = None
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(False)
        self.setZValue(1)
        self.setPos(node.x, node.y)
        self.refresh(node)

    def type(self) -> int:
        return NODE_TYPE

    # -- content -------------------------------------------------------------
    def refresh(self, node: Node) -> None:
        """Take the node's kind, config and ports again (after an edit)."""
        spec = KINDS.get(node.kind)
        self.kind = node.kind
        self.title = spec.label if spec else f"Unknown kind {node.kind!r}"
        if node.output_ports() != self.ports:
            self.prepareGeometryChange()
            self.ports = node.output_ports()
            self._shape = None
        text = summary(node.kind, node.config) if spec else ""
        self.summary = " ".join(text.split())
        self.setToolTip(f"{self.node_id}: {self.title}\n{text}" if text else f"{self.node_id}: {self.title}")
        self.update()

    def set_connected(self, ports: set[str]) -> None:
        if ports != self.connected:
            self.connected = set(ports)
            self.update()

    def set_footer(self, footer: QGraphicsItem | None) -> None:
        """Attach (or with None, remove) the item shown along the card's bottom edge."""
        if footer is self.footer:
            return
        old = self.footer
        if old is not None:
            scene = old.scene()
            old.setParentItem(None)
            if scene is not None:
                scene.removeItem(old)
        self.footer = footer
        if footer is not None:
            footer.setParentItem(self)
            footer.setPos(FOOTER_RECT.topLeft())
        self.update()

    def set_target_state(self, state: str | None, hovered: bool = False) -> None:
        if (state, hovered) != (self.target_state, self.hovered_target):
            self.target_state, self.hovered_target = state, hovered
            self.setOpacity(0.45 if state == "refused" and not hovered else 1.0)
            self.update()

    # -- geometry ------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return QRectF(-12, -14, CARD_WIDTH + 24, CARD_HEIGHT + 32)

    def shape(self) -> QPainterPath:
        """The card plus a disc round each port, so a press near a port hits the card."""
        if self._shape is None:
            path = QPainterPath()
            # Winding fill: where a port's disc overlaps the card, the point stays inside.
            path.setFillRule(Qt.FillRule.WindingFill)
            path.addRoundedRect(QRectF(0, 0, CARD_WIDTH, CARD_HEIGHT), 8, 8)
            for point in [self.input_pos()] + [self.port_pos(p) for p in self.ports]:
                path.addEllipse(point, PORT_HIT, PORT_HIT)
            self._shape = path
        return self._shape

    def input_pos(self) -> QPointF:
        return QPointF(CARD_WIDTH / 2, 0)

    def port_pos(self, port: str) -> QPointF:
        """Where an output port sits on the card's bottom edge (local coordinates)."""
        try:
            i = self.ports.index(port)
        except ValueError:
            return QPointF(CARD_WIDTH / 2, CARD_HEIGHT)
        return QPointF(CARD_WIDTH * (i + 1) / (len(self.ports) + 1), CARD_HEIGHT)

    def port_at(self, local: QPointF) -> str | None:
        """The output port (or INPUT) under a local point, if any."""
        for port in self.ports:
            if QLineF(local, self.port_pos(port)).length() <= PORT_HIT:
                return port
        if QLineF(local, self.input_pos()).length() <= PORT_HIT:
            return INPUT
        return None

    def update_edges(self) -> None:
        """Re-route the curves attached to this card (after it moved)."""
        for edge in self.out_edges:
            edge.update_path()
        for edge in self.in_edges:
            edge.update_path()

    # -- painting ------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        pal = palette()
        color = kind_color(self.kind)
        card = QRectF(0, 0, CARD_WIDTH, CARD_HEIGHT)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        selected = self.isSelected()
        border = pal.color(QPalette.ColorRole.Highlight) if selected else theme.color("card_border")
        if self.target_state == "ok":
            border = theme.color("success")
        elif self.target_state == "refused" and self.hovered_target:
            border = theme.color("error")
        if lod < SIMPLE_LOD:
            fill = QColor(color)
            fill.setAlpha(200)
            painter.setPen(QPen(border, 4 if selected else 1))
            painter.setBrush(fill)
            painter.drawRect(card)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        wide = selected or self.hovered_target or self.target_state == "ok"
        painter.setPen(QPen(border, 2.4 if wide else 1.0))
        painter.setBrush(theme.color("card"))
        painter.drawRoundedRect(card, 8, 8)
        # The kind's colour as a band down the left edge.
        band = QPainterPath()
        band.addRoundedRect(QRectF(0.5, 0.5, 12, CARD_HEIGHT - 1), 7.5, 7.5)
        clip = QPainterPath()
        clip.addRect(QRectF(0.5, 0.5, 6, CARD_HEIGHT - 1))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawPath(band.intersected(clip))
        # Icon in a soft disc of the kind's colour. With a footer the card is packed
        # tighter (smaller icon, title and summary higher up) to make room for it.
        compact = self.footer is not None
        disc_rect, icon_rect, icon_px = ((QRectF(14, 6, 22, 22), QRectF(17, 9, 16, 16), 16) if compact
                                         else (QRectF(15, 9, 26, 26), QRectF(18, 12, 20, 20), 20))
        disc = QColor(color)
        disc.setAlpha(40)
        painter.setBrush(disc)
        painter.drawEllipse(disc_rect)
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        painter.drawPixmap(icon_rect, kind_pixmap(self.kind, icon_px, ratio), QRectF())
        # Title, node id, summary.
        font = QFont(painter.font())
        title_font = QFont(font)
        title_font.setBold(True)
        small = small_font(font)
        text = pal.color(QPalette.ColorRole.Text)
        muted = theme.color("muted")
        painter.setFont(small)
        painter.setPen(muted)
        top = 5 if compact else 8
        id_rect = QRectF(CARD_WIDTH - 46, top, 32, 24 if compact else 18)
        painter.drawText(id_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.node_id)
        painter.setFont(title_font)
        painter.setPen(text)
        title_rect = QRectF(42, top, CARD_WIDTH - 42 - 42, 24) if compact else QRectF(48, 8, CARD_WIDTH - 48 - 42, 26)
        title = QFontMetricsF(title_font).elidedText(self.title, Qt.TextElideMode.ElideRight, title_rect.width())
        painter.drawText(title_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, title)
        sum_font = small if compact else font
        painter.setFont(sum_font)
        painter.setPen(muted if not self.summary or compact else text)
        sum_rect = QRectF(15, 29, CARD_WIDTH - 25, 17) if compact else QRectF(16, 38, CARD_WIDTH - 26, 22)
        line = QFontMetricsF(sum_font).elidedText(self.summary or "(not set up yet)", Qt.TextElideMode.ElideRight,
                                                  sum_rect.width())
        painter.drawText(sum_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)
        # Ports: the input on top, named outputs along the bottom.
        port_pen = QPen(theme.color("edge"), 1.2)
        painter.setPen(port_pen)
        painter.setBrush(theme.color("card"))
        if self.kind != "trigger":
            painter.drawEllipse(self.input_pos(), PORT_RADIUS, PORT_RADIUS)
        painter.setFont(small)
        for port in self.ports:
            pos = self.port_pos(port)
            connected = port in self.connected
            painter.setPen(port_pen)
            painter.setBrush(theme.color("edge") if connected else theme.color("card"))
            painter.drawEllipse(pos, PORT_RADIUS, PORT_RADIUS)
            if not connected and (len(self.ports) > 1 or port != "next"):
                painter.setPen(muted)
                painter.drawText(QRectF(pos.x() - 40, pos.y() + 5, 80, 14),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, port)


class BadgeItem(QGraphicsItem):
    """A problem mark on a card's corner: red for errors, amber for warnings; the
    messages are its tooltip."""

    SIZE = 18.0

    def __init__(self, parent: NodeItem) -> None:
        super().__init__(parent)
        self.severity = ERROR
        self.count = 0
        self.setPos(CARD_WIDTH, 0)  # the badge is centred on the card's top-right corner
        self.setZValue(2)
        # Same size at every zoom, so problems stay visible on a zoomed-out flow.
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def type(self) -> int:
        return BADGE_TYPE

    def set_problems(self, severity: str, messages: list[str]) -> None:
        self.severity = severity
        self.count = len(messages)
        self.setToolTip("\n".join(f"• {m}" for m in messages) if len(messages) > 1 else messages[0])
        self.update()

    def boundingRect(self) -> QRectF:
        half = self.SIZE / 2
        return QRectF(-half - 1, -half - 1, self.SIZE + 2, self.SIZE + 2)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = theme.color("error" if self.severity == ERROR else "warning")
        painter.setPen(QPen(theme.color("card"), 1.5))
        painter.setBrush(color)
        disc = QRectF(-self.SIZE / 2, -self.SIZE / 2, self.SIZE, self.SIZE)
        painter.drawEllipse(disc)
        font = QFont(painter.font())
        font.setBold(True)
        font.setPixelSize(12)
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(disc, Qt.AlignmentFlag.AlignCenter,
                         "!" if self.count <= 1 else str(min(self.count, 9)))


def link_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A smooth curve leaving a port downwards and entering a card from above."""
    dy = end.y() - start.y()
    bend = max(40.0, abs(dy) / 2) if dy >= 0 else max(80.0, abs(dy) / 3)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(end.x(), end.y() - bend), end)
    return path


class EdgeItem(QGraphicsItem):
    """An edge: a curve from a source port to a target's input, labelled with its port."""

    def __init__(self, edge: Edge, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.edge = edge
        self.source, self.target = source, target
        self.label = "" if edge.port == "next" and source.ports == ("next",) else edge.port
        #: The backtest's figure for this edge (view state, set by the results overlay):
        #: the label shown instead of the port name, the share of the flow's journeys that
        #: took it (drawn as the line's width) and whether it is out of date.
        self.flow_label: str | None = None
        self.flow_share: float | None = None
        self.flow_stale = False
        self._path = QPainterPath()
        self._shape: QPainterPath | None = None
        self._rect = QRectF()
        self._label_at: QPointF | None = None
        self._margin = 30.0
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self._tooltip = f"{edge.source} {edge.port} \u2192 {edge.target}"
        self.setToolTip(self._tooltip)
        self.update_path()

    def type(self) -> int:
        return EDGE_TYPE

    def set_flow(self, label: str | None, share: float | None = None, stale: bool = False,
                 tooltip: str = "") -> None:
        """Show a backtest figure on this edge (None: back to the plain port label)."""
        if (label, share, stale) == (self.flow_label, self.flow_share, self.flow_stale):
            return
        self.flow_label, self.flow_share, self.flow_stale = label, share, stale
        self.setToolTip(self._tooltip + (f"\n{tooltip}" if tooltip else ""))
        text = self.shown_label()
        font = small_font(QApplication.font())
        margin = max(30.0, QFontMetricsF(font).horizontalAdvance(text) / 2 + 10) if text else 30.0
        if margin != self._margin:
            self._margin = margin
            self.update_path()
        else:
            self.update()

    def shown_label(self) -> str:
        return self.flow_label if self.flow_label is not None else self.label

    def update_path(self) -> None:
        start = self.source.mapToScene(self.source.port_pos(self.edge.port))
        end = self.target.mapToScene(self.target.input_pos() - QPointF(0, PORT_RADIUS))
        self.prepareGeometryChange()
        self._path = link_path(start, end)
        # The hit shape and the label's place are worked out when first needed, so
        # building or moving thousands of edges stays cheap.
        self._shape = None
        self._label_at = None
        m = self._margin
        self._rect = self._path.controlPointRect().adjusted(-m, -12, m, 12)

    def boundingRect(self) -> QRectF:
        return self._rect

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._shape = stroker.createStroke(self._path)
        return self._shape

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        pal = palette()
        selected = self.isSelected()
        color = pal.color(QPalette.ColorRole.Highlight) if selected else theme.color("edge")
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod >= SIMPLE_LOD)
        width = 2.6 if selected else 1.6
        flow = self.flow_share is not None and not self.flow_stale
        if flow:
            # The backtest's share of journeys on this edge sets its width; an edge nobody took is faint.
            width = max(width, 1.4 + 4.6 * min(1.0, self.flow_share))
            if self.flow_share == 0 and not selected:
                color = QColor(color)
                color.setAlpha(110)
        painter.setPen(QPen(color, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        if lod < SIMPLE_LOD:
            return
        end = self._path.pointAtPercent(1.0)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        head = max(4.5, width * 0.5 + 3.5)
        painter.drawPolygon(QPolygonF([end, end + QPointF(-head, -8), end + QPointF(head, -8)]))
        label = self.shown_label()
        if label:
            if self._label_at is None:
                self._label_at = self._path.pointAtPercent(0.5)
            font = small_font(painter.font())
            metrics = QFontMetricsF(font)
            w = metrics.horizontalAdvance(label) + 12
            h = metrics.height() + 2
            pill = QRectF(self._label_at.x() - w / 2, self._label_at.y() - h / 2, w, h)
            text_color = pal.color(QPalette.ColorRole.Text)
            border = QPen(color, 1)
            if self.flow_label is not None and self.flow_stale:
                text_color = theme.color("muted")
                border.setStyle(Qt.PenStyle.DashLine)
            painter.setPen(border)
            painter.setBrush(theme.color("canvas"))
            painter.drawRoundedRect(pill, h / 2, h / 2)
            painter.setFont(font)
            painter.setPen(text_color)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)


class LinkPreviewItem(QGraphicsItem):
    """The curve following the cursor while a new link is drawn."""

    def __init__(self, start: QPointF) -> None:
        super().__init__()
        self.start = QPointF(start)
        self.refused = False
        self._path = link_path(self.start, self.start)
        self.setZValue(3)

    def set_end(self, end: QPointF, refused: bool) -> None:
        self.prepareGeometryChange()
        self._path = link_path(self.start, end)
        self.refused = refused

    def boundingRect(self) -> QRectF:
        return self._path.boundingRect().adjusted(-4, -4, 4, 4)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        color = theme.color("error") if self.refused else palette().color(QPalette.ColorRole.Highlight)
        painter.setPen(QPen(color, 2, Qt.PenStyle.DashLine))
        painter.setBrush(QBrush())
        painter.drawPath(self._path)
