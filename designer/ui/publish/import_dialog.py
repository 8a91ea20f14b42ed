"""File > Import from Klaviyo: pick one of the account's flows and open it as a new,
untitled flow, translated into our model, to backtest and improve."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QVBoxLayout, QWidget)

from designer.model.flow import Flow
from designer.publish.report import Report
from designer.ui.backtest.worker import Task, Workers
from designer.ui.publish import jobs
from designer.ui.publish.keyfield import KeyFields


class ImportKlaviyoDialog(QDialog):
    def __init__(self, workers: Workers, opened: Callable[[Flow, Report], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import from Klaviyo")
        self.workers = workers
        self.opened = opened
        layout = QVBoxLayout(self)
        self.keys = KeyFields("klaviyo", self)
        layout.addWidget(self.keys)
        self.load_button = QPushButton("Load Flows", self)
        layout.addWidget(self.load_button)
        self.flows = QListWidget(self)
        layout.addWidget(self.flows)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        layout.addWidget(self.buttons)
        self.buttons.rejected.connect(self.reject)
        self.load_button.clicked.connect(self.load)
        self.import_button.clicked.connect(self.start_import)
        self.flows.currentItemChanged.connect(lambda item, _old: self.import_button.setEnabled(item is not None))

    def _run(self, name: str, fn, finished) -> None:
        self.status.setText("Working…")
        task = Task(name, lambda _p, _c: fn()).on(finished=finished, failed=self.status.setText)
        self.workers.start(task)

    def load(self) -> None:
        conn = self.keys.connection()
        self._run("list flows", lambda: jobs.list_flows(conn), self._listed)

    def _listed(self, flows: list[tuple[str, str, str]]) -> None:
        self.flows.clear()
        for flow_id, name, status in flows:
            item = QListWidgetItem(f"{name}  ({status or 'draft'}, {flow_id})")
            item.setData(Qt.ItemDataRole.UserRole, flow_id)
            self.flows.addItem(item)
        self.status.setText(f"{len(flows)} flows in the account" if flows else "The account has no flows.")

    def start_import(self) -> None:
        item = self.flows.currentItem()
        if item is None:
            return
        conn, flow_id = self.keys.connection(), item.data(Qt.ItemDataRole.UserRole)
        self._run("pull flow", lambda: jobs.pull(conn, flow_id), self._pulled)

    def _pulled(self, pulled: tuple[Flow, Report]) -> None:
        flow, report = pulled
        self.opened(flow, report)
        self.accept()
