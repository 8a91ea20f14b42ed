"""The editor's Publish dialog and File > Import from Klaviyo, driven through the real
widgets against the loopback Klaviyo, HubSpot and Dittofeed doubles."""

from __future__ import annotations

import json

import keyring
import pytest
from keyring.backend import KeyringBackend
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit

from designer.model import io
from designer.publish import keys
from designer.ui.document import Document
from designer.ui.mainwindow import MainWindow
from tests.publish.fake_dittofeed import ADMIN_KEY, FakeDittofeed
from tests.publish.fake_dittofeed import WORKSPACE as DITTOFEED_WORKSPACE
from tests.publish.fake_hubspot import TOKEN as HUBSPOT_TOKEN
from tests.publish.fake_hubspot import FakeHubSpot
from tests.publish.fake_klaviyo import KEY, FakeKlaviyo
from tests.publish.secrets import files_holding
from tests.publish.test_hubspot_publish import EMAILS, EVENTS
from tests.publish.test_klaviyo_compile import ROOT
from tests.publish.test_klaviyo_publish import ALL_METRICS, _grep_key
# The editor tests' own isolation (settings, recovery and log folders; no modal left open).
from tests.ui.conftest import isolated_user_files, no_stray_dialogs  # noqa: F401


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "data"))
    monkeypatch.setenv("TRIGGER_FLOW_DATA_DIR", str(tmp_path / "home" / "app-data"))
    for env in ("KLAVIYO_API_KEY", "HUBSPOT_TOKEN", "DITTOFEED_ADMIN_KEY", "DITTOFEED_WORKSPACE_ID"):
        monkeypatch.delenv(env, raising=False)
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


class _MemoryKeyring(KeyringBackend):
    """A keyring in memory, standing in for the OS one."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    ring = _MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(previous)


def test_publish_dialog_sends_to_hubspot_with_the_key_from_the_keyring(window, qtbot, tmp_path, monkeypatch,
                                                                     memory_keyring):
    monkeypatch.delenv("HUBSPOT_TOKEN", raising=False)
    memory_keyring.set_password(keys.SERVICE, "hubspot", HUBSPOT_TOKEN)
    path = _open_flow(window, tmp_path, "winback")
    with FakeHubSpot(EVENTS, EMAILS) as fake:
        _menu_action(window, "Publish…").trigger()
        dialog = window.publish_dialog
        assert dialog.keys.key.text() == ""  # Klaviyo's key: none here
        dialog.target.setCurrentText("hubspot")
        assert dialog.keys.key.text() == HUBSPOT_TOKEN  # read from the keyring for the new target
        assert dialog.keys.key.echoMode() == QLineEdit.EchoMode.Password
        assert dialog.keys.base_url.text() == "https://api.hubapi.com"
        assert not dialog.keys.options["workspace"].isVisibleTo(dialog)
        assert json.loads(dialog.preview.toPlainText())["flowType"] == "WORKFLOW"
        assert any("SMS" in dialog.report.item(i).text() for i in range(dialog.report.count()))
        assert dialog.publish_button.isEnabled()
        dialog.keys.base_url.setText(fake.url)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.connection_label.text() == "Connected", timeout=10000)
        # Gaps not accepted: refused, nothing sent.
        qtbot.mouseClick(dialog.publish_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "cannot express" in dialog.result.text(), timeout=10000)
        assert fake.flow_creates() == 0
        dialog.allow_gaps.setChecked(True)
        qtbot.mouseClick(dialog.publish_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "created as a draft" in dialog.result.text(), timeout=20000)
        assert len(fake.flows) == 1 and fake.flows[0]["isEnabled"] is False
        assert f"HubSpot id: {fake.flows[0]['id']}" in dialog.result.text()
        assert json.loads(path.read_text())["publish"]["hubspot"]["remote_id"] == fake.flows[0]["id"]
        dialog.reject()
    assert files_holding(HUBSPOT_TOKEN, tmp_path) == []


def test_publish_dialog_sends_to_dittofeed_with_its_workspace(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("DITTOFEED_ADMIN_KEY", ADMIN_KEY)
    monkeypatch.delenv("DITTOFEED_WORKSPACE_ID", raising=False)
    path = _open_flow(window, tmp_path, "welcome_series")
    with FakeDittofeed() as fake:
        _menu_action(window, "Publish…").trigger()
        dialog = window.publish_dialog
        dialog.target.setCurrentText("dittofeed")
        assert dialog.keys.key.text() == ADMIN_KEY  # from the environment
        workspace = dialog.keys.options["workspace"]
        assert workspace.isVisibleTo(dialog) and workspace.text() == ""
        assert "journey" in json.loads(dialog.preview.toPlainText())
        dialog.keys.base_url.setText(fake.url)
        # Without the workspace: the message names what to give.
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "DITTOFEED_WORKSPACE_ID" in dialog.connection_label.text(), timeout=10000)
        assert fake.requests == []
        qtbot.keyClicks(workspace, DITTOFEED_WORKSPACE)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.connection_label.text() == "Connected", timeout=10000)
        qtbot.mouseClick(dialog.publish_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "created as a draft" in dialog.result.text(), timeout=20000)
        (journey,) = fake.journeys
        assert journey["status"] == "NotStarted" and journey["id"] in dialog.result.text()
        record = json.loads(path.read_text())["publish"]["dittofeed"]
        assert record["remote_id"] == journey["id"] and record["workspace"] == DITTOFEED_WORKSPACE
        # Publishing the unchanged flow again sends nothing.
        puts = sum(1 for m, _ in fake.requests if m == "PUT")
        qtbot.mouseClick(dialog.publish_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "unchanged" in dialog.result.text(), timeout=20000)
        assert sum(1 for m, _ in fake.requests if m == "PUT") == puts
        dialog.reject()
    assert files_holding(ADMIN_KEY, tmp_path) == []


def test_publish_dialog_shows_a_refused_hubspot_token(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.delenv("HUBSPOT_TOKEN", raising=False)
    _open_flow(window, tmp_path, "welcome_series")
    with FakeHubSpot(EVENTS, EMAILS) as fake:
        _menu_action(window, "Publish…").trigger()
        dialog = window.publish_dialog
        dialog.target.setCurrentText("hubspot")
        qtbot.keyClicks(dialog.keys.key, "pat-wrong")
        dialog.keys.base_url.setText(fake.url)
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "HubSpot refused the key" in dialog.connection_label.text(), timeout=10000)
        assert "pat-wrong" not in dialog.connection_label.text()
        dialog.reject()
