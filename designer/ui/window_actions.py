"""The editor window's actions, menus and toolbar: every command with its standard shortcut
and icon, in one place, so a new command is one line here and one slot on the window.

A mixin of :class:`designer.ui.mainwindow.MainWindow`: the actions call the window's
slots (files, edits, view, backtest) and the menus list the window's docks.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMessageBox

from designer.ui import prefs, theme
from designer.ui.window_files import APP_NAME, example_files


class WindowActions:
    """Builds the window's QActions, menus and toolbar (``act_*``, ``recent_menu``, ``toolbar``)."""

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
        self.act_backtest_with = a("Backtest with &Other Flows\u2026", self.backtest_with_others, None, None,
                                   "Backtest this flow together with other flows on the same customers")
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
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock, self.results_dock,
                     self.tests_dock, self.journeys_dock):
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        themes = view.addMenu("&Theme")
        themes.addActions(list(self.theme_actions.values()))
        flow = bar.addMenu("F&low")
        flow.addActions([self.act_layout, self.act_validate])
        flow.addSeparator()
        flow.addActions([self.act_backtest, self.act_backtest_with, self.act_cancel_backtest, self.act_auto_run])
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

    def backtest_with_others(self):
        """Flow > Backtest with Other Flows...: choose them, then backtest them all together."""
        from designer.ui.backtest.programme_dialog import open_dialog

        return open_dialog(self)

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

    def _update_edit_actions(self) -> None:
        has_nodes = bool(self.scene.selected_node_ids())
        for act in (self.act_cut, self.act_copy, self.act_duplicate):
            act.setEnabled(has_nodes)
        self.act_delete.setEnabled(has_nodes or bool(self.scene.selected_edges()))

    def about(self) -> None:
        self.ask(QMessageBox.Icon.Information, f"About {APP_NAME}",
                 f"{APP_NAME}: draw behavioural-trigger flows, backtest them on your own event history, "
                 "publish them to your email service.")
