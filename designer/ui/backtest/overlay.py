"""The backtest on the canvas: a count strip on each card, a count on each edge, a banner.

The overlay is view state. It reads a :class:`SimulationResult` and decorates
the scene's items (``NodeItem.set_footer``, ``EdgeItem.set_flow``); the flow
and its file never see a figure. Items come and go as the flow is edited (and
all are rebuilt when a file is opened), so the overlay re-applies itself once
the edits settle (a zero-delay timer after ``Document.changed``), matching
items to figures by node id and port.

Stale results (the flow changed since the run) stay visible but grey, and
the banner says to run again: numbers that no longer match the drawing must
not pass for current ones.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QPoint, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPalette
from PySide6.QtWidgets import QAbstractScrollArea, QGraphicsItem, QLabel, QStyleOptionGraphicsItem, QWidget

from designer.engine.figures import NodeFigures, SimulationResult
from designer.ui import theme
from designer.ui.backtest import numbers
from designer.ui.items import FOOTER_RECT, SIMPLE_LOD, EdgeItem, NodeItem, palette
from designer.ui.scene import FlowScene

STRIP_TYPE = QGraphicsItem.UserType + 20


class StripItem(QGraphicsItem):
    """A card's count strip: "98 in", or for a send "53 sent · 2 conv · $104", with a thin bar
    along its bottom as long as the share of the flow's journeys that reached the card."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.share = 0.0
        self.stale = False
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # presses go to the card
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)

    def type(self) -> int:
        return STRIP_TYPE

    def text(self) -> str:
        return " \u00b7 ".join(self.parts)

    def set_figures(self, parts: list[str], share: float, stale: bool, tooltip: str) -> None:
        if (parts, share, stale) != (self.parts, self.share, self.stale):
            self.parts, self.share, self.stale = list(parts), share, stale
            self.update()
        self.setToolTip(tooltip)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, FOOTER_RECT.width(), FOOTER_RECT.height())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if option.levelOfDetailFromTransform(painter.worldTransform()) < SIMPLE_LOD:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self.boundingRect()
        pal = palette()
        accent = theme.color("muted") if self.stale else pal.color(QPalette.ColorRole.Highlight)
        back = QColor(accent)
        back.setAlpha(30 if not theme.is_dark() else 45)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(back)
        painter.drawRoundedRect(rect, 4, 4)
        if not self.stale and self.share > 0:
            # A thin bar along the bottom: the share of the flow's journeys that got here.
            bar = QColor(accent)
            bar.setAlpha(170)
            painter.setBrush(bar)
            painter.save()
            painter.setClipRect(QRectF(rect.x(), rect.bottom() - 2.5, rect.width() * min(1.0, self.share), 2.5))
            painter.drawRoundedRect(rect, 4, 4)
            painter.restore()
        font = QFont(painter.font())
        font.setPointSizeF(max(6.0, font.pointSizeF() * 0.88))
        bold = QFont(font)
        bold.setBold(True)
        text = theme.color("muted") if self.stale else pal.color(QPalette.ColorRole.Text)
        good = theme.color("muted") if self.stale else theme.color("success")
        x = rect.x() + 6
        right = rect.right() - 5
        dot = " \u00b7 "
        for i, part in enumerate(self.parts):
            f = bold if i == 0 else font
            metrics = QFontMetricsF(f)
            if i:
                painter.setFont(font)
                painter.setPen(theme.color("muted"))
                w = QFontMetricsF(font).horizontalAdvance(dot)
                painter.drawText(QRectF(x, rect.y(), w, rect.height()), Qt.AlignmentFlag.AlignVCenter, dot)
                x += w
            width = metrics.horizontalAdvance(part)
            if x + width > right:
                part = metrics.elidedText(part, Qt.TextElideMode.ElideRight, max(0.0, right - x))
                width = right - x
            painter.setFont(f)
            painter.setPen(good if i >= 1 else text)  # a send's conversions and revenue in the success colour
            painter.drawText(QRectF(x, rect.y(), width + 1, rect.height()), Qt.AlignmentFlag.AlignVCenter, part)
            x += width
            if x >= right:
                break


