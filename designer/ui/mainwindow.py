"""The editor window: canvas in the middle, palette, inspector, problems and results in docks,
menus and toolbar with standard shortcuts, files, recent files, examples, themes, the event
store and the backtest (F5).

The window wires widgets to the document; it holds no flow state. Questions to
the user go through :meth:`MainWindow.ask`, one place that tests can answer.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, QMimeData, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox,
                               QProgressBar, QToolButton, QWidget)

from designer import EXAMPLE_FLOWS
from designer.model import io
from designer.model.errors import FlowFormatError
from designer.model.flow import Flow
from designer.model.layout import layout
from designer.model.validate import ERROR
from designer.ui import prefs, theme
from designer.ui.backtest import numbers
from designer.ui.backtest.controller import BacktestController
from designer.ui.content import dock as content_dock
from designer.ui.backtest.import_dialog import STORE_FILTER, ImportDialog
from designer.ui.backtest.overlay import ResultsOverlay
from designer.ui.backtest.results_dock import ResultsPanel
from designer.ui.backtest.store_panel import StoreController, StoreInfo, StoreLabel
from designer.ui.backtest.worker import Workers
from designer.ui.document import Document, new_flow
from designer.ui.inspector import Inspector
from designer.ui.palette import Palette
from designer.ui.problems import ProblemsPanel
from designer.ui.recovery import Autosaver, find_recovery
from designer.ui.scene import FlowScene
from designer.ui.view import FlowView

log = logging.getLogger(__name__)

APP_NAME = "Trigger Flow Designer"
#: Clipboard type for copied cards (flow-file JSON of nodes and the edges among them).
NODES_MIME = "application/x-trigger-flow-nodes"
DEFAULT_EXAMPLE = "abandoned_cart.json"
FILE_FILTER = "Flow files (*.json);;All files (*)"
AUTO_RUN_KEY = "backtest/autoRun"

Button = QMessageBox.StandardButton


def example_files() -> list[Path]:
    return sorted(EXAMPLE_FLOWS.glob("*.json")) if EXAMPLE_FLOWS.is_dir() else []


def starting_flow() -> Flow:
    """What an empty start shows: the abandoned-cart example, else a new flow with a trigger."""
    path = EXAMPLE_FLOWS / DEFAULT_EXAMPLE
    try:
        return io.load(path)
    except FlowFormatError:
        return new_flow()


class MainWindow(QMainWindow):
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
        self.problems_dock.raise_()
        # The Content panel (designer/ui/content): the selected send's message, previewed.
        self.content_panel = content_dock.install(self)
        self.import_dialog: ImportDialog | None = None
        self.autosaver = Autosaver(self.document, self)
        self._paste_count = 0
        self._last_clipboard = ""
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self._connect()
        self._restore_settings()
        self.update_title()
        self._update_edit_actions()

    # -- building ------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcut=None, icon: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, QKeySequence.StandardKey):
                action.setShortcuts(shortcut)
            elif isinstance(shortcut, (list, tuple)):
                action.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                action.setShortcut(QKeySequence(shortcut))
        if icon:
            action.setIcon(theme.action_icon(icon))
            action.setData(icon)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        SK = QKeySequence.StandardKey
        a = self._action
        self.act_new = a("&New", self.new_file, SK.New, "new", "Start a new flow")
        self.act_open = a("&Open…", self.open_file, SK.Open, "open", "Open a flow file")
        self.act_save = a("&Save", self.save, SK.Save, "save", "Save the flow")
        self.act_save_as = a("Save &As…", self.save_as, SK.SaveAs, None, "Save the flow under a new name")
        self.act_quit = a("&Quit", self.close, SK.Quit, None, "Close the editor")
        self.act_undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts(SK.Undo)
        self.act_undo.setIcon(theme.action_icon("undo"))
        self.act_undo.setData("undo")
        self.act_redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts(SK.Redo)
        self.act_redo.setIcon(theme.action_icon("redo"))
        self.act_redo.setData("redo")
        self.act_cut = a("Cu&t", self.cut, SK.Cut, "cut", "Cut the selected cards")
        self.act_copy = a("&Copy", self.copy, SK.Copy, "copy", "Copy the selected cards")
        self.act_paste = a("&Paste", self.paste, SK.Paste, "paste", "Paste cards")
        self.act_duplicate = a("D&uplicate", self.duplicate, "Ctrl+D", None, "Duplicate the selected cards")
        self.act_delete = a("&Delete", self.delete_selection, [QKeySequence(QKeySequence.StandardKey.Delete),
                                                                QKeySequence("Backspace")],
                            "delete", "Delete the selected cards and edges")
        self.act_select_all = a("Select &All", self.scene.select_all, SK.SelectAll)
        self.act_zoom_in = a("Zoom &In", self.view.zoom_in, SK.ZoomIn, "zoom-in")
        self.act_zoom_out = a("Zoom &Out", self.view.zoom_out, SK.ZoomOut, "zoom-out")
        self.act_zoom_reset = a("&Actual Size", lambda: self.view.set_zoom(1.0), "Ctrl+1")
        self.act_fit = a("&Fit to View", self.view.fit, "Ctrl+0", "fit", "Show the whole flow")
        self.act_layout = a("Auto-&layout", self.auto_layout, "Ctrl+L", "layout",
                            "Arrange the flow top to bottom in layers")
        self.act_validate = a("&Validate", self.validate, "F7", "validate", "Check the flow for problems")
        self.act_backtest = a("&Backtest", self.run_backtest, "F5", "simulate",
                              "Replay the flow over the event store's history (F5)")
        self.act_backtest.setToolTip("Backtest the flow over the store's history (F5)")
        self.act_cancel_backtest = a("&Cancel Backtest", self.backtest.cancel, "Shift+F5", None,
                                     "Stop the running backtest")
        self.act_cancel_backtest.setEnabled(False)
        self.act_auto_run = a("A&uto-run Backtest After Edits", self._toggle_auto_run, None, None,
                              "Run the backtest again a second after each edit")
        self.act_auto_run.setCheckable(True)
        self.act_open_store = a("Open Event &Store…", self.open_event_store, None, None,
                                "Backtest against another event store (a SQLite file)")
        self.act_import = a("&Import Events…", self.import_events, None, None,
                            "Import an event log (CSV or JSON Lines) into a store")
        self.act_snap = a("&Snap to Grid", self._toggle_snap)
        self.act_snap.setCheckable(True)
        self.act_snap.setChecked(True)
        self.act_minimap = a("&Minimap", self._toggle_minimap)
        self.act_minimap.setCheckable(True)
        self.act_minimap.setChecked(True)
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name, label in (("system", "Follow &System"), ("light", "&Light"), ("dark", "&Dark")):
            act = QAction(label, self, checkable=True)
            act.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_group.addAction(act)
            self.theme_actions[name] = act
        self.act_about = a(f"&About {APP_NAME}", self.about)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addActions([self.act_new, self.act_open])
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.examples_menu = file.addMenu("&Examples")
        for path in example_files():
            act = self.examples_menu.addAction(self._example_title(path))
            act.setData(str(path))
            act.triggered.connect(lambda _c=False, p=str(path): self.open_example(p))
        file.addSeparator()
        file.addActions([self.act_open_store, self.act_import])
        file.addSeparator()
        file.addActions([self.act_save, self.act_save_as])
        file.addSeparator()
        file.addAction(self.act_quit)
        edit = bar.addMenu("&Edit")
        edit.addActions([self.act_undo, self.act_redo])
        edit.addSeparator()
        edit.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_duplicate, self.act_delete])
        edit.addSeparator()
        edit.addAction(self.act_select_all)
        view = bar.addMenu("&View")
        view.addActions([self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset, self.act_fit])
        view.addSeparator()
        view.addActions([self.act_snap, self.act_minimap])
        view.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock, self.results_dock):
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        themes = view.addMenu("&Theme")
        themes.addActions(list(self.theme_actions.values()))
        flow = bar.addMenu("F&low")
        flow.addActions([self.act_layout, self.act_validate])
        flow.addSeparator()
        flow.addActions([self.act_backtest, self.act_cancel_backtest, self.act_auto_run])
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.act_about)

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("mainToolBar")
        bar.setMovable(False)
        bar.addActions([self.act_new, self.act_open, self.act_save])
        bar.addSeparator()
        bar.addActions([self.act_undo, self.act_redo])
        bar.addSeparator()
        bar.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_delete])
        bar.addSeparator()
        bar.addActions([self.act_zoom_in, self.act_zoom_out, self.act_fit, self.act_layout, self.act_validate])
        bar.addSeparator()
        bar.addAction(self.act_backtest)
        self.toolbar = bar

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        # A running backtest: its progress and a Cancel button, shown only while it runs.
        self.run_progress = QProgressBar(self)
        self.run_progress.setRange(0, 1000)
        self.run_progress.setMaximumWidth(160)
        self.run_progress.setMaximumHeight(16)
        self.run_progress.setFormat("Backtest %p %")
        self.run_cancel = QToolButton(self)
        self.run_cancel.setText("Cancel")
        self.run_cancel.setToolTip("Stop the running backtest (Shift+F5)")
        self.run_cancel.clicked.connect(self.backtest.cancel)
        self.store_label = StoreLabel(self)
        self.problems_label = QLabel(self)
        self.count_label = QLabel(self)
        self.zoom_label = QLabel(self)
        for widget in (self.run_progress, self.run_cancel, self.store_label, self.problems_label,
                       self.count_label, self.zoom_label):
            status.addPermanentWidget(widget)
        self._show_running(False)
        self._update_counts()
        self._update_zoom(self.view.zoom())

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

    # -- settings ----------------------------------------------------------------
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

    # -- questions -----------------------------------------------------------------
    def ask(self, icon: QMessageBox.Icon, title: str, text: str,
            buttons: QMessageBox.StandardButton = Button.Ok,
            default: QMessageBox.StandardButton = Button.NoButton, details: str = "") -> QMessageBox.StandardButton:
        """Show a message box and return the button pressed (the one place tests answer)."""
        box = QMessageBox(icon, title, text, buttons, self)
        if default != Button.NoButton:
            box.setDefaultButton(default)
        if details:
            box.setInformativeText(details)
        box.setObjectName("editorMessage")
        return Button(box.exec())

    def show_error(self, title: str, text: str, details: str = "") -> None:
        self.ask(QMessageBox.Icon.Warning, title, text, Button.Ok, Button.Ok, details)

    def maybe_save(self) -> bool:
        """Ask whether to save unsaved changes; False when the user cancels."""
        if not self.document.is_modified():
            return True
        answer = self.ask(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Save the changes to “{self.document.title()}” first?",
                          Button.Save | Button.Discard | Button.Cancel, Button.Save,
                          "Unsaved changes are lost if you don't save them.")
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    # -- files -------------------------------------------------------------------
    def new_file(self) -> None:
        if not self.maybe_save():
            return
        self.autosaver.discard()
        self.document.replace_flow(new_flow(), None)
        self.view.show_flow()
        self._status("New flow")

    def open_file(self) -> None:
        if not self.maybe_save():
            return
        start = str(Path(self.document.path).parent) if self.document.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open flow", start, FILE_FILTER)
        if path:
            self.open_path(path, ask_to_save=False)

    def open_path(self, path: str, ask_to_save: bool = True) -> bool:
        """Open a flow file; a broken one is reported (what and where) and the
        current flow stays open."""
        if ask_to_save and not self.maybe_save():
            return False
        try:
            loaded = io.load(path)
        except FlowFormatError as exc:
            self.show_error("Cannot open flow", f"“{Path(path).name}” could not be opened.", str(exc))
            self._status(f"Could not open {path}")
            return False
        except Exception as exc:  # noqa: BLE001 - a loader bug must not take the editor down
            log.exception("unexpected error while opening %s", path)
            self.show_error("Cannot open flow", f"“{Path(path).name}” could not be opened.",
                            f"{type(exc).__name__}: {exc}")
            return False
        self.autosaver.discard()
        self.document.replace_flow(loaded, str(path))
        prefs.add_recent_file(str(Path(path).resolve()))
        self.offer_recovery(str(path))
        self.view.show_flow()
        self._status(f"Opened {path}")
        return True

    def open_example(self, path: str) -> None:
        """Open an example as a new, untitled flow, so saving never overwrites the example."""
        if not self.maybe_save():
            return
        try:
            flow = io.load(path)
        except FlowFormatError as exc:
            self.show_error("Cannot open example", f"The example “{Path(path).name}” is damaged.", str(exc))
            return
        self.autosaver.discard()
        self.document.replace_flow(flow, None)
        self.view.show_flow()
        self._status(f"Example: {flow.name} (save it to keep your changes)")

    def offer_recovery(self, source: str | None) -> bool:
        """If a crash left unsaved changes for this flow, offer them back."""
        found = find_recovery(source)
        if not found:
            return False
        rec = found[0]
        what = f"“{Path(source).name}”" if source else f"the unsaved flow “{rec.name}”"
        answer = self.ask(QMessageBox.Icon.Question, "Recover unsaved changes",
                          f"Trigger Flow Designer did not close normally. Unsaved changes to {what} were "
                          "kept. Restore them?", Button.Yes | Button.No, Button.Yes,
                          "If you choose No, the kept changes are deleted.")
        if answer != Button.Yes:
            for r in found:
                r.discard()
            return False
        try:
            flow = rec.load()
        except (FlowFormatError, ValueError, KeyError, OSError) as exc:
            self.show_error("Cannot recover", "The kept changes could not be read.", str(exc))
            return False
        self.document.restore(flow)
        for r in found:
            r.discard()
        self.autosaver.save_now()
        self.view.show_flow()
        self._status("Recovered unsaved changes")
        return True

    def save(self) -> bool:
        if not self.document.path:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        start = self.document.path or str(Path.home() / f"{self.document.flow.id or 'flow'}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save flow as", start, FILE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            self.document.save(path)
        except OSError as exc:
            self.show_error("Cannot save", f"The flow could not be saved to “{path}”.", exc.strerror or str(exc))
            return False
        self.autosaver.discard()
        prefs.add_recent_file(str(Path(path).resolve()))
        self._status(f"Saved {path}")
        return True

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = prefs.recent_files()
        for path in files:
            act = self.recent_menu.addAction(path)
            act.triggered.connect(lambda _c=False, p=path: self.open_path(p))
        if files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear Menu", prefs.clear_recent_files)
        else:
            self.recent_menu.addAction("No recent files").setEnabled(False)

    @staticmethod
    def _example_title(path: Path) -> str:
        try:
            return json.loads(path.read_text(encoding="utf-8")).get("name") or path.stem
        except (OSError, ValueError, AttributeError):
            return path.stem

    # -- edits -------------------------------------------------------------------
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

    # -- event store and backtest -------------------------------------------------
    def start_store(self):
        """Open the remembered event store, or prepare the sample shop (first start), in the
        background; the window is usable meanwhile."""
        return self.store.start()

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

    def _store_changed(self, info: StoreInfo) -> None:
        self.store_label.show_store(info)
        self.inspector.set_known_events(info.event_names)
        self._status(f"Event store: {info.summary()}")

    def _store_busy(self, message: str) -> None:
        if message:
            self.store_label.show_busy(message)
            self.statusBar().showMessage(message)
        else:
            self.store_label.show_store(self.store.info)

    def _store_failed(self, text: str) -> None:
        self.store_label.show_store(self.store.info)
        self._status(f"Event store: {text}")

    def _show_running(self, running: bool) -> None:
        self.run_progress.setVisible(running)
        self.run_cancel.setVisible(running)
        self.act_cancel_backtest.setEnabled(running)
        if running:
            self.run_progress.setValue(0)

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

    # -- view --------------------------------------------------------------------
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

    def about(self) -> None:
        self.ask(QMessageBox.Icon.Information, f"About {APP_NAME}",
                 f"{APP_NAME}: draw behavioural-trigger flows, backtest them on your own event history, "
                 "publish them to your email service.")

    # -- reactions ---------------------------------------------------------------
    def _on_changed(self) -> None:
        self._update_counts()
        if not self.document.path:
            self.update_title()  # an untitled flow is titled by its name

    def _selection_changed(self) -> None:
        self.inspector.show_node(self.scene.single_selected_node())
        self._update_edit_actions()

    def _update_edit_actions(self) -> None:
        has_nodes = bool(self.scene.selected_node_ids())
        for act in (self.act_cut, self.act_copy, self.act_duplicate):
            act.setEnabled(has_nodes)
        self.act_delete.setEnabled(has_nodes or bool(self.scene.selected_edges()))

    def _update_counts(self) -> None:
        flow = self.document.flow
        self.count_label.setText(f"{len(flow.nodes)} nodes, {len(flow.edges)} edges")

    def _update_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f} %")

    def _show_problem_counts(self, problems: list) -> None:
        errors = sum(p.severity == ERROR for p in problems)
        warnings = len(problems) - errors
        if not problems:
            self.problems_label.setText("No problems")
        else:
            self.problems_label.setText(f"{errors} error{'s' * (errors != 1)}, "
                                        f"{warnings} warning{'s' * (warnings != 1)}")

    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000 if text else 1)

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title()}[*] — {APP_NAME}")
        self.setWindowModified(self.document.is_modified())

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
        self.scene.close()
        event.accept()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not getattr(self, "_fitted", False):
            self._fitted = True
            QTimer.singleShot(0, self.view.show_flow)
