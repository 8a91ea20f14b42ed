"""The Klaviyo compiler: every example against Klaviyo's own schema, one by hand."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from designer.model import documents, io
from designer.model.flow import Edge, Flow, Node
from designer.model.kinds import KINDS
from designer.model.settings import Settings
from designer.publish.klaviyo.actions import MAPPINGS
from designer.publish.klaviyo.compile import compile_flow
from designer.publish.klaviyo.refs import Refs
from designer.publish.metrics import MetricNames
from tests.publish.schemas import errors

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "flows").glob("*.json") if documents.format_of(p) == documents.FLOW)
SCHEMA = "klaviyo_flow_create_query.json"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_is_a_valid_create_flow_body(path):
    body = compile_flow(io.load(path)).body
    assert errors(SCHEMA, body) == []


def test_the_schema_check_can_fail():
    body = compile_flow(io.load(ROOT / "flows" / "abandoned_cart.json")).body
    broken = copy.deepcopy(body)
    broken["data"]["attributes"]["definition"]["actions"][0]["data"].pop("value")
    assert errors(SCHEMA, broken)
    broken = copy.deepcopy(body)
    del broken["data"]["attributes"]["definition"]["actions"][1]["links"]["next_if_true"]
    assert errors(SCHEMA, broken)


def test_every_node_kind_has_a_klaviyo_mapping():
    assert set(MAPPINGS) == set(KINDS)


def test_abandoned_cart_by_hand():
    refs = Refs(metrics={"Added to Cart": "ATC", "Placed Order": "PO"},
                templates={"cart_reminder": "T1", "cart_offer": "T2", "cart_reminder_2": "T3"})
    out = compile_flow(io.load(ROOT / "flows" / "abandoned_cart.json"), refs)
    d = out.definition
    assert d["triggers"] == [{"type": "metric", "id": "ATC"}]
    assert d["entry_action_id"] == "n2"
    assert d["reentry_criteria"] == {"duration": 1, "unit": "week"}
    by_id = {a["temporary_id"]: a for a in d["actions"]}
    # Exits are not actions: the split's yes branch simply ends.
    assert list(by_id) == ["n2", "n3", "n5", "n6", "n7", "n9", "n10", "n11"]
    assert by_id["n2"]["data"] == {"timezone": "profile", "unit": "hours", "value": 1}
    assert by_id["n2"]["links"] == {"next": "n3"}
    assert by_id["n3"]["links"] == {"next_if_true": None, "next_if_false": "n5"}
    (cond,), = [g["conditions"] for g in by_id["n3"]["data"]["profile_filter"]["condition_groups"]]
    assert cond == {"type": "profile-metric", "metric_id": "PO", "measurement": "count",
                    "measurement_filter": {"type": "numeric", "operator": "greater-than-or-equal", "value": 1},
                    "timeframe_filter": {"type": "date", "operator": "flow-start"}}
    msg = by_id["n5"]["data"]["message"]
    assert by_id["n5"]["data"]["status"] == "draft"
    assert msg["template_id"] == "T1"
    assert msg["subject_line"] == "{{ first_name|default:'Hi' }}, you left something behind"
    assert msg["preview_text"] == "Your cart is saved for you"
    assert msg["smart_sending_enabled"] is True
    assert by_id["n6"]["data"]["unit"] == "days" and by_id["n6"]["data"]["value"] == 1
    assert by_id["n9"]["type"] == "trigger-split"
    assert by_id["n9"]["data"]["trigger_id"] == "ATC"
    assert by_id["n9"]["data"]["trigger_filter"]["condition_groups"][0]["conditions"] == [
        {"type": "metric-property", "metric_id": "ATC", "field": "price",
         "filter": {"type": "numeric", "operator": "greater-than-or-equal", "value": 100}}]
    assert by_id["n9"]["links"] == {"next_if_true": "n10", "next_if_false": "n11"}
    # A send that ends its branch has no next link at all.
    assert "links" not in by_id["n10"] and "links" not in by_id["n11"]
    assert out.node_of_pointer("/data/attributes/definition/actions/2/data/message/template_id") == "n5"
    gaps = {(g.severity, g.node, g.path) for g in out.report.gaps}
    assert ("error", None, "settings.quiet_hours") in gaps
    assert ("warning", "n1", "config.key") in gaps


def _flow(settings: Settings | None = None, *nodes: Node, edges=()) -> Flow:
    flow = Flow("t", "Test", settings or Settings(quiet_hours=None))
    flow.load_parts([Node("n1", "trigger", config={"event": "signup"}), *nodes],
                    [Edge(a, b, p) for a, b, p in edges])
    return flow


def test_exit_condition_and_consent_become_the_profile_filter():
    settings = Settings(quiet_hours=None, exit_when={"any": [{"event": "purchase"},
                                                             {"property": "vip", "op": "=", "value": True}]})
    flow = _flow(settings, Node("n2", "send_email", config={"template": "t", "subject": "Hi"}),
                 edges=[("n1", "n2", "next")])
    out = compile_flow(flow)
    groups = out.definition["profile_filter"]["condition_groups"]
    # not (A or B) = not A and not B: two groups of one condition each, then consent.
    assert [len(g["conditions"]) for g in groups] == [1, 1, 1]
    assert groups[0]["conditions"][0]["measurement_filter"]["operator"] == "less-than"
    assert groups[1]["conditions"][0] == {"type": "profile-property", "property": "vip",
                                          "filter": {"type": "boolean", "operator": "equals", "value": False}}
    assert groups[2]["conditions"][0]["type"] == "profile-marketing-consent"
    assert errors(SCHEMA, out.body) == []


def test_what_klaviyo_cannot_express_is_reported_on_its_node():
    flow = _flow(None,
                 Node("n2", "split", config={"condition": {"property": "days_since_last_order", "op": ">",
                                                           "value": 30}}),
                 Node("n3", "send_email", config={"template": "t", "subject": "{% if vip %}VIP{% endif %}"}),
                 Node("n4", "webhook", config={"url": "https://example.org/h", "method": "GET"}),
                 edges=[("n1", "n2", "next"), ("n2", "n3", "yes"), ("n2", "n4", "no")])
    report = compile_flow(flow).report
    by_node: dict[str, str] = {}
    for g in report.errors:
        by_node[g.node] = by_node.get(g.node, "") + g.reason
    assert set(by_node) == {"n2", "n3", "n4"}
    assert "days_since_last_order" in by_node["n2"]
    assert "{% if vip %}" in by_node["n3"] and "{% endif %}" in by_node["n3"]
    assert "GET" in by_node["n4"]


def test_wait_for_is_a_delay_then_a_check_since_flow_start():
    flow = _flow(None, Node("n2", "wait_for", config={"event": "purchase", "timeout": "P2D"}),
                 Node("n3", "send_email", config={"template": "t", "subject": "Thanks"}),
                 Node("n4", "send_email", config={"template": "u", "subject": "Still there?"}),
                 edges=[("n1", "n2", "next"), ("n2", "n3", "event"), ("n2", "n4", "timeout")])
    d = compile_flow(flow).definition
    wait, check = d["actions"][:2]
    assert d["entry_action_id"] == wait["temporary_id"]
    assert wait["data"]["unit"] == "days" and wait["data"]["value"] == 2
    assert wait["links"] == {"next": check["temporary_id"]}
    assert check["links"] == {"next_if_true": "n3", "next_if_false": "n4"}


def test_three_way_ab_split_is_a_chain_of_samples():
    variants = [{"name": "A", "percent": 50}, {"name": "B", "percent": 25}, {"name": "C", "percent": 25}]
    flow = _flow(None, Node("n2", "ab_split", config={"variants": variants}),
                 *(Node(f"n{i}", "send_email", config={"template": "t", "subject": v["name"]})
                   for i, v in zip((3, 4, 5), variants)),
                 edges=[("n1", "n2", "next"), ("n2", "n3", "A"), ("n2", "n4", "B"), ("n2", "n5", "C")])
    d = compile_flow(flow).definition
    first, second = d["actions"][:2]
    pct = [a["data"]["profile_filter"]["condition_groups"][0]["conditions"][0]["percentage"] for a in (first, second)]
    assert pct == [50, 50]  # 50% of all, then half of the remaining 50%
    assert first["links"] == {"next_if_true": "n3", "next_if_false": second["temporary_id"]}
    assert second["links"] == {"next_if_true": "n4", "next_if_false": "n5"}


def test_event_names_map_through_the_editable_metric_names():
    names = MetricNames()
    names.names["signup"] = "Joined Newsletter"
    refs = Refs()
    flow = _flow(None, Node("n2", "send_email", config={"template": "t", "subject": "Hi"}),
                 edges=[("n1", "n2", "next")])
    compile_flow(flow, refs, names)
    assert refs.wanted["metric"] == {"Joined Newsletter"}
    assert MetricNames().metric("purchase") == "Placed Order"
    assert MetricNames().metric("remove_from_cart") == "remove_from_cart"


def test_update_profile_sets_properties_then_updates_the_list():
    flow = _flow(None, Node("n2", "update_profile", config={"set": {"winback_sent": True, "tier": "gold"},
                                                            "unset": ["old"], "add_to_list": "Contacted"}),
                 edges=[("n1", "n2", "next")])
    out = compile_flow(flow, Refs(lists={"Contacted": "L9"}))
    upd, lst = out.definition["actions"]
    assert [o["operator"] for o in upd["data"]["profile_operations"]] == ["update", "update", "delete"]
    assert upd["links"] == {"next": lst["temporary_id"]}
    assert lst["data"] == {"name": "Contacted", "on_execution": True, "list_id": "L9", "status": "draft"}
    assert errors(SCHEMA, out.body) == []
