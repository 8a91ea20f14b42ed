"""The editor window: canvas in the middle, palette, inspector, problems, results, tests and
journeys in docks; it wires the widgets to the document and holds no flow state.

The window is split by concern: its actions, menus and toolbar are in
:mod:`designer.ui.window_actions`, files, questions and recovery in
:mod:`designer.ui.window_files`, the status bar and title in
:mod:`designer.ui.window_status`; this module builds the window, edits the flow
and runs the event store and the backtest (F5).
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QMimeData, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMainWindow, QWidget

from designer.model.layout import layout
from designer.model.validate import ERROR
from designer.ui import credentials, prefs, theme
from designer.ui.backtest import numbers
from designer.ui.backtest.controller import BacktestController
from designer.ui.content import dock as content_dock
from designer.ui.backtest.import_dialog import STORE_FILTER, ImportDialog
from designer.ui.backtest.overlay import ResultsOverlay
from designer.ui.backtest.results_dock import ResultsPanel
from designer.ui.backtest.store_panel import StoreController
from designer.ui.backtest.worker import Workers
from designer.ui.document import Document
from designer.ui.flowtests.panel import TestsPanel
from designer.ui.inspector import Inspector
from designer.ui.journeys.view import JourneysView
from designer.ui.palette import Palette
from designer.ui.problems import ProblemsPanel
from designer.ui.publish.menu import install as install_publish_menu
from designer.ui.recovery import Autosaver
from designer.ui.scene import FlowScene
from designer.ui.view import FlowView
from designer.ui.window_actions import WindowActions
from designer.ui.window_files import (APP_NAME, DEFAULT_EXAMPLE, FILE_FILTER, Button, WindowFiles,
                                      example_files, starting_flow)
from designer.ui.window_status import WindowStatus

#: Names other modules import from here (files and examples live in window_files).
__all__ = ["APP_NAME", "AUTO_RUN_KEY", "Button", "DEFAULT_EXAMPLE", "FILE_FILTER", "MainWindow", "NODES_MIME",
           "example_files", "starting_flow"]


#: Clipboard type for copied cards (flow-file JSON of nodes and the edges among them).
NODES_MIME = "application/x-trigger-flow-nodes"
AUTO_RUN_KEY = "backtest/autoRun"


class MainWindow(WindowActions, WindowFiles, WindowStatus, QMainWindow):
    def __init__(self, document: Document | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document or Document()
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self.scene = FlowScene(self.document, self)
        self.view = FlowView(self.scene, self)
        self.setCentralWidget(self.view)
        self.palette_panel = Palette(self)
        self.inspector = Inspector(self.document)
        self.problems_panel = ProblemsPanel(self.document, self)
        self.palette_dock = self._dock("Palette", "paletteDock", self.palette_panel,
                                       Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.problems_dock = self._dock("Problems", "problemsDock", self.problems_panel,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        # The backtest: background work, the store, the run and its results (view state only).
        self.workers = Workers(self)
        self.store = StoreController(self.workers, self)
        self.backtest = BacktestController(self.document, self.store, self.workers, self)
        self.overlay = ResultsOverlay(self.scene, self.view, self)
        self.results_panel = ResultsPanel(self.backtest, self)
        self.results_dock = self._dock("Results", "resultsDock", self.results_panel,
                                       Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.problems_dock, self.results_dock)
        self.tests_panel = TestsPanel(self.document, self.scene, self.workers, self)
        self.tests_dock = self._dock("Tests", "testsDock", self.tests_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.results_dock, self.tests_dock)
        self.journeys_view = JourneysView(self.document, self.scene, self.workers, lambda: self.store.path, self)
        self.journeys_dock = self._dock("Journeys", "journeysDock", self.journeys_view,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.tests_dock, self.journeys_dock)
        self.journeys_view.caseCreated.connect(self._case_from_journey)
        self.problems_dock.raise_()
        # The Content panel (designer/ui/content): the selected send's message, previewed.
        self.content_panel = content_dock.install(self)
        self.import_dialog: ImportDialog | None = None
        self.autosaver = Autosaver(self.document, self)
        self._paste_count = 0
        self._last_clipboard = ""
        self._build_actions()
        self._build_menus()
        install_publish_menu(self)  # File > Publish…, Import from Klaviyo… (designer/ui/publish)
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self._restore_settings()
        self.update_title()
        self._update_edit_actions()

    # -- building --------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _connect(self) -> None:
        doc = self.document
        doc.changed.connect(self._on_changed)
        doc.fileChanged.connect(lambda _p: self.update_title())
        doc.undo_stack.cleanChanged.connect(lambda _c: self.update_title())
        doc.problemsChanged.connect(self._show_problem_counts)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.statusMessage.connect(self._status)
        self.view.zoomChanged.connect(self._update_zoom)
        self.problems_panel.nodeActivated.connect(self.go_to_node)
        self.results_panel.nodeActivated.connect(self.go_to_node)
        self.results_panel.set_run_action(self.act_backtest)
        self.results_panel.programme_view.set_add_action(self.act_backtest_with)
        self.palette_panel.kindActivated.connect(self.view.add_at_center)
        self.store.changed.connect(self._store_changed)
        self.store.busy.connect(self._store_busy)
        self.store.failed.connect(self._store_failed)
        bt = self.backtest
        bt.started.connect(self._backtest_started)
        bt.progress.connect(lambda f: self.run_progress.setValue(round(1000 * f)))
        bt.finished.connect(self._backtest_finished)
        bt.cancelled.connect(self._backtest_cancelled)
        bt.failed.connect(self._backtest_failed)
        bt.refused.connect(self._backtest_refused)
        bt.staleChanged.connect(self.overlay.set_stale)
        bt.cleared.connect(self.overlay.clear)
        theme.notifier().themeChanged.connect(self._theme_changed)

    # -- settings --------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = prefs.settings()
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1360, 840)
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        else:
            self.resizeDocks([self.palette_dock, self.inspector_dock], [230, 340], Qt.Orientation.Horizontal)
            self.resizeDocks([self.problems_dock], [110], Qt.Orientation.Vertical)
        self.act_snap.setChecked(str(s.value("view/snap", "true")).lower() == "true")
        self.act_minimap.setChecked(str(s.value("view/minimap", "true")).lower() == "true")
        self.act_auto_run.setChecked(str(s.value(AUTO_RUN_KEY, "false")).lower() == "true")
        self.backtest.set_auto_run(self.act_auto_run.isChecked())
        self._toggle_snap()
        self._toggle_minimap()
        self.theme_actions.get(theme.current_theme(), self.theme_actions["system"]).setChecked(True)

    def save_settings(self) -> None:
        s = prefs.settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("view/snap", self.act_snap.isChecked())
        s.setValue("view/minimap", self.act_minimap.isChecked())
        s.setValue(AUTO_RUN_KEY, self.act_auto_run.isChecked())
        s.sync()

    # -- edits -----------------------------------------------------------------
    def copy(self) -> None:
        ids = self.scene.selected_node_ids()
        if not ids:
            return
        text = json.dumps(self.document.copy(ids), ensure_ascii=False)
        mime = QMimeData()
        mime.setData(NODES_MIME, QByteArray(text.encode("utf-8")))
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        self._last_clipboard, self._paste_count = text, 0
        self._status(f"Copied {len(ids)} card{'s' * (len(ids) != 1)}")

    def cut(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            self.copy()
            self.document.remove_nodes(ids)

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is None:
            return
        if mime.hasFormat(NODES_MIME):
            text = bytes(mime.data(NODES_MIME).data()).decode("utf-8", "replace")
        else:
            text = mime.text()
        try:
            snapshot = json.loads(text)
        except ValueError:
            self._status("Nothing to paste: the clipboard holds no cards")
            return
        if not isinstance(snapshot, dict) or not isinstance(snapshot.get("nodes"), list):
            self._status("Nothing to paste: the clipboard holds no cards")
            return
        self._paste_count = self._paste_count + 1 if text == self._last_clipboard else 1
        self._last_clipboard = text
        step = 40 * self._paste_count
        ids = self.document.paste(snapshot, (step, step))
        self.scene.select_nodes(ids)

    def duplicate(self) -> None:
        ids = self.scene.selected_node_ids()
        if ids:
            new = self.document.paste(self.document.copy(ids), (40, 40))
            self.scene.select_nodes(new)

    def delete_selection(self) -> None:
        self.document.remove(self.scene.selected_node_ids(), self.scene.selected_edges())

    def auto_layout(self) -> None:
        self.document.move_nodes(layout(self.document.flow), text="Auto-layout", mergeable=False)
        self.scene.fit_scene_rect(reset=True)
        self.view.show_flow()

    def validate(self) -> None:
        problems = self.document.validate_now()
        self.problems_dock.show()
        self.problems_dock.raise_()
        errors = sum(p.severity == ERROR for p in problems)
        self._status("No problems" if not problems else
                     f"{errors} error(s), {len(problems) - errors} warning(s)")

    def go_to_node(self, node_id: str) -> None:
        """Select a node and bring it into view (from the problems and results docks)."""
        if node_id in self.scene.nodes:
            self.scene.select_nodes([node_id])
            self.view.center_on_node(node_id)
            self.view.setFocus()

    # -- event store and backtest ----------------------------------------------
    def start_store(self):
        """Open the remembered event store, or prepare the sample shop (first start), in the
        background; the window is usable meanwhile. A database whose password could not be
        kept (no keyring) is asked for it; declining opens the sample shop."""
        url = prefs.store_asks_password()
        if url is None:
            return self.store.start()
        password = self.ask_password("Event store password",
                                     f"The password for {url} was not kept (no keyring on this computer). "
                                     "Enter it to open the store:")
        if password is None:
            return self.store.prepare_sample()
        return self.store.open(credentials.with_password(url, password), remember=True)

    def open_event_store(self) -> None:
        start = str(Path(self.store.path).parent) if self.store.path and "://" not in self.store.path \
            else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open event store", start, STORE_FILTER)
        if path:
            self.open_store_path(path)

    def open_store_path(self, path: str):
        """Backtest against this store from now on (remembered for the next start)."""
        task = self.store.open(path)
        task.on(failed=lambda text: self.show_error("Cannot open event store",
                                                    f"“{Path(path).name}” could not be opened.", text))
        return task

    def import_events(self) -> ImportDialog:
        """Show the import dialog (window-modal, so the canvas stays visible behind it)."""
        dialog = ImportDialog(self.workers, self.store.info, self)
        dialog.imported.connect(self._imported)
        dialog.finished.connect(lambda _r: setattr(self, "import_dialog", None))
        self.import_dialog = dialog
        dialog.open()
        return dialog

    def _imported(self, store: str, summary) -> None:
        if summary.loaded or self.store.path != store:
            self.store.open(store, remember=True)
        self._status(f"Imported {numbers.count(summary.loaded)} events into {Path(store).name}")

    def run_backtest(self):
        """Flow > Backtest (F5): replay the flow over the store in the background."""
        return self.backtest.run()

    def _toggle_auto_run(self) -> None:
        self.backtest.set_auto_run(self.act_auto_run.isChecked())
        prefs.settings().setValue(AUTO_RUN_KEY, self.act_auto_run.isChecked())

    def _backtest_started(self) -> None:
        self._show_running(True)
        self.statusBar().showMessage("Backtesting the flow over the store's history…")

    def _backtest_finished(self, result) -> None:
        self._show_running(False)
        self.overlay.show(result, self.backtest.stale)
        self.results_dock.show()
        self.results_dock.raise_()
        if self.results_dock.height() < 220:
            self.resizeDocks([self.results_dock], [280], Qt.Orientation.Vertical)
        self._status(f"Backtest done: {numbers.count(result.entered)} journeys, {numbers.count(result.sends)} "
                     f"messages, {numbers.count(result.conversions)} conversions in {result.seconds:.2f} s")

    def _backtest_cancelled(self) -> None:
        self._show_running(False)
        self._status("Backtest cancelled")

    def _backtest_failed(self, text: str) -> None:
        self._show_running(False)
        self._status(text)

    def _backtest_refused(self, text: str) -> None:
        self._status(text)
        if any(p.severity == ERROR for p in self.document.problems()):
            self.problems_dock.show()
            self.problems_dock.raise_()

    # -- view ------------------------------------------------------------------
    def _case_from_journey(self, case: dict) -> None:
        self.tests_panel.add_case(case)
        self.tests_dock.raise_()
        self._status(f"Added the test case {case['name']!r}: Save Tests keeps it beside the flow")

    def _toggle_snap(self) -> None:
        self.scene.snap = self.act_snap.isChecked()

    def _toggle_minimap(self) -> None:
        self.view.minimap_enabled = self.act_minimap.isChecked()
        self.view.update_minimap()

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_theme(app, name)
        prefs.settings().setValue("view/theme", name)
        if name in self.theme_actions:
            self.theme_actions[name].setChecked(True)

    def _theme_changed(self, _effective: str) -> None:
        self.scene.refresh_theme()
        self.view.resetCachedContent()
        self.view.minimap.redraw()
        self.problems_panel.show_problems(self.document.problems())
        for act in self.findChildren(QAction):
            name = act.data()
            if isinstance(name, str) and name in theme.ACTION_ICONS:
                act.setIcon(theme.action_icon(name))

    # -- reactions -------------------------------------------------------------
    def _on_changed(self) -> None:
        self._update_counts()
        if not self.document.path:
            self.update_title()  # an untitled flow is titled by its name

    def _selection_changed(self) -> None:
        self.inspector.show_node(self.scene.single_selected_node())
        self._update_edit_actions()

    # -- closing ---------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.save_settings()
        self.autosaver.discard()
        self.autosaver.timer.stop()
        if self.import_dialog is not None:
            self.import_dialog.reject()
        self.backtest.cancel()
        self.backtest.auto_timer.stop()
        self.workers.shutdown()  # no thread outlives the window
        self.content_panel.release()  # nor a preview render, nor the web view's page
        self.scene.close()
        event.accept()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_fitted", False):
            self._fitted = True
            QTimer.singleShot(0, self.view.show_flow)
