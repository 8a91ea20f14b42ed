"""The node palette: every kind with its icon, name and one-line description.

Drag a kind onto the canvas (MIME type ``application/x-trigger-flow-kind``,
the kind name in UTF-8), or double-click it / press Enter to add it where the
canvas decides (``kindActivated``). The search box filters on label, kind name
and description; Enter in the search box takes the first match.
"""

from __future__ import annotations

from PySide6.QtCore import (QByteArray, QEvent, QMimeData, QModelIndex, QObject, QRect, QSize,
                            QSortFilterProxyModel, Qt, Signal)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (QAbstractItemView, QLineEdit, QListView, QStyle, QStyledItemDelegate,
                               QStyleOptionViewItem, QVBoxLayout, QWidget)

from designer.model.kinds import KINDS
from designer.ui import theme

MIME_TYPE = "application/x-trigger-flow-kind"
KIND_ROLE = Qt.ItemDataRole.UserRole + 1
DESCRIPTION_ROLE = Qt.ItemDataRole.UserRole + 2
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3
COLOR_ROLE = Qt.ItemDataRole.UserRole + 4
ICON_SIZE = 20
TILE = 32
PAD = 8


def kind_mime_data(kind: str) -> QMimeData:
    data = QMimeData()
    data.setData(MIME_TYPE, QByteArray(kind.encode("utf-8")))
    return data


def kind_from_mime(data: QMimeData) -> str | None:
    """The kind a drop carries, or None when it carries none (or an unknown one)."""
    if not data.hasFormat(MIME_TYPE):
        return None
    name = bytes(data.data(MIME_TYPE).data()).decode("utf-8", "replace")
    return name if name in KINDS else None


class KindModel(QStandardItemModel):
    """One row per kind; drags carry the kind name."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        for spec in KINDS.values():
            item = QStandardItem(spec.label)
            item.setData(spec.name, KIND_ROLE)
            item.setData(spec.description, DESCRIPTION_ROLE)
            item.setData(f"{spec.label}\n{spec.name}\n{spec.name.replace('_', ' ')}\n{spec.description}", SEARCH_ROLE)
            item.setData(spec.color, COLOR_ROLE)
            item.setToolTip(f"{spec.label}: {spec.description}")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            self.appendRow(item)
        self.refresh_icons()

    def refresh_icons(self) -> None:
        for row in range(self.rowCount()):
            item = self.item(row)
            item.setIcon(theme.icon(item.data(KIND_ROLE)))

    def mimeTypes(self) -> list[str]:  # noqa: N802 (Qt override)
        return [MIME_TYPE]

    def mimeData(self, indexes) -> QMimeData:  # noqa: N802 (Qt override)
        kinds = [i.data(KIND_ROLE) for i in indexes if i.isValid()]
        return kind_mime_data(kinds[0]) if kinds else QMimeData()

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802 (Qt override)
        return Qt.DropAction.CopyAction


class KindDelegate(QStyledItemDelegate):
    """A tinted tile with the icon, the label in bold and the description under it."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        line = QFontMetrics(option.font).height()
        return QSize(200, max(TILE, 2 * line + 2) + 2 * PAD - 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        opt.icon = type(opt.icon)()
        style = opt.widget.style() if opt.widget else None
        painter.save()
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, opt.widget)
        rect = option.rect.adjusted(PAD, 0, -PAD, 0)
        tile = QRect(rect.left(), rect.center().y() - TILE // 2 + 1, TILE, TILE)
        tint = QColor(index.data(COLOR_ROLE) or "#888888")
        tint.setAlpha(70 if theme.is_dark() else 46)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(tint)
        painter.drawRoundedRect(tile, 7, 7)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        icon = (theme.icon(index.data(KIND_ROLE), palette.highlightedText().color()) if selected
                else index.data(Qt.ItemDataRole.DecorationRole))
        if icon is not None:
            icon_rect = QRect(0, 0, ICON_SIZE, ICON_SIZE)
            icon_rect.moveCenter(tile.center())
            icon.paint(painter, icon_rect)
        text_color = palette.highlightedText().color() if selected else palette.text().color()
        muted = QColor(text_color)
        muted.setAlphaF(0.78 if selected else 0.62)
        text_left = tile.right() + 10
        text_width = rect.right() - text_left
        bold = QFont(option.font)
        bold.setWeight(QFont.Weight.DemiBold)
        line = QFontMetrics(option.font).height()
        top = rect.center().y() - line
        painter.setFont(bold)
        painter.setPen(text_color)
        painter.drawText(QRect(text_left, top, text_width, line), Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(bold).elidedText(index.data(Qt.ItemDataRole.DisplayRole), Qt.TextElideMode.ElideRight,
                                                       text_width))
        painter.setFont(option.font)
        painter.setPen(muted)
        description = index.data(DESCRIPTION_ROLE) or ""
        painter.drawText(QRect(text_left, top + line + 1, text_width, line), Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(option.font).elidedText(description, Qt.TextElideMode.ElideRight, text_width))
        painter.restore()


class Palette(QWidget):
    """The list of node kinds, searchable and draggable."""

    #: A kind was chosen with a double-click or Enter: the canvas adds one.
    kindActivated = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search nodes")
        self.search.setClearButtonEnabled(True)
        self.model = KindModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterRole(SEARCH_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.view = QListView()
        self.view.setModel(self.proxy)
        self.view.setItemDelegate(KindDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.view.setUniformItemSizes(True)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setToolTip("")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        self.setMinimumWidth(200)

        self.search.textChanged.connect(self.set_filter)
        self.view.doubleClicked.connect(self._activate)
        self.view.installEventFilter(self)
        self.search.installEventFilter(self)
        theme.notifier().themeChanged.connect(self._theme_changed)

    @staticmethod
    def mime_data(kind: str) -> QMimeData:
        """What a drag of ``kind`` carries; the canvas reads it back with ``kind_from_mime``."""
        return kind_mime_data(kind)

    def set_filter(self, text: str) -> None:
        if self.search.text() != text:
            self.search.setText(text)  # comes back here through textChanged
            return
        self.proxy.setFilterFixedString(text.strip())
        if self.proxy.rowCount():
            self.view.setCurrentIndex(self.proxy.index(0, 0))

    def visible_kinds(self) -> list[str]:
        """The kinds the filter lets through, in palette order."""
        return [self.proxy.index(r, 0).data(KIND_ROLE) for r in range(self.proxy.rowCount())]

    def index_of(self, kind: str) -> QModelIndex:
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data(KIND_ROLE) == kind:
                return index
        return QModelIndex()

    def _activate(self, index: QModelIndex) -> None:
        if index.isValid():
            self.kindActivated.emit(index.data(KIND_ROLE))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                index = self.view.currentIndex()
                if not index.isValid() and self.proxy.rowCount():
                    index = self.proxy.index(0, 0)
                self._activate(index)
                return True
            if watched is self.search and key == Qt.Key.Key_Down and self.proxy.rowCount():
                self.view.setFocus()
                if not self.view.currentIndex().isValid():
                    self.view.setCurrentIndex(self.proxy.index(0, 0))
                return True
        return super().eventFilter(watched, event)

    def _theme_changed(self, _name: str) -> None:
        self.model.refresh_icons()
        self.view.viewport().update()
