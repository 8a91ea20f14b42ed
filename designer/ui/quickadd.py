"""The Tab quick-add popup: type a few letters of a kind, Enter adds it at the cursor."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from designer.model.kinds import KINDS
from designer.ui import theme


class QuickAdd(QFrame):
    """A small popup listing node kinds, filtered as the user types."""

    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add a step…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setUniformItemSizes(True)
        for spec in KINDS.values():
            item = QListWidgetItem(theme.icon(spec.name), spec.label)
            item.setData(Qt.ItemDataRole.UserRole, spec.name)
            item.setToolTip(spec.description)
            self.list.addItem(item)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        self.resize(240, 280)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self.accept_current)
        self.list.itemActivated.connect(lambda _item: self.accept_current())
        self.search.installEventFilter(self)
        self.filter("")

    def popup(self, at: QPoint) -> None:
        self.search.clear()
        self.filter("")
        self.move(at)
        self.show()
        self.search.setFocus()

    def visible_kinds(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if not self.list.item(i).isHidden()]

    def filter(self, text: str) -> None:
        words = text.lower().split()
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            spec = KINDS[item.data(Qt.ItemDataRole.UserRole)]
            hay = f"{spec.name} {spec.label} {spec.description}".lower()
            match = all(w in hay for w in words)
            item.setHidden(not match)
            if match and first is None:
                first = item
        self.list.setCurrentItem(first)

    def accept_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self.hide()
            self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up and Down in the search field move through the list.
        if watched is self.search and event.type() == QEvent.Type.KeyPress \
                and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            rows = [i for i in range(self.list.count()) if not self.list.item(i).isHidden()]
            if rows:
                current = self.list.currentRow()
                pos = rows.index(current) if current in rows else -1
                pos = max(0, pos - 1) if event.key() == Qt.Key.Key_Up else min(len(rows) - 1, pos + 1)
                self.list.setCurrentRow(rows[pos])
            return True
        return super().eventFilter(watched, event)
