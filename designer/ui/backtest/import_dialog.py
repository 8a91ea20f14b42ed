"""File > Import Events...: bring an event log into a store, off the GUI thread.

The dialog asks for the file, the column preset and the zone of times
written without one, runs the store's own importer on the window's pool with
a progress bar and a Cancel button (the importer stops cleanly between
batches; running the same import again resumes it), and then shows what
happened: rows read, loaded, rejected, duplicates, and the first rejected
rows with their line numbers and reasons.

The sample shop holds invented customers, so the dialog never offers it as
the target: real events go into a store of the user's own.
"""

from __future__ import annotations

import threading
import zoneinfo
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QProgressBar, QPushButton, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from designer.store.bookkeeping import ordered_counts
from designer.store.db import StoreError, open_store
from designer.store.importer import ImportFailed, ImportOptions, ImportSummary, Progress, import_events
from designer.store.mapping import PRESETS
from designer.store.timeparse import is_zone
from designer.ui.backtest import numbers
from designer.ui.backtest.store_panel import StoreInfo
from designer.ui.backtest.worker import Task, TaskFailed, Workers

EVENT_FILTER = "Event logs (*.csv *.csv.gz *.jsonl *.jsonl.gz *.ndjson *.gz);;All files (*)"
STORE_FILTER = "Event stores (*.db *.sqlite *.sqlite3);;All files (*)"
#: Rejected rows listed in the dialog (the count is always complete).
REJECTS_SHOWN = 100
#: Rows per committed batch: Cancel takes effect after the batch in flight.
BATCH_ROWS = 50_000

PRESET_HELP = {
    "generic": "generic: a header with customer, event and time columns (names such as customer_id, "
               "event, timestamp); every other column becomes a property",
    "rees46": "REES46 multi-category store: event_time, event_type, product_id, ..., user_id, user_session",
    "retailrocket": "Retailrocket events.csv: timestamp (ms), visitorid, event, itemid, transactionid",
    "taobao": "Taobao UserBehavior.csv (no header): user_id, item_id, category_id, behavior_type, timestamp (s)",
}


def run_import(store: str, path: str, preset: str, tz: str, report, should_stop) -> ImportSummary:
    """The import itself (on a pool thread): the store's importer with progress and a stop check."""
    try:
        engine = open_store(store)
    except StoreError as exc:
        raise TaskFailed(str(exc)) from None
    try:
        def progress(p: Progress) -> None:
            report(p.fraction)

        options = ImportOptions(mapping=PRESETS[preset], tz=tz, batch_size=BATCH_ROWS)
        return import_events(engine, path, options, progress=progress, should_stop=should_stop)
    finally:
        engine.dispose()


