"""The Publish dialog: target, key with Test Connection, the capability report,
a preview of the body, progress, and the result with a link to the remote flow.

A flow with validation errors is refused before anything else. Publishing runs
on the window's thread pool; the publish record it returns goes into the
document's flow (saved at once when the file has no other unsaved change).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QListWidget,
                               QPlainTextEdit, QProgressBar, QPushButton, QVBoxLayout, QWidget)

from designer.model.validate import ERROR
from designer.publish.metrics import MetricMapError, MetricNames
from designer.publish.senders import SENDERS
from designer.publish.targets import EXPORTERS
from designer.ui.backtest.worker import Task, Workers
from designer.ui.document import Document
from designer.ui.publish import jobs
from designer.ui.publish.keyfield import KeyFields

#: Targets the editor can send to (every one :mod:`designer.publish.senders` knows).
SENDABLE = tuple(SENDERS)
TARGETS = ("klaviyo", "hubspot", "dittofeed", "runtime")


class PublishDialog(QDialog):
    def __init__(self, document: Document, workers: Workers, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Publish flow")
        self.document = document
        self.workers = workers
        self.task: Task | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.target = QComboBox(self)
        self.target.addItems(TARGETS)
        form.addRow("Target:", self.target)
        layout.addLayout(form)
        self.keys = KeyFields("klaviyo", self)
        layout.addWidget(self.keys)
        self.test_button = QPushButton("Test Connection", self)
        self.connection_label = QLabel("", self)
        layout.addWidget(self.test_button)
        layout.addWidget(self.connection_label)
        layout.addWidget(QLabel("What the target cannot express:", self))
        self.report = QListWidget(self)
        layout.addWidget(self.report)
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        layout.addWidget(self.preview)
        self.allow_gaps = QCheckBox("Publish even though the target cannot express everything", self)
        self.activate = QCheckBox("Set the flow live after creating it", self)
        layout.addWidget(self.allow_gaps)
        layout.addWidget(self.activate)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.result = QLabel("", self)
        self.result.setOpenExternalLinks(True)
        self.result.setWordWrap(True)
        layout.addWidget(self.result)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.publish_button = self.buttons.addButton("Publish", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.rejected.connect(self.reject)
        self.publish_button.clicked.connect(self.start_publish)
        self.test_button.clicked.connect(self.test_connection)
        self.target.currentTextChanged.connect(self.refresh)
        layout.addWidget(self.buttons)
        self.errors = [p for p in document.problems() if p.severity == ERROR]
        self.refresh()

    # -- offline: report and preview -----------------------------------------
    def refresh(self) -> None:
        target = self.target.currentText()
        self.report.clear()
        if self.keys.target != target:
            self.keys.set_target(target)
            self.connection_label.setText("")
        if self.errors:
            self.report.addItems([f"{p.node or 'flow'}: {p.message}" for p in self.errors])
            self.result.setText("The flow has errors: fix them (see Problems) before publishing.")
            self.preview.setPlainText("")
            self.publish_button.setEnabled(False)
            return
        try:
            names = MetricNames.load()
        except MetricMapError as exc:
            self.report.addItem(str(exc))
            names = MetricNames()
        body, report = EXPORTERS[target](self.document.flow, Path(self.document.path) if self.document.path else None,
                                         names)
        self.report.addItems([g.line(target) for g in report.gaps] or ["Nothing: the target can run it as drawn."])
        self.preview.setPlainText(json.dumps(body, indent=2, ensure_ascii=False))
        sendable = target in SENDABLE
        self.publish_button.setEnabled(sendable)
        self.result.setText("" if sendable else f"{target}: preview only; sending is not available yet.")

    # -- online ----------------------------------------------------------------
    def _start(self, task: Task, finished) -> None:
        self.progress.show()
        self.publish_button.setEnabled(False)
        self.test_button.setEnabled(False)
        self.task = task.on(finished=finished, failed=self._failed, done=self._done)
        self.workers.start(task)

    def _failed(self, message: str) -> None:
        self.result.setText(message)

    def _done(self) -> None:
        self.progress.hide()
        self.test_button.setEnabled(True)
        self.publish_button.setEnabled(self.target.currentText() in SENDABLE and not self.errors)

    def test_connection(self) -> None:
        conn = self.keys.connection()
        self.connection_label.setText("Connecting…")
        self._start(Task("test connection", lambda _p, _c: jobs.check_connection(conn)),
                    self.connection_label.setText)
        self.task.on(failed=self.connection_label.setText)

    def start_publish(self) -> None:
        conn = self.keys.connection()
        flow, path = self.document.flow, self.document.path
        activate, allow = self.activate.isChecked(), self.allow_gaps.isChecked()
        self.result.setText("Publishing…")
        self._start(Task("publish", lambda _p, _c: jobs.publish(conn, flow, path, activate=activate,
                                                                allow_gaps=allow)), self._published)

    def _published(self, done: jobs.Published) -> None:
        r = done.result
        label = SENDERS[r.target].label
        link = (f' <a href="{r.url}">Open in {label}</a>' if r.url
                else f" {label} id: {html.escape(r.remote_id)}" if r.remote_id else "")
        self.result.setText(f"{html.escape(r.name)}: {html.escape(r.message)}.{link}")
        was_clean = not self.document.is_modified()
        self.document.flow.publish = done.publish
        if was_clean and self.document.path:
            self.document.save()
