"""Publishing to HubSpot against a loopback double: 429, a 500 and a lost answer make exactly
one workflow each; publishing again makes none; errors name the field and the node; the
token never reaches a file or the terminal."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from designer.cli import main
from designer.model import io
from designer.publish import placeholders
from designer.publish.hubspot import compile_hubspot, compile_hubspot_nodes
from designer.publish.metrics import MetricNames
from tests.publish.fake_hubspot import FLOWS, TOKEN, FakeHubSpot
from tests.publish.schemas import errors
from tests.publish.secrets import files_holding
from tests.publish.test_klaviyo_compile import EXAMPLES, ROOT

HUBSPOT = "hubspot_flow_create.schema.json"


def _wanted(kind: str) -> list[str]:
    return sorted({n for p in EXAMPLES for n in placeholders.collect(compile_hubspot(io.load(p))[0]).get(kind, ())})


EVENTS = _wanted("event") + ["Form Submitted", "Opened Email"]
EMAILS = _wanted("email") + ["newsletter_march"]


def _copy(path: Path, folder: Path) -> Path:
    out = folder / path.name
    shutil.copy(path, out)
    return out


def _publish(fake: FakeHubSpot, flow_file: Path, *extra: str) -> list[str]:
    return ["publish", str(flow_file), "--target", "hubspot", "--base-url", fake.url, *extra]


def test_each_example_survives_429_500_and_a_lost_answer_with_exactly_one_workflow(home, tmp_path, capsys, caplog):
    caplog.set_level(logging.DEBUG)  # urllib3's request lines and retries too
    flows = tmp_path / "flows"
    flows.mkdir()
    with FakeHubSpot(EVENTS, EMAILS) as fake:
        for i, path in enumerate(EXAMPLES, 1):
            flow_file = _copy(path, flows)
            fake.create_script = ["429", "500", "hang"]
            code = main(_publish(fake, flow_file, "--timeout", "1.5", "--allow-gaps", "--json"))
            out = capsys.readouterr()
            assert code == 0, out.err
            result = json.loads(out.out.strip().splitlines()[-1])
            assert len(fake.flows) == i, path.name
            assert fake.flow_creates() == 3 * i  # 429, 500, the held one; never a fourth
            assert result == {"target": "hubspot", "remote_id": fake.flows[-1]["id"], "created": True,
                              "templates_created": 0, "lists_created": result["lists_created"],
                              "retries": result["retries"]}
            assert result["retries"] >= 3 and "found by name" in out.out
            record = json.loads(flow_file.read_text())["publish"]["hubspot"]
            assert record["remote_id"] == fake.flows[-1]["id"] and record["flow_hash"].startswith("sha256:")
        made, creates = len(fake.flows), fake.flow_creates()
        for path in EXAMPLES:  # publishing again creates nothing
            code = main(_publish(fake, flows / path.name, "--json"))
            out = capsys.readouterr()
            assert code == 0 and json.loads(out.out.strip().splitlines()[-1])["created"] is False
            assert "unchanged" in out.out
        assert (len(fake.flows), fake.flow_creates()) == (made, creates)
        # What reached HubSpot fits the schema, with the account's ids and nothing enabled.
        event_ids = {e["objectTypeId"] for e in fake.events}
        email_ids = {e["id"] for e in fake.emails}
        for flow in fake.flows:
            sent = {k: v for k, v in flow.items() if k not in ("id", "revisionId")}
            assert errors(HUBSPOT, sent) == []
            assert placeholders.collect(sent) == {}
            assert flow["isEnabled"] is False
            assert flow["enrollmentCriteria"]["eventFilterBranches"][0]["eventTypeId"] in event_ids
            assert {a["fields"]["content_id"] for a in flow["actions"] if "content_id" in a.get("fields", {})} <= email_ids
        lists = {n["config"]["add_to_list"] for p in EXAMPLES for n in json.loads(p.read_text())["nodes"]
                 if n["config"].get("add_to_list")}
        assert sorted(x["name"] for x in fake.lists) == sorted(lists)
        assert {x["processingType"] for x in fake.lists} == {"MANUAL"}
    assert files_holding(TOKEN, tmp_path, home) == []
    assert TOKEN not in out.out + out.err
    assert "/automation/v4/flows" in caplog.text and TOKEN not in caplog.text


def test_a_400_names_the_field_and_the_node(home, tmp_path, capsys):
    flow_file = _copy(ROOT / "flows" / "winback.json", tmp_path)
    _body, _report, nodes = compile_hubspot_nodes(io.load(flow_file), MetricNames())
    with FakeHubSpot(EVENTS, EMAILS) as fake:
        fake.create_script = [{"message": "delta must be at most 3650 days", "in": "actions[0].fields.delta"}]
        code = main(_publish(fake, flow_file, "--allow-gaps"))
        assert fake.flows == [] and fake.flow_creates() == 1  # a 400 is not tried again
    err = capsys.readouterr().err
    assert code == 1
    assert "delta must be at most 3650 days at actions[0].fields.delta" in err
    assert f"(node {nodes[0]})" in err and nodes[0] == "n2"
    assert "publish" not in json.loads(flow_file.read_text()) or not json.loads(flow_file.read_text())["publish"]


def test_an_email_the_account_lacks_is_named_with_its_node(home, tmp_path, capsys):
    flow_file = _copy(ROOT / "flows" / "winback.json", tmp_path)
    with FakeHubSpot(EVENTS, [e for e in EMAILS if e != "winback_vip"]) as fake:
        assert main(_publish(fake, flow_file, "--allow-gaps")) == 1
        assert fake.flow_creates() == 0 and fake.lists == []
    err = capsys.readouterr().err
    vip = next(n["id"] for n in json.loads(flow_file.read_text())["nodes"] if n["config"].get("template") == "winback_vip")
    assert "no marketing email named 'winback_vip'" in err and f"node {vip}" in err


def test_a_wrong_token_is_exit_2_and_never_printed(home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUBSPOT_TOKEN", "pat-wrong-0000")
    flow_file = _copy(ROOT / "flows" / "welcome_series.json", tmp_path)
    with FakeHubSpot(EVENTS, EMAILS) as fake:
        code = main(_publish(fake, flow_file, "--allow-gaps"))
    err = capsys.readouterr().err
    assert code == 2 and "refused" in err and "pat-wrong-0000" not in err


def test_reads_are_retried_by_the_session_and_a_dry_run_creates_nothing(home, tmp_path, capsys):
    flow_file = _copy(ROOT / "flows" / "browse_abandonment.json", tmp_path)
    before = flow_file.read_text()
    with FakeHubSpot(EVENTS, EMAILS) as fake:
        fake.get_faults = [500, 429]  # the first two reads fail; GETs are safe to repeat
        code = main(_publish(fake, flow_file, "--allow-gaps", "--dry-run", "--json"))
        summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert code == 0
        assert summary["created"] is False and summary["remote_id"] is None
        assert summary["lists_created"] == 1 and summary["retries"] == 2  # would be created
        assert fake.flows == [] and fake.lists == []
        assert {m for m, _ in fake.requests} == {"GET"}
    assert flow_file.read_text() == before


def test_a_changed_flow_is_a_new_disabled_workflow_and_only_activate_enables_it(home, tmp_path, capsys):
    flow_file = _copy(ROOT / "flows" / "welcome_series.json", tmp_path)
    with FakeHubSpot(EVENTS, EMAILS) as fake:
        assert main(_publish(fake, flow_file, "--allow-gaps")) == 0
        flow = io.load(flow_file)
        node = next(n for n in flow.nodes.values() if n.kind == "send_email")
        flow.set_config(node.id, {**node.config, "subject": "A new subject"})
        io.save(flow, flow_file)
        assert main(_publish(fake, flow_file, "--allow-gaps")) == 0
        assert [f["name"] for f in fake.flows] == [flow.name, f"{flow.name} (v2)"]
        assert [f["isEnabled"] for f in fake.flows] == [False, False]
        assert main(_publish(fake, flow_file, "--activate")) == 0  # unchanged: nothing created, v2 enabled
        assert len(fake.flows) == 2 and [f["isEnabled"] for f in fake.flows] == [False, True]
        assert fake.flows[1]["revisionId"] == "2" and fake.count("PUT", f"{FLOWS}/{fake.flows[1]['id']}") == 1
    record = json.loads(flow_file.read_text())["publish"]["hubspot"]
    assert record["version"] == 2 and record["live"] is True
    assert "(v2)" in capsys.readouterr().out