class ImportDialog(QDialog):
    #: An import finished (fully or stopped): the store's path and the summary.
    imported = Signal(str, object)

    def __init__(self, workers: Workers, current: StoreInfo | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import events")
        self.setObjectName("importDialog")
        self.workers = workers
        self.task: Task | None = None
        self.stop = threading.Event()
        self.summary: ImportSummary | None = None

        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText("CSV or JSON Lines, plain or .gz")
        browse = QPushButton("Browse\u2026")
        browse.clicked.connect(self._browse_file)
        self.store_edit = QLineEdit()
        self.store_edit.setPlaceholderText("a store file of your own, e.g. shop.db (created if new)")
        if current is not None and not current.sample:
            self.store_edit.setText(current.path)
        choose = QPushButton("Choose\u2026")
        choose.clicked.connect(self._browse_store)
        self.preset = QComboBox()
        for name in ("generic", "rees46", "retailrocket", "taobao"):
            if name in PRESETS:
                self.preset.addItem(name, name)
        self.preset.currentIndexChanged.connect(self._preset_changed)
        self.preset_help = QLabel()
        self.preset_help.setWordWrap(True)
        self.preset_help.setProperty("role", "muted")
        self.tz = QComboBox()
        self.tz.setEditable(True)
        self.tz.addItems(["UTC", *sorted(z for z in zoneinfo.available_timezones() if "/" in z)])
        self.tz.setCurrentText("UTC")
        self.tz.setToolTip("The zone of times written without one (times with a zone or epoch numbers keep theirs)")

        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(browse)
        store_row = QHBoxLayout()
        store_row.addWidget(self.store_edit, 1)
        store_row.addWidget(choose)
        form = QFormLayout()
        form.addRow("Event file:", file_row)
        form.addRow("Into store:", store_row)
        form.addRow("Columns:", self.preset)
        form.addRow("", self.preset_help)
        form.addRow("Times without a zone:", self.tz)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("%p %")
        self.progress.hide()
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.rejects = QTreeWidget()
        self.rejects.setHeaderLabels(["Line", "Why the row was rejected"])
        self.rejects.setRootIsDecorated(False)
        self.rejects.setAlternatingRowColors(True)
        self.rejects.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.rejects.hide()

        self.buttons = QDialogButtonBox()
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.import_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_label)
        layout.addWidget(self.rejects, 1)
        layout.addWidget(self.buttons)
        self.resize(620, 360)
        self._preset_changed()

    # -- choosing -----------------------------------------------------------------------
    def _browse_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Event file to import", self.file_edit.text(), EVENT_FILTER)
        if path:
            self.file_edit.setText(path)

    def _browse_store(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Store to import into", self.store_edit.text() or "shop.db",
                                              STORE_FILTER, options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.store_edit.setText(path)

    def _preset_changed(self, *_args) -> None:
        self.preset_help.setText(PRESET_HELP.get(self.preset.currentData(), ""))

    def set_values(self, file: str, store: str, preset: str = "generic", tz: str = "UTC") -> None:
        """Fill the form (what a user types), e.g. from File > Import Events... with a dropped file."""
        self.file_edit.setText(file)
        self.store_edit.setText(store)
        self.preset.setCurrentIndex(max(0, self.preset.findData(preset)))
        self.tz.setCurrentText(tz)

    # -- running ------------------------------------------------------------------------
    def problem(self) -> str | None:
        """What keeps the form from starting, or None."""
        file = self.file_edit.text().strip()
        if not file:
            return "Choose the event file to import."
        if not Path(file).expanduser().is_file():
            return f"There is no file {file}."
        if not self.store_edit.text().strip():
            return "Choose the store to import into (a new file name creates one)."
        if not is_zone(self.tz.currentText().strip()):
            return f"Unknown time zone {self.tz.currentText().strip()!r}: use an IANA name such as Europe/Paris."
        return None

    def start(self) -> Task | None:
        reason = self.problem()
        if reason is not None:
            self._say(reason, "error")
            return None
        file = str(Path(self.file_edit.text().strip()).expanduser())
        store = self.store_edit.text().strip()
        if "://" not in store:
            store = str(Path(store).expanduser().resolve())
        preset, tz = self.preset.currentData(), self.tz.currentText().strip()
        self.stop = threading.Event()
        stop = self.stop
        task = Task("import", lambda report, cancel: run_import(
            store, file, preset, tz, report, lambda: stop.is_set() or cancel.is_set()), expected=(ImportFailed,))
        self.task = task
        self.summary = None
        self.rejects.clear()
        self.rejects.hide()
        self.progress.setValue(0)
        self.progress.show()
        self._set_running(True)
        self._say(f"Importing {Path(file).name}\u2026")

        def finished(summary: ImportSummary) -> None:
            self._done()
            self.summary = summary
            self._show_summary(summary)
            self.imported.emit(store, summary)

        def failed(text: str) -> None:
            self._done()
            self._say(f"The import could not run: {text}", "error")

        def progress(fraction: float) -> None:
            if self.task is task:
                self.progress.setValue(round(1000 * fraction))

        task.on(progress=progress, finished=finished, failed=failed, cancelled=self._done)
        return self.workers.start(task)

    def cancel(self) -> None:
        """While importing: stop after the current batch (resumable); otherwise close."""
        if self.task is not None:
            self.stop.set()
            self.cancel_button.setEnabled(False)
            self._say("Stopping after the current batch\u2026")
            return
        self.reject()

    def _done(self) -> None:
        self.task = None
        self.progress.hide()
        self._set_running(False)

    def _set_running(self, running: bool) -> None:
        for widget in (self.file_edit, self.store_edit, self.preset, self.tz, self.import_button):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText("Cancel" if running else "Close")

    def _show_summary(self, s: ImportSummary) -> None:
        head = {"done": "Imported", "interrupted": "Stopped (import the same file again to resume)",
                "already imported": "Already imported: nothing new"}.get(s.status, s.status)
        counts = (f"{numbers.count(s.read)} rows read, {numbers.count(s.loaded)} loaded, "
                  f"{numbers.count(s.rejected)} rejected, {numbers.count(s.duplicates)} duplicates")
        if s.resumed_at:
            counts += f" (resumed after {numbers.count(s.resumed_at)} rows)"
        if s.reject_counts:
            counts += "; rejected by reason: " + ", ".join(
                f"{kind} {numbers.count(n)}" for kind, n in ordered_counts(s.reject_counts))
        self._say(f"{head}: {counts}.", "ok" if s.status == "done" and not s.rejected else
                  ("warning" if s.rejected or s.status != "done" else "muted"))
        if s.rejects:
            rows = [QTreeWidgetItem([str(r.line), r.reason]) for r in s.rejects[:REJECTS_SHOWN]]
            for row in rows:
                row.setTextAlignment(0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.rejects.addTopLevelItems(rows)
            self.rejects.show()
            if s.rejected > len(rows):
                self.result_label.setText(self.result_label.text() + f" The first {len(rows)} rejected rows:")

    def reject_rows(self) -> list[tuple[int, str]]:
        return [(int(self.rejects.topLevelItem(i).text(0)), self.rejects.topLevelItem(i).text(1))
                for i in range(self.rejects.topLevelItemCount())]

    def _say(self, text: str, tone: str = "muted") -> None:
        self.result_label.setText(text)
        if self.result_label.property("role") != tone:
            self.result_label.setProperty("role", tone)
            self.result_label.style().unpolish(self.result_label)
            self.result_label.style().polish(self.result_label)

    def closeEvent(self, event) -> None:
        if self.task is not None:
            self.stop.set()  # the import stops after its batch; the window's pool waits for it
        super().closeEvent(event)

    def reject(self) -> None:
        if self.task is not None:
            self.stop.set()
        super().reject()
