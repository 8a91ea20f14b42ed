"""Publishing against a Klaviyo double on loopback: faults, no duplicates, no leaked key."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from designer.cli import main
from designer.model import io
from designer.publish.klaviyo.client import KlaviyoClient
from designer.publish.klaviyo.compile import compile_flow
from designer.publish.klaviyo.publisher import KlaviyoPublisher, PublishRefused, offline_refs_wanted
from designer.publish.metrics import MetricNames
from designer.publish.ratelimit import RateLimiter, Window
from tests.publish.fake_klaviyo import KEY, FakeKlaviyo
from tests.publish.test_klaviyo_compile import EXAMPLES, SCHEMA
from tests.publish.schemas import errors

#: Metrics the account has: everything the examples use, plus filler so lists take several pages.
ALL_METRICS = sorted({m for p in EXAMPLES for m in offline_refs_wanted(io.load(p), MetricNames())["metric"]}
                     | {"Opened Email", "Clicked Email", "Received Email", "Bounced Email", "Fulfilled Order"})


def _copy(path: Path, folder: Path) -> Path:
    out = folder / path.name
    shutil.copy(path, out)
    return out


def _grep_key(*folders: Path) -> list[Path]:
    hits = []
    for folder in folders:
        for f in folder.rglob("*"):
            if f.is_file() and KEY.encode() in f.read_bytes():
                hits.append(f)
    return hits


def test_each_example_survives_429_500_and_a_timeout_with_exactly_one_flow(home, tmp_path, capsys):
    flows = tmp_path / "flows"
    flows.mkdir()
    with FakeKlaviyo(ALL_METRICS) as fake:
        for path in EXAMPLES:
            flow_file = _copy(path, flows)
            fake.create_script = ["429", "500", "hang"]
            before = len(fake.flows)
            code = main(["publish", str(flow_file), "--target", "klaviyo", "--base-url", fake.url,
                         "--timeout", "1.5", "--allow-gaps", "--json"])
            out = capsys.readouterr()
            assert code == 0, out.err
            result = json.loads(out.out.strip().splitlines()[-1])
            assert len(fake.flows) == before + 1, path.name
            assert fake.flow_creates() == 3 * (EXAMPLES.index(path) + 1)
            assert result["remote_id"] == fake.flows[-1]["id"]
            assert result["created"] is True  # the held create made it; the look-up found it, no second
            assert "found by name" in out.out
            assert result["retries"] >= 3
            assert fake.held.is_set()
            record = json.loads(flow_file.read_text())["publish"]["klaviyo"]
            assert record["remote_id"] == fake.flows[-1]["id"]
            assert record["flow_hash"].startswith("sha256:")
        assert fake.bad_requests == []
        made = len(fake.flows)
        creates = fake.flow_creates()
        # Publishing again creates nothing.
        for path in EXAMPLES:
            code = main(["publish", str(flows / path.name), "--target", "klaviyo", "--base-url", fake.url,
                         "--json"])
            out = capsys.readouterr()
            assert code == 0
            assert json.loads(out.out.strip().splitlines()[-1])["created"] is False
            assert "unchanged" in out.out
        assert len(fake.flows) == made and fake.flow_creates() == creates
        # Every flow that reached the server is a body Klaviyo's schema accepts, with real ids.
        for flow in fake.flows:
            body = {"data": {"type": "flow", "attributes": {"name": flow["attributes"]["name"],
                                                            "definition": flow["attributes"]["definition"]}}}
            assert errors(SCHEMA, body) == []
            assert "$metric:" not in json.dumps(body) and "$template:" not in json.dumps(body)
        assert all(f["attributes"]["status"] == "draft" for f in fake.flows)
        assert {t["attributes"]["editor_type"] for t in fake.templates} == {"CODE"}
        lists = {n["config"][k] for p in EXAMPLES for n in json.loads(p.read_text())["nodes"]
                 for k in ("add_to_list", "remove_from_list") if n["config"].get(k)}
        assert sorted(lst["attributes"]["name"] for lst in fake.lists) == sorted(lists)
    assert _grep_key(tmp_path, home) == []
    assert KEY not in out.out + out.err


class _Clock:
    """A clock the rate limiter's waits advance, so tests never sleep."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _publisher(fake: FakeKlaviyo, tmp_path: Path, clock: _Clock, timeout: float = 5.0) -> KlaviyoPublisher:
    client = KlaviyoClient(KEY, base_url=fake.url, timeout=timeout)
    limiter = RateLimiter(tmp_path / "rate.json", (Window(1, 1), Window(60, 15), Window(86400, 100)),
                          clock=clock, sleep=clock.sleep)
    return KlaviyoPublisher(client, limiter=limiter, sleep=clock.sleep)


