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


def test_live_figures_show_the_runtimes_counts_in_the_results_views(window, qtbot, tmp_path, live_runtime):
    from designer.ui.publish.live import LiveFiguresDialog
    from tests.runtime.test_api import HOUR, T0, _shopper

    live = live_runtime(token=TOKEN)
    c = live.client
    c.post("/clock", json={"now": T0 - HOUR})
    c.put(f"/flows/{FLOW['id']}", json=FLOW)
    for i, name in enumerate(("ann", "bob", "cat")):
        _shopper(c, name, T0 + i * HOUR)
    c.post(f"/events", json={"customer": "bob", "event": "purchase", "time": T0 + HOUR + 60_000,
                             "properties": {"cart_id": "c1", "price": 150}})  # bob buys: no reminder
    c.post("/clock", json={"now": T0 + 3 * HOUR})  # cat's reminder is due at T0 + 3h: still waiting
    outbox = c.get("/messages", params={"flow": FLOW["id"]}).json()["messages"]
    sent_by_node = {m["node"] for m in outbox}
    assert [m["customer"] for m in outbox] == ["ann"] and sent_by_node == {"n5"}

    path = _open_flow(window, tmp_path)
    data = json.loads(path.read_text())
    data["publish"] = {"runtime": {"remote_id": FLOW["id"], "url": live.url, "version": 1}}
    path.write_text(json.dumps(data))
    assert window.open_path(str(path), ask_to_save=False)
    flow_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Flow")
    action = next(a for a in flow_menu.actions() if a.text().replace("&", "") == "Live Figures from Runtime…")
    action.trigger()
    dialog = window.live_figures_dialog
    assert isinstance(dialog, LiveFiguresDialog)
    assert dialog.keys.base_url.text() == live.url  # from the flow's publish record
    qtbot.keyClicks(dialog.keys.key, TOKEN)
    qtbot.mouseClick(dialog.show_button, Qt.MouseButton.LeftButton)
    panel = window.results_panel
    qtbot.waitUntil(lambda: "Live figures from the runtime" in panel.status.text(), timeout=30000)
    assert "version 1" in panel.status.text() and "Out of date" not in panel.status.text()
    sends = panel.send_table
    rows = {sends.node_at(r): r for r in range(sends.rowCount())}
    headers = [sends.model().headerData(i, Qt.Orientation.Horizontal) for i in range(sends.model().columnCount())]
    sent_col, entered_col = headers.index("Sent"), headers.index("Entered")
    # The Messages view's counts are the runtime's outbox, counted here from GET /messages.
    assert sends.text(rows["n5"], sent_col) == "1"
    steps = panel.node_table
    step_rows = {steps.node_at(r): r for r in range(steps.rowCount())}
    step_headers = [steps.model().headerData(i, Qt.Orientation.Horizontal) for i in range(steps.model().columnCount())]
    assert steps.text(step_rows["n1"], step_headers.index("Entered")) == "3"  # three carts started journeys
    assert steps.text(step_rows["n2"], step_headers.index("In progress")) == "1"  # cat still waits an hour
    assert sends.text(rows["n5"], entered_col) == "1"
