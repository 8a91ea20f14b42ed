"""Publishing to Dittofeed against a loopback double: segments and templates go first,
the journey is upserted by a stable id, so 429, a 500 and a lost answer still leave
exactly one journey; publishing again sends nothing; the admin key stays secret."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from designer.cli import main
from designer.model import io
from designer.publish import tokens
from designer.publish.dittofeed_publish import stable_id
from tests.publish.fake_dittofeed import ADMIN_KEY, WORKSPACE, FakeDittofeed
from tests.publish.schemas import errors
from tests.publish.secrets import files_holding
from tests.publish.test_klaviyo_compile import EXAMPLES, ROOT

DITTOFEED = "dittofeed_journey_upsert.schema.json"
JOURNEYS = "/api/admin/journeys"


def _copy(path: Path, folder: Path) -> Path:
    out = folder / path.name
    shutil.copy(path, out)
    return out


def _publish(fake: FakeDittofeed, flow_file: Path, *extra: str) -> list[str]:
    return ["publish", str(flow_file), "--target", "dittofeed", "--base-url", fake.url, *extra]


def _puts(fake: FakeDittofeed) -> int:
    return sum(1 for m, _ in fake.requests if m == "PUT")


def test_each_example_survives_429_500_and_a_lost_answer_with_exactly_one_journey(home, tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3's request lines and retries too
    flows = tmp_path / "flows"
    flows.mkdir()
    # The abandoned cart's split on the triggering event has no segment: refused, nothing sent.
    cart = _copy(next(p for p in EXAMPLES if p.stem == "abandoned_cart"), tmp_path)
    sendable = [p for p in EXAMPLES if p.stem != "abandoned_cart"]
    with FakeDittofeed() as fake:
        assert main(_publish(fake, cart, "--allow-gaps")) == 1
        assert "node n9: its condition has no Dittofeed segment" in capsys.readouterr().err
        assert _puts(fake) == 0
        for i, path in enumerate(sendable, 1):
            flow_file = _copy(path, flows)
            fake.create_script = ["429", "500", "hang"]
            code = main(_publish(fake, flow_file, "--timeout", "1.5", "--allow-gaps", "--json"))
            out = capsys.readouterr()
            assert code == 0, out.err
            result = json.loads(out.out.strip().splitlines()[-1])
            assert len(fake.journeys) == i, path.name
            assert fake.count("PUT", JOURNEYS) == 4 * i  # 429, 500, the held one, the repeat that answers
            flow = io.load(flow_file)
            assert result["remote_id"] == stable_id(WORKSPACE, "journey", f"{flow.id}\n{flow.name}")
            assert result["created"] is True and result["retries"] >= 3
            assert "repeated, not duplicated" in out.out
            assert flow.publish["dittofeed"]["remote_id"] == result["remote_id"]
            assert flow.publish["dittofeed"]["workspace"] == WORKSPACE
        puts = _puts(fake)
        for path in sendable:  # publishing again sends nothing
            code = main(_publish(fake, flows / path.name, "--json"))
            out = capsys.readouterr()
            assert code == 0 and json.loads(out.out.strip().splitlines()[-1])["created"] is False
        assert _puts(fake) == puts and len(fake.journeys) == len(sendable)
        # The journeys as stored fit the schema with their segments and templates, none started.
        for journey in fake.journeys:
            segments = [s for s in fake.store["segments"].values() if s["name"].startswith(journey["name"] + ": ")]
            bundle = {"segments": segments, "templates": list(fake.store["templates"].values()), "journey": journey}
            assert errors(DITTOFEED, bundle) == []
            assert journey["status"] == "NotStarted" and "$" not in json.dumps(journey)
    assert files_holding(ADMIN_KEY, tmp_path, home) == []
    assert ADMIN_KEY not in out.out + out.err
    assert "Retrying" in caplog.text and ADMIN_KEY not in caplog.text


def test_segments_and_templates_are_sent_before_the_journey_and_existing_templates_reused(home, tmp_path, capsys):
    flow_file = _copy(ROOT / "flows" / "welcome_series.json", tmp_path)
    first_send = next(n["id"] for n in json.loads(flow_file.read_text())["nodes"] if n["kind"] == "send_email")
    with FakeDittofeed(templates=[f"{io.load(flow_file).name}: {first_send}"]) as fake:
        assert main(_publish(fake, flow_file, "--json")) == 0
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        (journey,) = fake.journeys
        paths = [p for m, p in fake.requests if m == "PUT"]
        assert paths[-1] == JOURNEYS and JOURNEYS not in paths[:-1]
        assert summary["templates_created"] == 3  # the first send's is the workspace's own, used as it is
        assert fake.store["templates"]["existing-0"]["definition"] == {"type": "Email"}
        used = {n["id"]: n["variant"]["templateId"] for n in journey["definition"]["nodes"]
                if n["type"] == "MessageNode"}
        assert used[first_send] == "existing-0" and set(used.values()) <= set(fake.store["templates"])
        # Each send has its own template, carrying that send's subject.
        subjects = {n["id"]: tokens.to_liquid(n["config"]["subject"]).text for n in json.loads(flow_file.read_text())["nodes"]
                    if n["kind"] == "send_email"}
        for node, template in used.items():
            if node != first_send:
                assert fake.store["templates"][template]["definition"]["subject"] == subjects[node]


def test_a_400_names_the_field_and_the_node(home, tmp_path, capsys):
    flow_file = _copy(ROOT / "flows" / "browse_abandonment.json", tmp_path)
    with FakeDittofeed() as fake:
        fake.create_script = [{"message": "must be <= 2592000", "field": "body/definition/nodes/1/timeoutSeconds"}]
        code = main(_publish(fake, flow_file, "--allow-gaps"))
        assert fake.journeys == []
    err = capsys.readouterr().err
    assert code == 1
    # nodes/0 is n2 (the first wait), nodes/1 the second wait, n4 (by hand: see test_other_targets).
    assert "must be <= 2592000 at body/definition/nodes/1/timeoutSeconds" in err and "(node n4)" in err


def test_another_journey_with_the_name_is_refused_not_overwritten(home, tmp_path, capsys):
    flow_file = _copy(ROOT / "flows" / "welcome_series.json", tmp_path)
    name = io.load(flow_file).name
    with FakeDittofeed() as fake:
        fake.store["journeys"]["hand-made"] = {"id": "hand-made", "workspaceId": WORKSPACE, "name": name}
        assert main(_publish(fake, flow_file)) == 1
        assert _puts(fake) == 0 and fake.store["journeys"]["hand-made"] == {
            "id": "hand-made", "workspaceId": WORKSPACE, "name": name}
    assert "already has a journey named" in capsys.readouterr().err


def test_a_changed_flow_is_a_new_journey_and_only_activate_starts_it(home, tmp_path, capsys):
    flow_file = _copy(ROOT / "flows" / "welcome_series.json", tmp_path)
    with FakeDittofeed() as fake:
        assert main(_publish(fake, flow_file)) == 0
        first_segments = dict(fake.store["segments"])
        flow = io.load(flow_file)
        node = next(n for n in flow.nodes.values() if n.kind == "send_email")
        flow.set_config(node.id, {**node.config, "subject": "A new subject"})
        io.save(flow, flow_file)
        assert main(_publish(fake, flow_file)) == 0
        assert sorted(j["name"] for j in fake.journeys) == [flow.name, f"{flow.name} (v2)"]
        assert {j["status"] for j in fake.journeys} == {"NotStarted"}
        # v2 has its own segments: v1's are exactly as they were.
        assert all(fake.store["segments"][k] == v for k, v in first_segments.items())
        assert len(fake.store["segments"]) == 2 * len(first_segments)
        assert main(_publish(fake, flow_file, "--activate")) == 0
        status = {j["name"]: j["status"] for j in fake.journeys}
        assert status == {flow.name: "NotStarted", f"{flow.name} (v2)": "Running"}
    assert json.loads(flow_file.read_text())["publish"]["dittofeed"]["live"] is True


def test_a_dry_run_only_reads(home, tmp_path, capsys):
    flow_file = _copy(ROOT / "flows" / "winback.json", tmp_path)
    before = flow_file.read_text()
    with FakeDittofeed() as fake:
        assert main(_publish(fake, flow_file, "--allow-gaps", "--dry-run", "--json")) == 0
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert summary["remote_id"] is None and summary["templates_created"] == 3  # would be created
        assert {m for m, _ in fake.requests} == {"GET"}
    assert flow_file.read_text() == before


def test_a_missing_workspace_or_a_wrong_key_is_exit_2(home, tmp_path, monkeypatch, capsys):
    flow_file = _copy(ROOT / "flows" / "welcome_series.json", tmp_path)
    with FakeDittofeed() as fake:
        monkeypatch.delenv("DITTOFEED_WORKSPACE_ID")
        assert main(_publish(fake, flow_file)) == 2
        err = capsys.readouterr().err
        assert "--workspace" in err and "DITTOFEED_WORKSPACE_ID" in err and fake.requests == []
        monkeypatch.setenv("DITTOFEED_ADMIN_KEY", "df-wrong-1111")
        assert main(_publish(fake, flow_file, "--workspace", WORKSPACE)) == 2
        err = capsys.readouterr().err
        assert "refused" in err and "df-wrong-1111" not in err
