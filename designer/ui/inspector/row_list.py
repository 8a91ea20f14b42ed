"""Rows of small fields with a remove button each and an add button: the shape shared by
the variants, properties and names editors."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from designer.ui.inspector.base import ValueEditor, remove_button


class Row(QWidget):
    def __init__(self, fields: list[QWidget], stretch: list[int]) -> None:
        super().__init__()
        self.fields = fields
        self.remove = remove_button("Remove this row")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget, factor in zip(fields, stretch):
            layout.addWidget(widget, factor)
        layout.addWidget(self.remove)


class RowList(ValueEditor):
    """Subclasses say how a row is made (``create_fields``) and read (``value``)."""

    #: Stretch factor of each field of a row.
    stretch: list[int] = [1]
    #: Fewest rows allowed; their remove buttons are disabled at that count.
    min_rows = 0

    def __init__(self, add_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []
        self.box = QVBoxLayout()
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(4)
        self.add_button = QPushButton(add_text)
        self.add_button.setFlat(True)
        self.add_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.footer = QHBoxLayout()
        self.footer.setContentsMargins(0, 0, 0, 0)
        self.footer.addWidget(self.add_button)
        self.footer.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(self.box)
        layout.addLayout(self.footer)
        self.add_button.clicked.connect(self._add_clicked)

    def create_fields(self) -> list[QWidget]:
        raise NotImplementedError

    def fill_row(self, row: Row, item: object) -> None:
        raise NotImplementedError

    def new_item(self) -> object:
        """What a row added by the user starts with."""
        return None

    def _add_clicked(self) -> None:
        row = self.add_row(self.new_item())
        row.fields[0].setFocus()
        self.emit_edit(False)

    def add_row(self, item: object = None) -> Row:
        row = Row(self.create_fields(), self.stretch)
        if item is not None:
            self.fill_row(row, item)
        row.remove.clicked.connect(lambda: self.remove_row(row))
        self.rows.append(row)
        self.box.addWidget(row)
        self._sync_remove()
        return row

    def remove_row(self, row: Row) -> None:
        if len(self.rows) <= self.min_rows:
            return
        self.rows.remove(row)
        self.box.removeWidget(row)
        row.hide()
        row.deleteLater()
        self._sync_remove()
        self.emit_edit(False)

    def clear_rows(self) -> None:
        for row in self.rows:
            self.box.removeWidget(row)
            row.hide()
            row.deleteLater()
        self.rows = []

    def load_items(self, items: list) -> None:
        with self.loading():
            self.clear_rows()
            for item in items:
                self.add_row(item)
        self._sync_remove()
        self.refresh_problem()

    def _sync_remove(self) -> None:
        for row in self.rows:
            row.remove.setEnabled(len(self.rows) > self.min_rows)