class Banner(QLabel):
    """A line in the canvas' top-left corner: what the overlay shows, or that it is out of date.

    It is a child of the view, not of its viewport: the viewport's children scroll with
    the scene."""

    def __init__(self, parent: QAbstractScrollArea) -> None:
        super().__init__(parent)
        self.setObjectName("backtestBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setMargin(0)
        self.stale = False
        self.hide()
        parent.installEventFilter(self)

    def show_text(self, text: str, stale: bool) -> None:
        self.stale = stale
        self._style()
        self.setText(text)
        self.adjustSize()
        self.place()
        self.show()
        self.raise_()

    def _style(self) -> None:
        pal = palette()
        if self.stale:
            fg, border = theme.color("warning"), theme.color("warning")
        else:
            fg, border = pal.color(QPalette.ColorRole.Text), theme.color("border")
        bg = QColor(theme.color("card"))
        self.setStyleSheet(f"QLabel#backtestBanner {{ color: {fg.name()}; background: {bg.name()}; "
                           f"border: 1px solid {border.name()}; border-radius: 10px; padding: 3px 12px; }}")

    def place(self) -> None:
        parent = self.parentWidget()
        if isinstance(parent, QAbstractScrollArea):
            self.move(parent.viewport().geometry().topLeft() + QPoint(10, 8))

    def eventFilter(self, watched, event) -> bool:
        if event.type() == event.Type.Resize and self.isVisible():
            self.place()
        return False


class ResultsOverlay(QObject):
    """Puts a result's figures on the scene's cards and edges, and keeps them there."""

    def __init__(self, scene: FlowScene, view: QAbstractScrollArea, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.result: SimulationResult | None = None
        self.stale = False
        self.banner = Banner(view)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.apply)
        scene.document.changed.connect(self._timer.start)
        theme.notifier().themeChanged.connect(self._theme_changed)

    # -- public -----------------------------------------------------------------
    def show(self, result: SimulationResult, stale: bool = False) -> None:
        self.result, self.stale = result, stale
        self.apply()

    def set_stale(self, stale: bool) -> None:
        if self.result is not None and stale != self.stale:
            self.stale = stale
            self.apply()

    def clear(self) -> None:
        self.result = None
        self.apply()

    def strip_of(self, node_id: str) -> StripItem | None:
        item = self.scene.nodes.get(node_id)
        footer = item.footer if item is not None else None
        return footer if isinstance(footer, StripItem) else None

    def strip_text(self, node_id: str) -> str | None:
        """What the card of ``node_id`` shows (None: no strip), as painted."""
        strip = self.strip_of(node_id)
        return strip.text() if strip is not None else None

    # -- applying ------------------------------------------------------------------
    def apply(self) -> None:
        """Bring every card and edge in line with the result (or remove the figures)."""
        self._timer.stop()
        result = self.result
        if result is None:
            for item in self.scene.nodes.values():
                item.set_footer(None)
            for items in self.scene.edges.values():
                for edge in items:
                    edge.set_flow(None)
            self.banner.hide()
            return
        total = max(1, result.entered)
        for node_id, item in self.scene.nodes.items():
            figures = result.nodes.get(node_id)
            if figures is None:  # a card added after the run
                item.set_footer(None)
                continue
            self._strip_for(item, figures, total)
        for items in self.scene.edges.values():
            for edge in items:
                self._edge(edge, total)
        self._banner()

    def _strip_for(self, item: NodeItem, figures: NodeFigures, total: int) -> None:
        strip = item.footer
        if not isinstance(strip, StripItem):
            strip = StripItem()
            item.set_footer(strip)
        tooltip = "\n".join(numbers.node_tooltip(figures))
        parts = numbers.strip_parts(figures)
        warnings = [w.get("message", "") for w in self.result.warnings if w.get("node") == item.node_id]
        if warnings:
            # What the run could not show here, or advises, on the card itself.
            parts = ["\u26a0"] + parts
            tooltip = "\n".join(f"\u26a0 {w}" for w in warnings) + "\n" + tooltip
        if self.stale:
            tooltip = "Out of date: the flow changed after this backtest (F5 runs it again)\n" + tooltip
        strip.set_figures(parts, figures.entered / total, self.stale, tooltip)

    def _edge(self, edge: EdgeItem, total: int) -> None:
        figures = self.result.nodes.get(edge.edge.source) if self.result is not None else None
        if figures is None:
            edge.set_flow(None)
            return
        n = figures.exits.get(edge.edge.port, 0)
        share = n / total
        tip = f"{numbers.count(n)} journeys took this edge ({numbers.percent(n, total)} of those that entered)"
        edge.set_flow(numbers.edge_text(edge.label, n), share, self.stale, tip)

    def _banner(self) -> None:
        r = self.result
        if r is None:
            self.banner.hide()
            return
        if self.stale:
            text = "Out of date: the flow changed \u2014 F5 runs the backtest again"
        else:
            text = f"Backtest \u00b7 {numbers.span(r.window_from, max(r.window_from, r.window_to - 1))}"
        self.banner.show_text(text, self.stale)

    def _theme_changed(self, _name: str) -> None:
        for node_id in self.scene.nodes:
            strip = self.strip_of(node_id)
            if strip is not None:
                strip.update()
        if self.result is not None:
            self._banner()
