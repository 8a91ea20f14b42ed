"""The canvas view: zoom around the cursor, pan, fit, drops from the palette,
the Tab quick-add, and a minimap in the corner."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (QColor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent, QMouseEvent, QPainter,
                           QPaintEvent, QPalette, QPen, QPixmap, QWheelEvent, QCursor)
from PySide6.QtWidgets import QGraphicsView, QWidget

from designer.model.layout import CARD_HEIGHT, CARD_WIDTH
from designer.ui import theme
from designer.ui.gestures import DropGesture, PanGesture
from designer.ui.items import kind_color, small_font
from designer.ui.quickadd import QuickAdd
from designer.ui.scene import FlowScene


class FlowView(QGraphicsView):
    zoomChanged = Signal(float)
    MIN_ZOOM, MAX_ZOOM = 0.02, 3.0
    #: Fit never enlarges a small flow beyond this.
    FIT_MAX_ZOOM = 1.0
    #: The smallest text on a card (id, port names, figures) must reach this many pixels on
    #: screen when a flow is opened; a flow that would need less is shown from its start.
    LEGIBLE_TEXT_PX = 9.0

    def __init__(self, scene: FlowScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.flow_scene = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        # Panning is the middle button, space-drag or the minimap; the wheel zooms.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._pan: PanGesture | None = None
        self._space = False
        self.quick_add = QuickAdd(self)
        self._quick_add_at = QPointF()
        self.quick_add.chosen.connect(self._quick_add_chosen)
        #: The user's choice (View > Minimap); the map also hides while the whole flow is in view.
        self.minimap_enabled = True
        self.minimap = Minimap(self)
        self.minimap.redraw()

    # -- zoom ----------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, zoom: float, anchor: QPoint | None = None) -> None:
        """Zoom to a scale, keeping the scene point under ``anchor`` (viewport pixels) in place."""
        zoom = min(self.MAX_ZOOM, max(self.MIN_ZOOM, zoom))
        factor = zoom / self.zoom()
        if abs(factor - 1) < 1e-9:
            return
        anchor = anchor if anchor is not None else self.viewport().rect().center()
        before = self.mapToScene(anchor)
        self.scale(factor, factor)
        after = self.mapFromScene(before)
        delta = after - anchor
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())
        self.zoomChanged.emit(self.zoom())
        self.update_minimap()

    def zoom_in(self) -> None:
        self.set_zoom(self.zoom() * 1.25)

    def zoom_out(self) -> None:
        self.set_zoom(self.zoom() / 1.25)

    def fit(self) -> None:
        """Show the whole flow, without enlarging a small one past 100 %."""
        rect = self.flow_scene.flow_bounds_from_model()
        if rect.isNull():
            return
        rect = rect.adjusted(-50, -50, 50, 50)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > self.FIT_MAX_ZOOM:
            self.set_zoom(self.FIT_MAX_ZOOM)
        if self.zoom() < self.MIN_ZOOM:
            self.set_zoom(self.MIN_ZOOM)
        self.centerOn(rect.center())
        self.zoomChanged.emit(self.zoom())
        self.update_minimap()

    def legible_zoom(self) -> float:
        """The least zoom at which the cards' smallest text is LEGIBLE_TEXT_PX tall on screen."""
        return min(self.FIT_MAX_ZOOM, self.LEGIBLE_TEXT_PX / self.small_text_px())

    def small_text_px(self) -> float:
        """Pixel size of the cards' smallest text at 100 % on this view's screen."""
        points = small_font(self.flow_scene.font()).pointSizeF()
        return points * self.viewport().logicalDpiY() / 72.0

    def show_flow(self) -> None:
        """The view a freshly opened flow gets: all of it when its text stays legible there,
        else the legible zoom with its start (the trigger) at the top, centred on the flow
        when its width fits, on the trigger when not; the minimap shows the rest."""
        rect = self.flow_scene.flow_bounds_from_model()
        if rect.isNull():
            return
        vp = self.viewport().rect()
        whole = min(vp.width() / (rect.width() + 100), vp.height() / (rect.height() + 100))
        legible = self.legible_zoom()
        if whole >= legible:
            self.fit()
            return
        self.set_zoom(legible)
        flow = self.flow_scene.document.flow
        node = flow.trigger() or min(flow.nodes.values(), key=lambda n: (n.y, n.x))
        width_fits = (rect.width() + 100) * self.zoom() <= vp.width()
        x = rect.center().x() if width_fits else node.x + CARD_WIDTH / 2
        half_height = vp.height() / self.zoom() / 2
        self.centerOn(QPointF(x, min(rect.top(), node.y) - 40 + half_height))
        self.zoomChanged.emit(self.zoom())
        self.update_minimap()

    def update_minimap(self) -> None:
        """Show the minimap when enabled and part of the flow is out of view."""
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        flow = self.minimap.flow_rect
        show = self.minimap_enabled and not flow.isNull() and not visible.contains(flow)
        if show != self.minimap.isVisible():
            self.minimap.setVisible(show)
        if show:
            self.minimap.update()

    def center_on_node(self, node_id: str) -> None:
        item = self.flow_scene.nodes.get(node_id)
        if item is not None:
            self.centerOn(item.sceneBoundingRect().center())

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            event.ignore()
            return
        self.set_zoom(self.zoom() * (1.0015 ** delta), event.position().toPoint())
        event.accept()

    # -- pan ---------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                event.button() == Qt.MouseButton.LeftButton and self._space):
            self._pan = PanGesture(self, event.position().toPoint())
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan is not None:
            self._pan.move(event.position().toPoint())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan is not None:
            self._pan = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            if self._pan is None:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    # -- Tab quick-add -------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        # Tab would move the focus; on the canvas it opens the quick-add search.
        if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Tab \
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.open_quick_add()
            return True
        return super().event(event)

    def open_quick_add(self, at: QPoint | None = None) -> None:
        """Show the quick-add popup at a viewport point (the cursor, else the centre)."""
        if at is None:
            at = self.viewport().mapFromGlobal(QCursor.pos())
            if not self.viewport().rect().contains(at):
                at = self.viewport().rect().center()
        self._quick_add_at = self.mapToScene(at)
        self.quick_add.popup(self.viewport().mapToGlobal(at))

    def _quick_add_chosen(self, kind: str) -> None:
        DropGesture.drop(self.flow_scene, kind, self._quick_add_at)
        self.setFocus()

    def add_at_center(self, kind: str) -> str:
        """Add a card at the middle of the view (palette double-click)."""
        return DropGesture.drop(self.flow_scene, kind, self.mapToScene(self.viewport().rect().center()))

    # -- drops from the palette -------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if DropGesture.kind_of(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if DropGesture.kind_of(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        kind = DropGesture.kind_of(event.mimeData())
        if kind is None:
            event.ignore()
            return
        DropGesture.drop(self.flow_scene, kind, self.mapToScene(event.position().toPoint()))
        event.acceptProposedAction()
        self.setFocus()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.minimap.place()
        self.update_minimap()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.update_minimap()


