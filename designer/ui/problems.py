"""The problems dock: every validation error and warning, one row each.

Clicking a row that names a node asks the window to select and centre that
node; the list follows the document's (debounced) validation.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from designer.model.validate import ERROR, Problem
from designer.ui import theme
from designer.ui.document import Document

NODE_ROLE = Qt.ItemDataRole.UserRole


def count_text(problems: list[Problem]) -> str:
    """"2 errors, 1 warning" (the dock's summary and the status bar say it the same way)."""
    errors = sum(p.severity == ERROR for p in problems)
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def severity_icon(severity: str) -> QIcon:
    """A filled dot in the theme's error or warning colour."""
    pix = QPixmap(12, 12)
    pix.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(theme.color("error" if severity == ERROR else "warning")))
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pix)


class ProblemsPanel(QWidget):
    #: A problem's node was clicked (node id).
    nodeActivated = Signal(str)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.summary = QLabel(self)
        self.summary.setProperty("role", "muted")
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Severity", "Node", "Problem"])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(False)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree)
        self.tree.itemClicked.connect(self._clicked)
        self.tree.itemActivated.connect(self._clicked)
        document.problemsChanged.connect(self.show_problems)
        self.show_problems(document.problems())

    def show_problems(self, problems: list[Problem]) -> None:
        self.tree.clear()
        icons = {ERROR: severity_icon(ERROR), "warning": severity_icon("warning")}
        rows = []
        for p in problems:
            where = p.node or ("settings" if p.path and p.path.startswith("settings") else "flow")
            message = p.message + (f"  ({p.path})" if p.path and p.node else "")
            row = QTreeWidgetItem([p.severity, where, message])
            row.setIcon(0, icons.get(p.severity, icons["warning"]))
            row.setToolTip(2, p.message)
            row.setData(0, NODE_ROLE, p.node)
            rows.append(row)
        self.tree.addTopLevelItems(rows)
        if not problems:
            self.summary.setText("No problems: the flow is ready to backtest and publish.")
        else:
            self.summary.setText(f"{count_text(problems)} — click one to go to its node.")

    def rows(self) -> list[tuple[str, str | None, str]]:
        """(severity, node, message) of each row, for tests and tooltips."""
        out = []
        for i in range(self.tree.topLevelItemCount()):
            row = self.tree.topLevelItem(i)
            out.append((row.text(0), row.data(0, NODE_ROLE), row.text(2)))
        return out

    def _clicked(self, row: QTreeWidgetItem, _column: int = 0) -> None:
        node = row.data(0, NODE_ROLE)
        if node:
            self.nodeActivated.emit(node)
