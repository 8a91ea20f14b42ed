"""The main window: files, title, unsaved-changes prompt, broken files, settings,
examples, themes, the problems dock and the safety net for unexpected errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from designer.model import documents, io
from designer.ui import app as app_module
from designer.ui import prefs, theme
from designer.ui.document import Document
from designer.ui.mainwindow import MainWindow
from editor_driver import FLOWS, close_window, make_window

Button = QMessageBox.StandardButton


@pytest.fixture
def window(qtbot):
    w = make_window(qtbot)
    yield w
    close_window(w)


class Answers:
    """Stands in for MainWindow.ask: records each question, answers from a list."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked: list[tuple[str, str, str]] = []

    def __call__(self, icon, title, text, buttons=Button.Ok, default=Button.NoButton, details=""):
        self.asked.append((title, text, details))
        return self.answers.pop(0) if self.answers else Button.Ok


def copy_example(tmp_path: Path, name: str = "abandoned_cart.json") -> Path:
    target = tmp_path / name
    target.write_text((FLOWS / name).read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_title_names_the_file_and_marks_unsaved_changes(window, tmp_path):
    path = copy_example(tmp_path)
    assert window.open_path(str(path), ask_to_save=False)
    assert window.windowTitle().startswith("abandoned_cart.json[*]")
    assert not window.isWindowModified()
    window.document.add_node("delay", 0, 0)
    assert window.isWindowModified()
    window.act_save.trigger()
    assert not window.isWindowModified()
    assert io.load(path).nodes.keys() == window.document.flow.nodes.keys()


def test_a_broken_file_shows_what_and_where_and_the_editor_stays_usable(window, tmp_path, qtbot):
    broken = tmp_path / "broken.json"
    data = json.loads((FLOWS / "abandoned_cart.json").read_text())
    data["nodes"][1]["x"] = "left"
    broken.write_text(json.dumps(data, indent=2))
    before = io.dumps(window.document.flow)
    seen = {}

    def answer_the_box():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen["title"] = box.windowTitle()
            seen["text"] = box.text() + "\n" + box.informativeText()
            box.accept()
        else:
            QTimer.singleShot(20, answer_the_box)

    QTimer.singleShot(20, answer_the_box)
    assert window.open_path(str(broken), ask_to_save=False) is False
    assert seen["title"] == "Cannot open flow"
    assert "broken.json" in seen["text"] and "nodes[1].x" in seen["text"] and "node n2" in seen["text"]
    # The flow that was open is still there and still editable.
    assert io.dumps(window.document.flow) == before
    window.document.add_node("exit", 0, 0)
    assert window.document.undo_stack.count() == 1


def test_not_json_at_all_names_the_line(window, tmp_path):
    broken = tmp_path / "garbage.json"
    broken.write_text('{\n  "format": "trigger-flow",\n  oops\n}\n')
    answers = Answers(Button.Ok)
    window.ask = answers
    assert not window.open_path(str(broken), ask_to_save=False)
    (title, text, details), = answers.asked
    assert "garbage.json" in text and ":3" in details and "not valid JSON" in details


@pytest.mark.parametrize("answer, closed", [(Button.Cancel, False), (Button.Discard, True)])
def test_closing_with_unsaved_changes_asks(qtbot, answer, closed):
    w = make_window(qtbot)
    w.document.add_node("delay", 0, 0)
    answers = Answers(answer)
    w.ask = answers
    w.close()
    assert answers.asked and answers.asked[0][0] == "Unsaved changes"
    assert w.isVisible() is not closed
    close_window(w)


def test_save_from_the_prompt_writes_the_file(qtbot, tmp_path):
    path = copy_example(tmp_path)
    w = make_window(qtbot, io.load(path), str(path))
    w.document.set_name("Renamed")
    w.ask = Answers(Button.Save)
    w.close()
    assert not w.isVisible()
    assert io.load(path).name == "Renamed"


def test_new_and_open_ask_before_dropping_changes(window, tmp_path):
    window.document.add_node("delay", 0, 0)
    window.ask = Answers(Button.Cancel)
    window.act_new.trigger()
    assert len(window.document.flow.nodes) == 12  # still the edited flow
    window.ask = Answers(Button.Discard)
    window.act_new.trigger()
    assert [n.kind for n in window.document.flow.nodes.values()] == ["trigger"]
    assert window.document.path is None and not window.isWindowModified()
    window.document.add_node("delay", 0, 0)
    window.ask = Answers(Button.Cancel)
    assert window.open_path(str(copy_example(tmp_path))) is False


def test_recent_files_and_window_state_live_in_qsettings(qtbot, tmp_path, isolated_user_files):
    path = copy_example(tmp_path)
    w = make_window(qtbot)
    w.open_path(str(path), ask_to_save=False)
    w.problems_dock.hide()
    close_window(w)
    ini = list(isolated_user_files.rglob("*.ini"))
    assert ini, "settings were not written to the test's folder"
    assert prefs.recent_files()[0] == str(path.resolve())
    again = make_window(qtbot)
    try:
        assert not again.problems_dock.isVisible()
        again._fill_recent_menu()
        assert str(path.resolve()) in [a.text() for a in again.recent_menu.actions()]
    finally:
        close_window(again)


def test_examples_open_as_new_untitled_flows(window):
    titles = [a.text() for a in window.examples_menu.actions()]
    assert len(titles) == len(documents.flow_files(FLOWS)) and "Abandoned cart, 1 hour" in titles
    example = next(a for a in window.examples_menu.actions() if "welcome" in a.data())
    example.trigger()
    assert window.document.path is None
    assert window.document.flow.name == io.load(example.data()).name


def test_save_as_adds_the_json_suffix(window, tmp_path, monkeypatch):
    from designer.ui import mainwindow

    monkeypatch.setattr(mainwindow.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(tmp_path / "mine"), "")))
    assert window.save_as()
    assert window.document.path == str(tmp_path / "mine.json")
    assert io.load(tmp_path / "mine.json").name == window.document.flow.name