class Minimap(QWidget):
    """An overview of the whole flow in the view's corner; the frame is what the view
    shows. Click or drag in it to move the view there. The picture of the cards is
    redrawn from the model after edits settle, not on every scroll."""

    SIZE = (170, 110)

    def __init__(self, view: FlowView) -> None:
        super().__init__(view)
        self.view = view
        self._pixmap: QPixmap | None = None
        self._bounds = QRectF()
        #: The cards' extent in scene coordinates, as of the last redraw.
        self.flow_rect = QRectF()
        self._scale = 1.0
        self._offset = QPointF()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.redraw)
        view.flow_scene.document.changed.connect(self._timer.start)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.resize(*self.SIZE)
        self.place()

    def place(self) -> None:
        vp = self.view.viewport().geometry()
        self.move(vp.right() - self.width() - 10, vp.bottom() - self.height() - 10)

    def redraw(self) -> None:
        """Paint the cards into the cached picture."""
        nodes = list(self.view.flow_scene.document.flow.nodes.values())
        ratio = self.devicePixelRatioF()
        pix = QPixmap(int(self.width() * ratio), int(self.height() * ratio))
        pix.setDevicePixelRatio(ratio)
        pix.fill(Qt.GlobalColor.transparent)
        self.flow_rect = self.view.flow_scene.flow_bounds_from_model()
        if nodes:
            self._bounds = self.flow_rect.adjusted(-60, -60, 60, 60)
            inner = QRectF(4, 4, self.width() - 8, self.height() - 8)
            self._scale = min(inner.width() / self._bounds.width(), inner.height() / self._bounds.height())
            self._offset = QPointF(inner.x() + (inner.width() - self._bounds.width() * self._scale) / 2,
                                   inner.y() + (inner.height() - self._bounds.height() * self._scale) / 2)
            painter = QPainter(pix)
            w, h = max(1.5, CARD_WIDTH * self._scale), max(1.5, CARD_HEIGHT * self._scale)
            for node in nodes:
                p = self.to_map(QPointF(node.x, node.y))
                painter.fillRect(QRectF(p.x(), p.y(), w, h), kind_color(node.kind))
            painter.end()
        self._pixmap = pix
        self.view.update_minimap()

    def to_map(self, scene_point: QPointF) -> QPointF:
        return QPointF((scene_point.x() - self._bounds.x()) * self._scale + self._offset.x(),
                       (scene_point.y() - self._bounds.y()) * self._scale + self._offset.y())

    def to_scene(self, map_point: QPointF) -> QPointF:
        if self._scale <= 0:
            return QPointF()
        return QPointF((map_point.x() - self._offset.x()) / self._scale + self._bounds.x(),
                       (map_point.y() - self._offset.y()) / self._scale + self._bounds.y())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self.palette()
        bg = QColor(theme.color("canvas"))
        bg.setAlpha(235)
        painter.setPen(QPen(theme.color("border"), 1))
        painter.setBrush(bg)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        if self._pixmap is not None:
            painter.drawPixmap(0, 0, self._pixmap)
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        frame = QRectF(self.to_map(visible.topLeft()), self.to_map(visible.bottomRight()))
        frame = frame.intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        highlight = pal.color(QPalette.ColorRole.Highlight)
        painter.setPen(QPen(highlight, 1.5))
        fill = QColor(highlight)
        fill.setAlpha(30)
        painter.setBrush(fill)
        painter.drawRect(frame)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.view.centerOn(self.to_scene(event.position()))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.view.centerOn(self.to_scene(event.position()))
        event.accept()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.redraw()
