"""The editor and a real runtime on loopback, through the real widgets: "runtime" as a Publish
target (the token optional, the deployed flow recorded in the file)."""

from __future__ import annotations

import json

import keyring
import pytest
from PySide6.QtCore import Qt

from designer.ui.document import Document
from designer.ui.mainwindow import MainWindow
from tests.runtime.test_api import FLOW
# The editor tests' own isolation (settings, recovery and log folders; no modal left open).
from tests.ui.conftest import isolated_user_files, no_stray_dialogs  # noqa: F401

TOKEN = "ui-runtime-token"


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("TRIGGER_FLOW_DATA_DIR", str(tmp_path / "home" / "app-data"))
    monkeypatch.delenv("FLOW_RUNTIME_TOKEN", raising=False)
    monkeypatch.setattr(keyring, "get_password", lambda *_a: None)
    w = MainWindow(Document())
    qtbot.addWidget(w)
    yield w
    w.workers.shutdown()


def _open_flow(window, tmp_path):
    path = tmp_path / "abandoned_cart.json"
    path.write_text(json.dumps(FLOW))
    assert window.open_path(str(path), ask_to_save=False)
    return path


def test_publish_dialog_deploys_to_the_runtime(window, qtbot, tmp_path, live_runtime):
    live = live_runtime(token=TOKEN)
    path = _open_flow(window, tmp_path)
    window.act_publish.trigger()
    dialog = window.publish_dialog
    dialog.target.setCurrentText("runtime")
    assert json.loads(dialog.preview.toPlainText())["id"] == FLOW["id"]  # the body PUT /flows/{id} takes
    assert dialog.keys.key_label.text().startswith("Token")
    dialog.keys.base_url.setText(live.url)
    # Without the token the runtime refuses, and says so.
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "refused the key" in dialog.connection_label.text(), timeout=20000)
    qtbot.keyClicks(dialog.keys.key, TOKEN)
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.connection_label.text() == "Connected", timeout=20000)
    qtbot.mouseClick(dialog.publish_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "deployed as version 1" in dialog.result.text(), timeout=20000)
    assert f"{live.url}/flows/{FLOW['id']}" in dialog.result.text()
    assert live.client.get("/flows").json()["flows"] == [{"id": FLOW["id"], "version": 1, "paused": False}]
    saved = json.loads(path.read_text())
    assert saved["publish"]["runtime"]["version"] == 1 and TOKEN not in path.read_text()
    dialog.reject()
