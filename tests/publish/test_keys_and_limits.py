"""Keys come from the environment or the keyring with a clear word when neither has one;
the daily Create Flow limit is refused rather than waited for; a dry run creates nothing."""

from __future__ import annotations

import json
import shutil

import keyring
import pytest

from designer.cli import main
from designer.publish import keys
from designer.publish.ratelimit import DailyLimitReached, RateLimiter, Window
from tests.publish.fake_klaviyo import KEY, FakeKlaviyo
from tests.publish.test_klaviyo_compile import ROOT
from tests.publish.test_klaviyo_publish import ALL_METRICS, _Clock


def test_the_environment_wins(monkeypatch):
    monkeypatch.setenv("HUBSPOT_TOKEN", "tok-123")
    monkeypatch.setattr(keyring, "get_password", lambda *a: pytest.fail("keyring consulted"))
    assert keys.get_key("hubspot") == "tok-123"


def test_a_broken_keyring_names_the_environment_variable(monkeypatch):
    monkeypatch.delenv("DITTOFEED_ADMIN_KEY", raising=False)

    def broken(*args):
        raise keyring.errors.NoKeyringError("no backend")

    monkeypatch.setattr(keyring, "get_password", broken)
    with pytest.raises(keys.MissingKey) as err:
        keys.get_key("dittofeed")
    assert "DITTOFEED_ADMIN_KEY" in str(err.value) and "keyring" in str(err.value)


def test_a_missing_key_is_exit_2_with_the_variable_named(home, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("KLAVIYO_API_KEY")
    monkeypatch.setattr(keyring, "get_password", lambda *a: None)
    flow = tmp_path / "f.json"
    shutil.copy(ROOT / "flows" / "welcome_series.json", flow)
    assert main(["publish", str(flow), "--target", "klaviyo"]) == 2
    assert "KLAVIYO_API_KEY" in capsys.readouterr().err


def test_the_daily_limit_is_refused_with_the_time_it_frees(tmp_path):
    clock = _Clock()
    limiter = RateLimiter(tmp_path / "r.json", (Window(86400, 3),), clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.acquire()
        clock.now += 10
    with pytest.raises(DailyLimitReached) as err:
        limiter.acquire()
    assert "UTC" in str(err.value) and clock.slept == []


def test_a_dry_run_resolves_but_creates_nothing(home, tmp_path, capsys):
    flow = tmp_path / "f.json"
    shutil.copy(ROOT / "flows" / "winback.json", flow)
    before = flow.read_text()
    with FakeKlaviyo(ALL_METRICS) as fake:
        code = main(["publish", str(flow), "--target", "klaviyo", "--base-url", fake.url, "--dry-run",
                     "--allow-gaps", "--json"])
        out = capsys.readouterr().out.strip().splitlines()
        assert code == 0
        summary = json.loads(out[-1])
        assert summary["created"] is False and summary["remote_id"] is None
        assert summary["templates_created"] == 2 and summary["lists_created"] == 1  # would be created
        assert fake.flows == [] and fake.templates == [] and fake.lists == []
        assert all(method == "GET" for method, _ in fake.requests)
    assert flow.read_text() == before
    assert KEY not in "\n".join(out)


def test_a_metric_the_account_lacks_stops_the_publish(home, tmp_path, capsys):
    flow = tmp_path / "f.json"
    shutil.copy(ROOT / "flows" / "winback.json", flow)
    with FakeKlaviyo([m for m in ALL_METRICS if m != "Placed Order"]) as fake:
        assert main(["publish", str(flow), "--target", "klaviyo", "--base-url", fake.url, "--allow-gaps"]) == 1
        assert fake.flows == []
    assert "'Placed Order'" in capsys.readouterr().err
