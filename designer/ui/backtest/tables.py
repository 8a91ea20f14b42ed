"""The Results dock's tables: rows of figures in a Qt model, sorted by value through a proxy.

Each cell is a :class:`Cell` (the text shown, the value it sorts by, a
tooltip); each row names the step it is about, so a click can go to its
card. A :class:`QSortFilterProxyModel` sorts by the value role, so "1,234"
sorts after "987" and money sorts as money, whatever the locale writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

NODE_ROLE = Qt.ItemDataRole.UserRole
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True)
class Cell:
    text: str
    #: What the column sorts by (a number for figures; the text when None).
    value: Any = None
    tooltip: str = ""

    @property
    def numeric(self) -> bool:
        return isinstance(self.value, (int, float))


class FiguresModel(QAbstractTableModel):
    def __init__(self, headers: list[str], parent=None) -> None:
        super().__init__(parent)
        self.headers = headers
        self.rows: list[list[Cell]] = []
        self.nodes: list[str | None] = []

    def set_rows(self, rows: list[tuple[str | None, list[Cell]]]) -> None:
        """Replace every row: (the step it is about, its cells)."""
        self.beginResetModel()
        self.nodes = [node for node, _cells in rows]
        self.rows = [cells for _node, cells in rows]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        cell = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell.text
        if role == SORT_ROLE:
            return float(cell.value) if cell.numeric else cell.text.lower()
        if role == NODE_ROLE:
            return self.nodes[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return cell.tooltip or None
        if role == Qt.ItemDataRole.TextAlignmentRole and cell.numeric:
            return int(_RIGHT.value)
        return None


class FiguresTable(QTableView):
    """A sortable, read-only table of figures; ``model_`` holds the rows, ``proxy`` sorts them."""

    def __init__(self, headers: list[str], parent=None) -> None:
        super().__init__(parent)
        self.model_ = FiguresModel(headers, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model_)
        self.proxy.setSortRole(SORT_ROLE)
        self.setModel(self.proxy)
        self.setSortingEnabled(True)
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the flow's order until a header is clicked
        self.verticalHeader().hide()
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(False)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)

    def set_rows(self, rows: list[tuple[str | None, list[Cell]]]) -> None:
        self.model_.set_rows(rows)

    def rowCount(self) -> int:
        return self.proxy.rowCount()

    def text(self, row: int, column: int) -> str:
        """What the table shows at (row, column), in its current (sorted) order."""
        return self.proxy.index(row, column).data() or ""

    def node_at(self, row: int) -> str | None:
        return self.proxy.index(row, 0).data(NODE_ROLE)