def test_a_400_names_the_field_and_the_node(tmp_path):
    flow = io.load(next(p for p in EXAMPLES if p.stem == "welcome_series"))
    with FakeKlaviyo(ALL_METRICS) as fake:
        pointer = "/data/attributes/definition/actions/1/data/message/from_email"
        fake.create_script = [{"title": "Invalid from address", "pointer": pointer}]
        with pytest.raises(PublishRefused) as err:
            _publisher(fake, tmp_path, _Clock()).publish(flow, allow_gaps=True)
    node = compile_flow(flow).action_nodes[1]
    assert pointer in str(err.value)
    assert f"(node {node})" in str(err.value)
    assert fake.flows == []


def test_paginated_metrics_and_the_auth_headers(tmp_path):
    flow = io.load(next(p for p in EXAMPLES if p.stem == "welcome_series"))
    with FakeKlaviyo(ALL_METRICS) as fake:
        # The metric the trigger needs is on the last page.
        fake.metrics.sort(key=lambda m: m["attributes"]["name"] == "Subscribed to List")
        # The first two reads fail; GETs are safe to repeat, so the session's Retry repeats them.
        fake.get_faults = [500, 429]
        result, _ = _publisher(fake, tmp_path, _Clock()).publish(flow, allow_gaps=True)
        assert result.created is True
        assert result.retries == 2
        pages = [p for m, p in fake.requests if p == "/api/metrics"]
        assert len(pages) == -(-len(ALL_METRICS) // 2) + 2  # every page, and the two repeats
        trigger = fake.flows[0]["attributes"]["definition"]["triggers"][0]
        wanted = next(m["id"] for m in fake.metrics if m["attributes"]["name"] == "Subscribed to List")
        assert trigger["id"] == wanted
        assert fake.bad_requests == []


def test_a_wrong_key_is_refused_with_exit_2(home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KLAVIYO_API_KEY", "pk_wrong_0000")
    flow_file = _copy(next(p for p in EXAMPLES if p.stem == "welcome_series"), tmp_path)
    with FakeKlaviyo(ALL_METRICS) as fake:
        code = main(["publish", str(flow_file), "--target", "klaviyo", "--base-url", fake.url])
    err = capsys.readouterr().err
    assert code == 2
    assert "refused" in err and "pk_wrong_0000" not in err


def test_an_unreachable_server_is_exit_2(home, tmp_path, capsys):
    flow_file = _copy(next(p for p in EXAMPLES if p.stem == "welcome_series"), tmp_path)
    with FakeKlaviyo(ALL_METRICS) as fake:
        url = fake.url
    # The server is closed now: nothing listens on that port.
    code = main(["publish", str(flow_file), "--target", "klaviyo", "--base-url", url, "--timeout", "2"])
    assert code == 2
    assert KEY not in capsys.readouterr().err


def test_gaps_stop_a_publish_unless_accepted(home, tmp_path, capsys):
    flow_file = _copy(next(p for p in EXAMPLES if p.stem == "abandoned_cart"), tmp_path)
    with FakeKlaviyo(ALL_METRICS) as fake:
        code = main(["publish", str(flow_file), "--target", "klaviyo", "--base-url", fake.url])
        assert code == 1
        assert "quiet_hours" in capsys.readouterr().err
        assert fake.requests == []


def test_a_changed_flow_is_a_new_draft_with_a_versioned_name_and_never_live_unasked(tmp_path):
    flow = io.load(next(p for p in EXAMPLES if p.stem == "welcome_series"))
    clock = _Clock()
    with FakeKlaviyo(ALL_METRICS) as fake:
        pub = _publisher(fake, tmp_path, clock)
        first, _ = pub.publish(flow)
        flow.set_name(flow.name)  # unchanged: nothing
        again, _ = pub.publish(flow)
        assert (first.created, again.created) == (True, False)
        node = next(n for n in flow.nodes.values() if n.kind == "send_email")
        flow.set_config(node.id, {**node.config, "subject": "A new subject"})
        second, _ = pub.publish(flow)
        assert second.created is True
        assert [f["attributes"]["name"] for f in fake.flows] == [flow.name, f"{flow.name} (v2)"]
        assert {f["attributes"]["status"] for f in fake.flows} == {"draft"}
        assert flow.publish["klaviyo"]["version"] == 2
        live, _ = pub.publish(flow, activate=True)
        assert live.created is False and fake.flows[1]["attributes"]["status"] == "live"
        # Two creates one after the other: the second waited for the 1-per-second window.
        assert any(0 < s <= 1.0 for s in clock.slept)


def test_the_create_flow_limit_counts_across_runs(tmp_path):
    clock = _Clock()
    windows = (Window(1, 1), Window(60, 15), Window(86400, 100))
    for _ in range(15):
        RateLimiter(tmp_path / "rate.json", windows, clock=clock, sleep=clock.sleep).acquire()
    clock.slept.clear()
    # A new limiter (a new run) reads the same file: the 16th create waits for the minute window.
    RateLimiter(tmp_path / "rate.json", windows, clock=clock, sleep=clock.sleep).acquire()
    assert sum(clock.slept) >= 60 - 15


def test_a_record_made_for_one_account_does_not_stop_a_publish_to_another(tmp_path):
    """Published to a staging account first, the unchanged flow still goes to the shop's own account
    (and the record names the account by a fingerprint, never by its key)."""
    flow = io.load(next(p for p in EXAMPLES if p.stem == "welcome_series"))
    clock = _Clock()
    limiter = RateLimiter(tmp_path / "rate.json", (Window(1, 1), Window(60, 15), Window(86400, 100)),
                          clock=clock, sleep=clock.sleep)
    with FakeKlaviyo(ALL_METRICS) as staging_account, \
            FakeKlaviyo(ALL_METRICS, key="pk_shop_account_key") as shop_account:
        staging, _ = _publisher(staging_account, tmp_path, clock).publish(flow)
        again, _ = _publisher(staging_account, tmp_path, clock).publish(flow)
        client = KlaviyoClient("pk_shop_account_key", base_url=shop_account.url, timeout=5.0)
        shop, _ = KlaviyoPublisher(client, limiter=limiter, sleep=clock.sleep).publish(flow)
        shop_again, _ = KlaviyoPublisher(client, limiter=limiter, sleep=clock.sleep).publish(flow)
    assert (staging.created, again.created, shop.created, shop_again.created) == (True, False, True, False)
    assert len(staging_account.flows) == 1 and len(shop_account.flows) == 1
    record = json.dumps(flow.publish)
    assert "pk_shop_account_key" not in record and KEY not in record
    assert flow.publish["klaviyo"]["destination"].startswith(shop_account.url)


def test_the_destination_tells_keys_apart_on_one_server():
    one = KlaviyoClient(KEY, base_url="http://127.0.0.1:9")
    other = KlaviyoClient("pk_another_key", base_url="http://127.0.0.1:9")
    assert one.destination() != other.destination()
    assert KEY not in one.destination() and one.destination() == KlaviyoClient(KEY, base_url="http://127.0.0.1:9/").destination()
