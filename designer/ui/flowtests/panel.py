"""The Tests panel: a flow's unit tests listed with pass/fail, run in one click and on every edit.

Selecting a case shows it as JSON to edit (applied with Apply, saved with
Save Tests beside the flow, atomically) and what happened in its last run,
and lights the case's actual path on the canvas: green when it passed, red
when it failed. Cases run on the window's worker pool against a copy of the
flow taken when the run starts, so editing never races a run.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSize, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit,
                               QPushButton, QSplitter, QTableView, QVBoxLayout, QWidget)

from designer.engine.flowtests import CaseResult, run_case
from designer.model import io, testfile
from designer.ui.backtest.worker import Task, Workers
from designer.ui.document import Document
from designer.ui.flowtests.cases import STATE_FAILED, STATE_PASSED, CasesModel
from designer.ui.pathlight import PathLight
from designer.ui.scene import FlowScene

#: Edits that come in a burst (typing, dragging) run the tests once, this long after the last.
AUTO_RUN_DELAY_MS = 400


class TestsPanel(QWidget):
    #: Emitted when a run's results are in (passed, failed, errors).
    ran = Signal(int, int, int)

    def __init__(self, document: Document, scene: FlowScene, workers: Workers, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.workers = document, workers
        self.light = PathLight(scene)
        self.model = CasesModel(self)
        self._task: Task | None = None
        self._rerun = False

        self.run_button = QPushButton("Run Tests")
        self.auto = QCheckBox("Run on every edit")
        self.auto.setChecked(True)
        self.add_button = QPushButton("Add Case")
        self.remove_button = QPushButton("Remove Case")
        self.save_button = QPushButton("Save Tests")
        self.summary = QLabel()
        top = QHBoxLayout()
        for w in (self.run_button, self.auto, self.add_button, self.remove_button, self.save_button):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.summary)

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText("The selected case as JSON: customer, events, until, expect")
        self.apply_button = QPushButton("Apply")
        self.editor_error = QLabel()
        self.editor_error.setWordWrap(True)
        self.outcome = QPlainTextEdit()
        self.outcome.setReadOnly(True)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.editor, 3)
        row = QHBoxLayout()
        row.addWidget(self.apply_button)
        row.addWidget(self.editor_error, 1)
        rl.addLayout(row)
        rl.addWidget(self.outcome, 2)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(AUTO_RUN_DELAY_MS)
        self._timer.timeout.connect(self.run)
        self.run_button.clicked.connect(self.run)
        self.add_button.clicked.connect(self.add_case)
        self.remove_button.clicked.connect(self.remove_case)
        self.save_button.clicked.connect(self.save)
        self.apply_button.clicked.connect(self.apply_edit)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show(cur.row()))
        document.changed.connect(self._flow_edited)
        document.fileChanged.connect(lambda _p: self.reload())
        self.reload()

    def sizeHint(self) -> QSize:
        """Small, like the other bottom docks: a dock's hint sets the height of the whole dock area."""
        return QSize(640, 160)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 90)

    # -- file ----------------------------------------------------------------------
    def tests_path(self) -> Path | None:
        return testfile.tests_path_for(self.document.path) if self.document.path else None

    def reload(self) -> None:
        self.light.clear()
        self.model.load(self.tests_path())
        self._update_summary()
        if self.model.cases:
            self.select(0)
            self.run()
        else:
            self.editor.setPlainText("")
            self.outcome.setPlainText(self.model.file_error or "No tests yet: Add Case scripts a customer and "
                                      "what the flow must do for them.")

    def save(self) -> bool:
        try:
            self.model.save()
        except (ValueError, OSError) as exc:
            self.summary.setText(f"Not saved: {exc}")
            return False
        self._update_summary()
        return True

    # -- editing ---------------------------------------------------------------------
    def select(self, row: int) -> None:
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self._show(row)

    def current_row(self) -> int:
        return self.table.currentIndex().row()

    def add_case(self, case: dict | None = None) -> None:
        row = self.model.add(case)
        self.select(row)
        self._update_summary()
        self.run()

    def remove_case(self) -> None:
        row = self.current_row()
        if row >= 0:
            self.model.remove(row)
            self.light.clear()
            if self.model.cases:
                self.select(min(row, len(self.model.cases) - 1))
            self._update_summary()

    def apply_edit(self) -> bool:
        """Take the editor's JSON as the selected case; a mistake is named and nothing changes."""
        row = self.current_row()
        if row < 0:
            return False
        try:
            case = json.loads(self.editor.toPlainText())
        except json.JSONDecodeError as exc:
            self.editor_error.setText(f"Not valid JSON: {exc.msg} (line {exc.lineno})")
            return False
        if not isinstance(case, dict):
            self.editor_error.setText("A case is a JSON object")
            return False
        self.editor_error.setText("")
        self.model.replace(row, case)
        self._update_summary()
        self.run()
        return True

    # -- running -----------------------------------------------------------------------
    def _flow_edited(self) -> None:
        if self.model.cases:
            self.model.mark_stale()
            self._update_summary()
            if self.auto.isChecked():
                self._timer.start()

    def run(self) -> Task | None:
        """Run every case on the pool (a run asked for while one goes starts when it ends)."""
        self._timer.stop()
        if not self.model.cases:
            return None
        if self._task is not None:
            self._rerun = True
            return self._task
        flow = io.from_json(io.to_json(self.document.flow))  # the pool thread gets its own copy
        parsed = self.model.parsed()

        def work(_progress, cancel) -> list[CaseResult]:
            out = []
            for i, case in enumerate(parsed):
                if cancel.is_set():
                    break
                if isinstance(case, str):
                    out.append(CaseResult(str(self.model.cases[i].get("name") or f"case {i + 1}"), error=case))
                else:
                    out.append(run_case(flow, case))
            return out

        self._task = Task("flow tests", work).on(finished=self._finished, done=self._done)
        self.summary.setText("Running\u2026")
        return self.workers.start(self._task)

    def _finished(self, results: list[CaseResult]) -> None:
        self.model.set_results(results)
        self._update_summary()
        self._show(self.current_row())
        c = self.model.counts()
        self.ran.emit(c[STATE_PASSED], c[STATE_FAILED], c["error"])

    def _done(self) -> None:
        self._task = None
        if self._rerun:
            self._rerun = False
            self.run()

    # -- showing --------------------------------------------------------------------------
    def _update_summary(self) -> None:
        c = self.model.counts()
        parts = [f"{c[STATE_PASSED]} passed", f"{c[STATE_FAILED]} failed"]
        if c["error"]:
            parts.append(f"{c['error']} with errors")
        if c["not run"]:
            parts.append(f"{c['not run']} not run")
        self.summary.setText(", ".join(parts) + (" \u00b7 unsaved" if self.model.modified else ""))

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.model.cases):
            return
        self.editor.setPlainText(json.dumps(self.model.cases[row], indent=2, ensure_ascii=False))
        self.editor_error.setText("")
        result = self.model.results[row]
        if result is None:
            self.outcome.setPlainText("Not run since the last edit.")
            self.light.clear()
            return
        lines = [f"{self.model.state(row)}: {result.name}"]
        if result.error:
            lines.append(result.error)
        lines += result.failures
        for customer, journeys in result.journeys.items():
            lines.append(f"\nactual journeys of {customer}:" if journeys else f"\n{customer}: no journey")
            lines += [j.describe() for j in journeys]
        self.outcome.setPlainText("\n".join(lines))
        first = next((js[0] for js in result.journeys.values() if js), None)
        if first is None:
            self.light.clear()
        else:
            self.light.show(first.visits, "success" if result.passed else "error")
