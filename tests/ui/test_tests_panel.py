"""The Tests panel: the flow's cases run on opening and on every edit, a failing case lights its
actual path in red, cases are edited as JSON and saved beside the flow."""

from __future__ import annotations

import json
import shutil

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from designer.model import io

from editor_driver import FLOWS, close_window, make_window


def _window(qtbot, tmp_path):
    flow_path = tmp_path / "cart.json"
    shutil.copy(FLOWS / "abandoned_cart.json", flow_path)
    shutil.copy(FLOWS / "abandoned_cart.tests.json", tmp_path / "cart.tests.json")
    window = make_window(qtbot, io.load(flow_path), path=str(flow_path))
    window.tests_panel.reload()  # the path was set after the panel was built
    return window


def _wait_for_run(qtbot, panel, passed=None, failed=None):
    def done():
        c = panel.model.counts()
        assert c["not run"] == 0 and panel._task is None
        if passed is not None:
            assert c["passed"] == passed
        if failed is not None:
            assert c["failed"] == failed
    qtbot.waitUntil(done, timeout=60_000)


def _row_point(panel, row):
    return panel.table.visualRect(panel.model.index(row, 1)).center()


def test_cases_run_on_opening_and_pass(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    panel = window.tests_panel
    assert len(panel.model.cases) == 7
    _wait_for_run(qtbot, panel, passed=7, failed=0)
    assert panel.summary.text().startswith("7 passed, 0 failed")
    qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    _wait_for_run(qtbot, panel, passed=7)
    close_window(window)


def test_an_edit_that_breaks_a_case_fails_it_lights_its_path_and_undo_mends_it(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    panel = window.tests_panel
    _wait_for_run(qtbot, panel, passed=7)
    node = window.document.flow.nodes["n2"]
    window.document.set_config("n2", {**node.config, "duration": "PT2H"})  # the reminder two hours later
    _wait_for_run(qtbot, panel, passed=3, failed=4)  # cases 2, 3, 4 and 7 send at a fixed hour after the cart
    failing = next(r for r in range(len(panel.model.cases)) if panel.model.state(r) == "failed")
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=_row_point(panel, failing))
    assert panel.current_row() == failing
    result = panel.model.results[failing]
    actual = next(js[0] for js in result.journeys.values() if js)
    assert panel.light.nodes == actual.visits and panel.light.links[0] == ("n1", "n2")
    assert "expected" in panel.outcome.toPlainText()
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.document.flow.nodes["n2"].config["duration"] == "PT1H"
    _wait_for_run(qtbot, panel, passed=7, failed=0)
    close_window(window)


def test_a_case_edited_as_json_is_applied_run_and_saved(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    panel = window.tests_panel
    _wait_for_run(qtbot, panel, passed=7)
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=_row_point(panel, 1))
    case = json.loads(panel.editor.toPlainText())
    case["expect"]["messages"][0]["at"] = "2025-03-03T11:30:00Z"  # wrong on purpose
    panel.editor.selectAll()
    qtbot.keyClicks(panel.editor, json.dumps(case))
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    _wait_for_run(qtbot, panel, passed=6, failed=1)
    assert panel.model.state(1) == "failed" and "unsaved" in panel.summary.text()
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    saved = json.loads((tmp_path / "cart.tests.json").read_text())
    assert saved["cases"][1]["expect"]["messages"][0]["at"] == "2025-03-03T11:30:00Z"
    assert "unsaved" not in panel.summary.text()
    close_window(window)


def test_bad_json_in_the_editor_is_named_and_changes_nothing(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    panel = window.tests_panel
    _wait_for_run(qtbot, panel)
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=_row_point(panel, 0))
    before = json.dumps(panel.model.cases[0])
    panel.editor.selectAll()
    qtbot.keyClicks(panel.editor, '{"name": "x",')
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    assert "Not valid JSON" in panel.editor_error.text()
    assert json.dumps(panel.model.cases[0]) == before


def test_a_new_case_that_does_not_parse_is_an_error_not_a_crash(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    panel = window.tests_panel
    _wait_for_run(qtbot, panel)
    qtbot.mouseClick(panel.add_button, Qt.MouseButton.LeftButton)
    assert len(panel.model.cases) == 8
    panel.editor.selectAll()
    qtbot.keyClicks(panel.editor, json.dumps({"name": "broken", "customer": {"id": "z"}, "events": [],
                                              "until": "soon", "expect": {}}))
    qtbot.mouseClick(panel.apply_button, Qt.MouseButton.LeftButton)
    _wait_for_run(qtbot, panel)
    assert panel.model.state(7) == "error" and "ISO 8601" in panel.model.results[7].error
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    assert panel.summary.text().startswith("Not saved")  # the file stays readable
    QApplication.processEvents()
    close_window(window)