def test_problems_dock_lists_a_cycle_and_clicking_selects_the_node(qtbot, tmp_path):
    data = json.loads((FLOWS / "abandoned_cart.json").read_text())
    data["edges"].append({"from": "n11", "to": "n5"})  # loops back up
    path = tmp_path / "loop.json"
    path.write_text(json.dumps(data))
    w = make_window(qtbot)
    try:
        assert w.open_path(str(path), ask_to_save=False)
        w.act_validate.trigger()
        rows = w.problems_panel.rows()
        cycle = [r for r in rows if "loop forever" in r[2]]
        assert cycle and cycle[0][0] == "error"
        node = cycle[0][1]
        assert node in ("n5", "n6", "n7", "n9", "n11")
        assert w.scene.badge_of(node).severity == "error"
        tree = w.problems_panel.tree
        row = tree.topLevelItem([r[2] for r in rows].index(cycle[0][2]))
        w.view.set_zoom(2.0)
        w.view.centerOn(-2000, -2000)
        tree.itemClicked.emit(row, 0)
        assert w.scene.single_selected_node() == node
        assert w.inspector.node_id() == node
        centre = w.view.mapToScene(w.view.viewport().rect().center())
        card = w.scene.nodes[node].sceneBoundingRect()
        assert card.adjusted(-5, -5, 5, 5).contains(centre)
        assert "error" in w.problems_label.text()
    finally:
        close_window(w)


def test_view_theme_menu_switches_the_palette(window, qapp):
    try:
        window.theme_actions["dark"].trigger()
        assert theme.effective_theme() == "dark"
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() < 80
        assert str(prefs.settings().value("view/theme")) == "dark"
        window.theme_actions["light"].trigger()
        assert qapp.palette().color(QPalette.ColorRole.Window).lightness() > 200
    finally:
        theme.apply_theme(qapp, "light")


def test_docks_can_be_hidden_from_the_view_menu(window):
    toggle = window.inspector_dock.toggleViewAction()
    toggle.trigger()
    assert not window.inspector_dock.isVisible()
    toggle.trigger()
    assert window.inspector_dock.isVisible()


def test_selection_drives_the_inspector(window):
    window.scene.select_nodes(["n2"])
    assert window.inspector.node_id() == "n2"
    window.scene.select_nodes(["n2", "n3"])
    assert window.inspector.node_id() is None
    window.scene.clearSelection()
    assert window.inspector.node_id() is None


def test_uncaught_errors_are_logged_and_shown_not_crashing(window, tmp_path):
    shown = []
    previous = app_module.install_excepthook(lambda title, text: shown.append((title, text)))
    app_module._windows.append(window)
    try:
        window.document.add_node("delay", 0, 0)
        app_module.setup_logging()
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = previous
        app_module._windows.remove(window)
    assert shown and "RuntimeError: boom" in shown[0][1]
    assert "Traceback" not in shown[0][1]
    assert "boom" in app_module.log_file().read_text(encoding="utf-8")
    assert window.autosaver.path().is_file()  # the unsaved work was kept


def test_open_window_with_a_path_opens_it(qtbot, tmp_path):
    path = copy_example(tmp_path)
    windows = app_module.open_window([str(path)])
    try:
        (w,) = windows
        qtbot.addWidget(w, before_close_func=lambda x: x.document.undo_stack.setClean())
        assert w.document.path == str(path) and len(w.document.flow.nodes) == 11
    finally:
        for w in windows:
            close_window(w)
            app_module._windows.remove(w)


def test_open_window_without_a_path_shows_an_example(qtbot):
    (w,) = app_module.open_window([])
    try:
        qtbot.addWidget(w, before_close_func=lambda x: x.document.undo_stack.setClean())
        assert w.document.path is None and w.document.flow.trigger() is not None
        assert len(w.document.flow.nodes) > 1
    finally:
        close_window(w)
        app_module._windows.remove(w)


def test_a_window_can_be_made_for_an_empty_document(qtbot):
    w = MainWindow(Document())
    qtbot.addWidget(w)
    assert [n.kind for n in w.document.flow.nodes.values()] == ["trigger"]
    w.close()
