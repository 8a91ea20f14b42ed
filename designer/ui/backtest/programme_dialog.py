"""Flow > Backtest with Other Flows...: choose the flow files the backtest runs with the open flow.

The list offers the flow files beside the open flow (the examples' folder for
an unsaved flow), each ticked if the current choice has it; "Add Files..."
brings in flows from elsewhere. The frequency cap starts as the programme
file's beside them (``programme.json``), whose priority and collision window
are kept too. "Backtest" keeps the choice for the following runs and starts
one; ticking nothing backtests the flow alone again.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QLabel, QLineEdit, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from designer import EXAMPLE_FLOWS
from designer.model import documents, io
from designer.model.errors import FlowFormatError
from designer.model.programme import DEFAULT_COLLISION, ProgrammeError, parse_cap
from designer.ui.backtest.controller import BacktestController
from designer.ui.backtest.other_flows import OtherFlows, OtherFlowsError, folder_programme

PATH_ROLE = Qt.ItemDataRole.UserRole
FLOW_FILTER = "Flow files (*.json);;All files (*)"


class OtherFlowsDialog(QDialog):
    #: The choice was kept (an :class:`OtherFlows`); the window then runs the backtest.
    chosen = Signal(object)

    def __init__(self, controller: BacktestController, folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.folder = folder
        self.setWindowTitle("Backtest with Other Flows")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        current = controller.others
        found, problem = folder_programme(folder)
        self.priority = current.priority if current else (found.priority if found else ())
        self.collision_window = current.collision_window if current else \
            (found.collision_window if found else DEFAULT_COLLISION)
        intro = QLabel("Backtest this flow together with other flows on the same customers: smart sending and "
                       "the frequency cap count across them, and the Results dock's Programme tab shows what "
                       "only the whole programme shows.")
        intro.setWordWrap(True)
        self.list = QListWidget()
        own = controller.document.path
        for path in documents.flow_files(folder):
            if own and Path(own).resolve() == path.resolve():
                continue
            self._add_item(str(path), checked=str(path) in current.paths)
        for path in current.paths:
            if not self._item_for(path):
                self._add_item(path, checked=True)
        self.add_files = QPushButton("Add Files\u2026")
        self.add_files.clicked.connect(self._add_files_clicked)
        self.cap = QLineEdit(current.cap.text() if current.cap else
                             (found.cap.text() if current.paths == () and found and found.cap else ""))
        self.cap.setPlaceholderText("none, or messages/window such as 3/P7D")
        self.cap.setToolTip("At most this many marketing messages per customer in any such window, across the flows")
        self.error = QLabel("" if problem is None else f"The programme file beside the flows was not read: {problem}")
        self.error.setWordWrap(True)
        self.error.setProperty("role", "error")
        form = QFormLayout()
        form.addRow("Frequency cap", self.cap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.run_button = buttons.addButton("Backtest", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.add_files, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(480, 420)

    # -- the list ------------------------------------------------------------------------
    def _add_item(self, path: str, checked: bool) -> QListWidgetItem:
        try:
            title = f"{io.load(path).name}  ({Path(path).name})"
        except FlowFormatError:
            title = f"{Path(path).name}  (cannot be read)"
        item = QListWidgetItem(title)
        item.setData(PATH_ROLE, path)
        item.setToolTip(path)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.list.addItem(item)
        return item

    def _item_for(self, path: str) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            if self.list.item(i).data(PATH_ROLE) == path:
                return self.list.item(i)
        return None

    def add_paths(self, paths: list[str]) -> None:
        """Add (ticked) flow files chosen from elsewhere."""
        for path in paths:
            item = self._item_for(path) or self._add_item(path, checked=True)
            item.setCheckState(Qt.CheckState.Checked)

    def _add_files_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add flows to the backtest", str(self.folder), FLOW_FILTER)
        self.add_paths(paths)

    def checked_paths(self) -> list[str]:
        return [self.list.item(i).data(PATH_ROLE) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    # -- keeping the choice -------------------------------------------------------------------
    def choice(self) -> OtherFlows:
        """The choice as the dialog shows it; a cap or a flow that cannot be used raises ValueError."""
        text = self.cap.text().strip()
        try:
            cap = parse_cap(text) if text else None
        except ProgrammeError as exc:
            raise ValueError(f"Frequency cap: {exc}") from None
        others = OtherFlows(tuple(self.checked_paths()), cap, tuple(self.priority), self.collision_window)
        others.load(self.controller.document.flow)  # OtherFlowsError (a ValueError) names the file
        return others

    def accept(self) -> None:
        try:
            others = self.choice()
        except (ValueError, OtherFlowsError) as exc:
            self.error.setText(str(exc))
            return
        self.controller.set_others(others)
        super().accept()
        self.chosen.emit(others)


def open_dialog(window) -> OtherFlowsDialog:
    """Show the dialog for the window's open flow (window-modal, the canvas stays visible); a kept
    choice runs the backtest at once."""
    path = window.document.path
    folder = Path(path).parent if path else EXAMPLE_FLOWS
    dialog = OtherFlowsDialog(window.backtest, folder, window)
    dialog.chosen.connect(lambda others: _chosen(window, others))
    dialog.finished.connect(lambda _r: setattr(window, "programme_dialog", None))
    window.programme_dialog = dialog
    dialog.open()
    return dialog


def _chosen(window, others: OtherFlows) -> None:
    window.statusBar().showMessage(f"Backtesting with {others.describe()}" if others else
                                   "Backtesting this flow alone again", 5000)
    window.run_backtest()
