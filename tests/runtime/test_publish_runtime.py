"""``publish FLOW --target runtime --url ...`` against a real runtime served on loopback: deploys,
versions, the dry run, the token (environment or keyring, never in the file), and the exit codes."""

from __future__ import annotations

import json
import shutil

import keyring
import pytest

from designer.cli import main
from designer.publish import keys
from tests.runtime.test_api import FLOW, HOUR, T0, _shopper

TOKEN = "rt-s3cret-token"


@pytest.fixture
def flow_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRIGGER_FLOW_DATA_DIR", str(tmp_path / "home" / "app-data"))
    monkeypatch.delenv("FLOW_RUNTIME_TOKEN", raising=False)
    stored: dict = {}
    monkeypatch.setattr(keyring, "get_password", lambda service, user: stored.get((service, user)))
    monkeypatch.setattr(keyring, "set_password", lambda service, user, value: stored.__setitem__((service, user),
                                                                                                  value))
    path = tmp_path / "abandoned_cart.json"
    path.write_text(json.dumps(FLOW))
    return path


def _publish(path, url, *extra) -> int:
    return main(["publish", str(path), "--target", "runtime", "--url", url, *extra])


def test_publish_deploys_then_finds_it_unchanged_then_makes_a_new_version(live_runtime, flow_file, capsys,
                                                                          monkeypatch):
    live = live_runtime(token=TOKEN)
    monkeypatch.setenv("FLOW_RUNTIME_TOKEN", TOKEN)
    assert _publish(flow_file, live.url, "--json") == 0
    out = capsys.readouterr().out
    assert f"runtime: {FLOW['name']}: deployed as version 1" in out and f"{live.url}/flows/{FLOW['id']}" in out
    assert json.loads(out.strip().splitlines()[-1])["created"] is True
    deployed = live.client.get(f"/flows/{FLOW['id']}").json()
    assert deployed["version"] == 1 and deployed["flow"]["nodes"] == FLOW["nodes"]
    record = json.loads(flow_file.read_text())["publish"]["runtime"]
    assert record["remote_id"] == FLOW["id"] and record["version"] == 1 and record["url"] == live.url
    assert TOKEN not in flow_file.read_text()

    # Unchanged: sent again (the runtime tells), and it stays version 1.
    assert _publish(flow_file, live.url) == 0
    assert "unchanged at the runtime (version 1)" in capsys.readouterr().out

    # A runtime whose store is new gets the flow although the file's record says it was published.
    other = live_runtime(token=TOKEN, name="other.db")
    assert _publish(flow_file, other.url) == 0
    assert other.client.get(f"/flows/{FLOW['id']}").json()["version"] == 1

    changed = json.loads(flow_file.read_text())
    changed["nodes"][1]["config"]["duration"] = "PT2H"
    flow_file.write_text(json.dumps(changed))
    assert _publish(flow_file, live.url, "--dry-run") == 0
    assert "the runtime runs version 1 of this flow" in capsys.readouterr().out
    assert live.client.get(f"/flows/{FLOW['id']}").json()["version"] == 1  # the dry run deployed nothing
    assert _publish(flow_file, live.url) == 0
    assert "deployed as version 2" in capsys.readouterr().out
    assert live.client.get(f"/flows/{FLOW['id']}").json()["flow"]["nodes"][1]["config"]["duration"] == "PT2H"
    assert json.loads(flow_file.read_text())["publish"]["runtime"]["version"] == 2


def test_the_deployed_flow_runs(live_runtime, flow_file):
    live = live_runtime()
    live.client.post("/clock", json={"now": T0 - HOUR})
    assert _publish(flow_file, live.url) == 0
    _shopper(live.client, "ann", T0)
    live.client.post("/clock", json={"now": T0 + 3 * HOUR})
    sent = live.client.get("/messages", params={"flow": FLOW["id"]}).json()["messages"]
    assert [(m["customer"], m["flow_version"]) for m in sent] == [("ann", 1)]


def test_a_dry_run_against_an_empty_runtime_says_it_would_deploy_version_one(live_runtime, flow_file, capsys):
    live = live_runtime()
    assert _publish(flow_file, live.url, "--dry-run") == 0
    assert "has no flow of this id" in capsys.readouterr().out
    assert live.client.get("/flows").json() == {"flows": []}
    assert "publish" not in json.loads(flow_file.read_text())


def test_the_token_comes_from_the_keyring_too(live_runtime, flow_file):
    live = live_runtime(token=TOKEN)
    keys.set_key("runtime", TOKEN)
    assert _publish(flow_file, live.url) == 0
    assert live.client.get("/flows").json()["flows"][0]["id"] == FLOW["id"]


def test_a_missing_or_wrong_token_is_refused_with_exit_2(live_runtime, flow_file, capsys, monkeypatch):
    live = live_runtime(token=TOKEN)
    assert _publish(flow_file, live.url) == 2
    err = capsys.readouterr().err
    assert "the key was refused" in err and "Authorization" in err and "Traceback" not in err
    monkeypatch.setenv("FLOW_RUNTIME_TOKEN", "not-the-token")
    assert _publish(flow_file, live.url) == 2
    err = capsys.readouterr().err
    assert "refused" in err and "not-the-token" not in err
    assert live.client.get("/flows").json() == {"flows": []}
    assert "publish" not in json.loads(flow_file.read_text())


def test_no_runtime_at_the_address_is_exit_2(flow_file, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    assert _publish(flow_file, f"http://127.0.0.1:{port}", "--timeout", "5") == 2
    assert "runtime:" in capsys.readouterr().err


def test_an_sms_step_is_reported_as_decided_but_not_delivered(live_runtime, flow_file, tmp_path, capsys):
    from tests.publish.test_klaviyo_compile import ROOT

    winback = tmp_path / "winback.json"
    shutil.copy(ROOT / "flows" / "winback.json", winback)
    live = live_runtime()
    assert _publish(winback, live.url) == 0
    err = capsys.readouterr().err
    assert "runtime: node n7 (kind): warning: the runtime decides these sms messages" in err
