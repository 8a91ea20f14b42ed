"""The Tests panel's data: a flow's test cases as the file holds them, and their last results.

Cases are kept as the JSON objects of the file (so a case that does not parse
yet, while it is being edited, is still there to fix), parsed one by one for
a run. The table shows one row per case: its state (passed, failed, an error,
or not run since the last edit), its name and the first thing that differed.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from designer.engine.flowtests import CaseResult
from designer.model import testfile
from designer.model.io import atomic_write_text

STATE_NOT_RUN, STATE_PASSED, STATE_FAILED, STATE_ERROR = "not run", "passed", "failed", "error"
HEADERS = ("State", "Case", "What differs")


def blank_case(n: int) -> dict:
    return {"name": f"new case {n}", "customer": {"id": f"test{n}", "consent": True},
            "events": [], "until": "2025-01-08T00:00:00Z", "expect": {"messages": []}}


class CasesModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.path: Path | None = None
        self.cases: list[dict] = []
        self.results: list[CaseResult | None] = []
        self.modified = False
        #: A problem with the file itself (it could not be read), shown above the table.
        self.file_error: str | None = None

    # -- file ------------------------------------------------------------------
    def load(self, path: Path | None) -> None:
        self.beginResetModel()
        self.path, self.cases, self.results, self.modified, self.file_error = path, [], [], False, None
        if path is not None and path.exists():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                testfile.parse(data, file=str(path))
                self.cases = [dict(c) for c in data["cases"]]
            except (OSError, ValueError) as exc:
                self.file_error = str(exc)
        self.results = [None] * len(self.cases)
        self.endResetModel()

    def document(self) -> dict:
        return {"format": testfile.FORMAT, "version": testfile.VERSION, "cases": copy.deepcopy(self.cases)}

    def save(self) -> None:
        """Write the file atomically (a case that does not parse is refused: the file must stay readable)."""
        if self.path is None:
            raise ValueError("save the flow first: its tests are kept beside it")
        testfile.parse(self.document(), file=str(self.path))
        atomic_write_text(self.path, json.dumps(self.document(), indent=2, ensure_ascii=False) + "\n")
        self.modified = False

    # -- edits -----------------------------------------------------------------
    def add(self, case: dict | None = None) -> int:
        row = len(self.cases)
        self.beginInsertRows(QModelIndex(), row, row)
        self.cases.append(case if case is not None else blank_case(row + 1))
        self.results.append(None)
        self.endInsertRows()
        self.modified = True
        return row

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.cases):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.cases[row]
            del self.results[row]
            self.endRemoveRows()
            self.modified = True

    def replace(self, row: int, case: dict) -> None:
        self.cases[row] = case
        self.results[row] = None
        self.modified = True
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    def parsed(self) -> list[testfile.TestCase | str]:
        """Each case parsed, or the message saying why it does not parse."""
        out: list[testfile.TestCase | str] = []
        for i, case in enumerate(self.cases):
            try:
                out.append(testfile.parse({**self.document(), "cases": [case]}).cases[0])
            except testfile.TestFileError as exc:
                out.append(f"{exc.message}" + (f" at {exc.path.replace('cases[0]', f'cases[{i}]')}" if exc.path else ""))
        return out

    def set_results(self, results: list[CaseResult | None]) -> None:
        self.results = list(results) + [None] * (len(self.cases) - len(results))
        if self.cases:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.cases) - 1, len(HEADERS) - 1))

    def mark_stale(self) -> None:
        self.set_results([None] * len(self.cases))

    def state(self, row: int) -> str:
        r = self.results[row] if row < len(self.results) else None
        if r is None:
            return STATE_NOT_RUN
        if r.error is not None:
            return STATE_ERROR
        return STATE_PASSED if r.passed else STATE_FAILED

    def counts(self) -> dict[str, int]:
        out = {STATE_PASSED: 0, STATE_FAILED: 0, STATE_ERROR: 0, STATE_NOT_RUN: 0}
        for row in range(len(self.cases)):
            out[self.state(row)] += 1
        return out

    # -- Qt model ----------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.cases)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        row, col = index.row(), index.column()
        r = self.results[row]
        if col == 0:
            return self.state(row)
        if col == 1:
            return str(self.cases[row].get("name") or f"case {row + 1}")
        if r is None:
            return ""
        if r.error:
            return r.error
        text = r.failures[0] if r.failures else ""
        return "\n".join(r.failures) if role == Qt.ItemDataRole.ToolTipRole else text
