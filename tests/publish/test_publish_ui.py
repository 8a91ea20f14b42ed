"""The editor's Publish dialog and File > Import from Klaviyo, driven through the real
widgets against the loopback Klaviyo double."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from designer.model import io
from designer.ui.document import Document
from designer.ui.mainwindow import MainWindow
from tests.publish.fake_klaviyo import KEY, FakeKlaviyo
from tests.publish.test_klaviyo_compile import ROOT
from tests.publish.test_klaviyo_publish import ALL_METRICS, _grep_key
# The editor tests' own isolation (settings, recovery and log folders; no modal left open).
from tests.ui.conftest import isolated_user_files, no_stray_dialogs  # noqa: F401


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("TRIGGER_FLOW_DATA_DIR", str(tmp_path / "home" / "app-data"))
    monkeypatch.delenv("KLAVIYO_API_KEY", raising=False)
    w = MainWindow(Document())
    qtbot.addWidget(w)
    yield w
    w.workers.shutdown()


def _menu_action(window, text: str):
    file_menu = window.menuBar().actions()[0].menu()
    return next(a for a in file_menu.actions() if a.text().replace("&", "") == text)


def _open_flow(window, tmp_path, name: str):
    path = tmp_path / f"{name}.json"
    path.write_text((ROOT / "flows" / f"{name}.json").read_text())
    assert window.open_path(str(path), ask_to_save=False)
    return path


def test_publish_dialog_tests_the_key_publishes_and_records(window, qtbot, tmp_path):
    path = _open_flow(window, tmp_path, "welcome_series")
    with FakeKlaviyo(ALL_METRICS) as fake:
        _menu_action(window, "Publish…").trigger()
        dialog = window.publish_dialog
        assert dialog.target.currentText() == "klaviyo"
        assert json.loads(dialog.preview.toPlainText())["data"]["type"] == "flow"
        assert any("smart-sending" in dialog.report.item(i).text() for i in range(dialog.report.count()))
        qtbot.keyClicks(dialog.keys.key, KEY)
        dialog.keys.base_url.setText(fake.url)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.connection_label.text() == "Connected", timeout=10000)
        qtbot.mouseClick(dialog.publish_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "created as a draft" in dialog.result.text(), timeout=20000)
        assert len(fake.flows) == 1 and fake.flows[0]["attributes"]["status"] == "draft"
        assert fake.flows[0]["id"] in dialog.result.text()  # the link to the remote flow
        # The record went into the file, which had no other unsaved change.
        assert json.loads(path.read_text())["publish"]["klaviyo"]["remote_id"] == fake.flows[0]["id"]
        dialog.reject()
    assert _grep_key(tmp_path) == []


def test_publish_dialog_refuses_a_flow_with_errors(window, qtbot, tmp_path):
    path = tmp_path / "broken.json"
    data = json.loads((ROOT / "flows" / "welcome_series.json").read_text())
    data["edges"] = []
    path.write_text(json.dumps(data))
    assert window.open_path(str(path), ask_to_save=False)
    _menu_action(window, "Publish…").trigger()
    dialog = window.publish_dialog
    assert not dialog.publish_button.isEnabled()
    assert "errors" in dialog.result.text()
    dialog.reject()


def test_publish_dialog_shows_a_refused_key(window, qtbot, tmp_path):
    _open_flow(window, tmp_path, "welcome_series")
    with FakeKlaviyo(ALL_METRICS) as fake:
        _menu_action(window, "Publish…").trigger()
        dialog = window.publish_dialog
        qtbot.keyClicks(dialog.keys.key, "pk_wrong")
        dialog.keys.base_url.setText(fake.url)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "refused the key" in dialog.connection_label.text(), timeout=10000)
        assert "pk_wrong" not in dialog.connection_label.text()
        dialog.reject()


def test_import_from_klaviyo_opens_the_flow(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)
    source = io.load(ROOT / "flows" / "winback.json")
    with FakeKlaviyo(ALL_METRICS) as fake:
        from tests.publish.test_klaviyo_publish import _Clock, _publisher
        _publisher(fake, tmp_path, _Clock()).publish(source, allow_gaps=True)
        _menu_action(window, "Import from Klaviyo…").trigger()
        dialog = window.import_klaviyo_dialog
        assert dialog.keys.key.text() == KEY  # from the environment
        dialog.keys.base_url.setText(fake.url)
        qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.flows.count() == 1, timeout=10000)
        dialog.flows.setCurrentRow(0)
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.document.flow.name == source.name, timeout=10000)
    flow = window.document.flow
    assert flow.publish["klaviyo"]["remote_id"] == fake.flows[0]["id"]
    assert {n.kind for n in flow.nodes.values()} >= {"trigger", "delay", "split", "send_email", "send_sms"}
    assert window.document.path is None
