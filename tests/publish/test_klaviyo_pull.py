"""Pull: a live flow from a Klaviyo-shaped answer comes back as a flow that validates,
backtests like the flow Klaviyo runs, and compiles to the same definition."""

from __future__ import annotations

import json

import pytest

from designer.cli import main
from designer.engine.simulate import simulate
from designer.model import io
from designer.model.flow import Flow
from designer.model.settings import Settings
from designer.model.validate import has_errors, validate
from designer.publish.klaviyo.compile import compile_flow
from designer.publish.klaviyo.pull import Account, translate
from designer.publish.klaviyo.refs import Refs
from designer.store.sample import generate
from tests.publish.fake_klaviyo import FakeKlaviyo
from tests.publish.test_klaviyo_compile import EXAMPLES
from tests.publish.test_klaviyo_publish import ALL_METRICS, _Clock, _publisher


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("shop") / "shop.db"
    generate(path, customers=300, days=45, seed=5)
    return path


@pytest.fixture
def account_with_examples(tmp_path):
    """A Klaviyo double holding every example, published as Klaviyo stores them (real ids)."""
    with FakeKlaviyo(ALL_METRICS) as fake:
        pub = _publisher(fake, tmp_path, _Clock())
        for path in EXAMPLES:
            pub.publish(io.load(path), allow_gaps=True)
        yield fake


def as_klaviyo_runs_it(flow: Flow) -> Flow:
    """The flow with what Klaviyo cannot hold taken out (the export's report names each)."""
    out = flow.copy()
    out.settings = out.settings.replace(quiet_hours=None, smart_sending="PT16H", conversion=Settings().conversion)
    for node in out.nodes.values():
        node.config.pop("key", None)
    return out


def canonical(definition: dict) -> list:
    """Actions in journey order with ids replaced by their place in that order."""
    actions = {a.get("id") or a.get("temporary_id"): a for a in definition["actions"]}
    order: list[str] = []

    def walk(aid):
        if aid is None or aid in order:
            return
        order.append(aid)
        for key in sorted((actions[aid].get("links") or {})):
            walk(actions[aid]["links"][key])

    walk(definition["entry_action_id"])
    place = {aid: i for i, aid in enumerate(order)}
    out = []
    for aid in order:
        a = {k: v for k, v in actions[aid].items() if k not in ("id", "temporary_id")}
        a["links"] = {k: place.get(v) for k, v in (a.get("links") or {}).items()}
        out.append(a)
    return out


def totals(result) -> dict:
    return {k: getattr(result, k) for k in ("entered", "sends", "recipients", "conversions",
                                            "messages_by_channel", "customers_entered")} | {
        "revenue": round(result.revenue, 2)}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_pulled_flow_validates_backtests_and_round_trips(path, account_with_examples, home, tmp_path, shop,
                                                        capsys):
    fake = account_with_examples
    remote = next(f for f in fake.flows if f["attributes"]["name"] == io.load(path).name)
    out = tmp_path / "pulled.json"
    code = main(["pull", "klaviyo", remote["id"], "--out", str(out), "--base-url", fake.url])
    assert code == 0, capsys.readouterr().err
    pulled = io.load(out)
    assert not has_errors(validate(pulled))
    assert pulled.publish["klaviyo"]["remote_id"] == remote["id"]
    # Compiling the pulled flow gives the definition Klaviyo holds.
    metric_ids = {m["attributes"]["name"]: m["id"] for m in fake.metrics}
    again = compile_flow(pulled, Refs(metrics=metric_ids,
                                      lists={x["attributes"]["name"]: x["id"] for x in fake.lists}))
    assert canonical(again.definition) == canonical(remote["attributes"]["definition"])
    # Pulling adds no gap of its own: whatever the original reported, the pulled flow reports no more.
    original = compile_flow(io.load(path)).report
    assert {g.reason for g in again.report.errors} <= {g.reason for g in original.errors}
    assert again.definition["triggers"] == remote["attributes"]["definition"]["triggers"]
    # It backtests on the sample shop like the flow as Klaviyo runs it.
    result = simulate(pulled, shop, workers=1, save=False)
    assert result.entered > 0
    if not any(n.kind == "wait_for" for n in io.load(path).nodes.values()):
        # (A wait is a delay and a check in Klaviyo: the pulled flow runs that, not our wait.)
        expected = simulate(as_klaviyo_runs_it(io.load(path)), shop, workers=1, save=False)
        assert totals(result) == totals(expected)


def test_pull_list_shows_the_account_flows(account_with_examples, home, capsys):
    fake = account_with_examples
    assert main(["pull", "klaviyo", "--list", "--base-url", fake.url]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [f["id"] for f in fake.flows]


def test_untranslatable_actions_are_reported_and_noted_not_dropped():
    resource = {"id": "F9", "attributes": {"name": "Odd", "status": "live", "definition": {
        "triggers": [{"type": "metric", "id": "M1"}],
        "entry_action_id": "1",
        "actions": [
            {"id": "1", "type": "send-push-notification", "links": {"next": "2"}, "data": {}},
            {"id": "2", "type": "send-email", "data": {"status": "live", "message": {
                "template_id": "T7", "subject_line": "Hello {{ first_name|default:'friend' }}"}}},
        ]}}}
    flow, report = translate(resource, Account(metrics={"M1": "Placed Order"}, templates={"T7": "thanks"}))
    assert flow.trigger().config == {"event": "purchase"}
    assert flow.settings.smart_sending == "PT16H"  # Klaviyo's default: smart sending on
    resource["attributes"]["definition"]["actions"][1]["data"]["message"]["smart_sending_enabled"] = False
    assert translate(resource, Account())[0].settings.smart_sending is None
    assert any("send-push-notification" in g.reason for g in report.errors)
    assert "send-push-notification" in flow.description
    email = next(n for n in flow.nodes.values() if n.kind == "send_email")
    assert email.config == {"template": "thanks", "subject": "Hello {{ first_name | default('friend') }}",
                            "klaviyo_template_id": "T7"}
    assert flow.successor("n1", "next") == email.id
    assert flow.publish["klaviyo"]["live"] is True
    assert json.loads(json.dumps(io.to_json(flow)))["nodes"][0]["kind"] == "trigger"
