"""Each validation rule: one flow that makes it fire, one that keeps it quiet."""

import pytest

from designer.model.flow import Edge, Node
from designer.model.settings import Reentry, Settings
from designer.model.validate import ERROR, WARNING, has_errors, validate

from .helpers import EMAIL, TRIGGER, chain


def codes(flow):
    return {(p.code, p.node) for p in validate(flow)}


def only_codes(flow):
    return {p.code for p in validate(flow)}


def test_clean_chain_has_no_problems():
    assert validate(chain(TRIGGER, ("delay", {"duration": "PT1H"}), EMAIL)) == []


def test_no_trigger_and_quiet():
    flow = chain(("delay", {"duration": "PT1H"}), EMAIL)
    assert "no-trigger" in only_codes(flow)
    assert "no-trigger" not in only_codes(chain(TRIGGER, EMAIL))


def test_second_trigger_is_named():
    flow = chain(TRIGGER, EMAIL)
    flow.add_node(Node("n9", "trigger", 0, 0, {"event": "view"}))
    assert ("multiple-triggers", "n9") in codes(flow)


def test_cycle_names_the_loop():
    flow = chain(TRIGGER, ("delay", {"duration": "PT1H"}), EMAIL)
    flow.add_edge(Edge("n3", "n2"))
    problems = [p for p in validate(flow) if p.code == "cycle"]
    assert len(problems) == 1 and problems[0].severity == ERROR
    assert problems[0].node in {"n2", "n3"} and "n2" in problems[0].message and "n3" in problems[0].message


def test_self_loop_is_a_cycle():
    flow = chain(TRIGGER, ("delay", {"duration": "PT1H"}))
    flow.add_edge(Edge("n2", "n2"))
    assert ("cycle", "n2") in codes(flow)


def test_unreachable_node():
    flow = chain(TRIGGER, EMAIL)
    flow.add_node(Node("n7", "send_sms", 0, 0, {"body": "hi"}))
    assert ("unreachable", "n7") in codes(flow)
    flow.add_edge(Edge("n2", "n7"))
    assert "unreachable" not in only_codes(flow)


def test_edge_from_port_the_kind_lacks():
    flow = chain(TRIGGER, ("delay", {"duration": "PT1H"}), EMAIL)
    flow.remove_edge(Edge("n2", "n3"))
    flow.add_edge(Edge("n2", "n3", "yes"))
    problems = [p for p in validate(flow) if p.code == "unknown-port"]
    assert problems and problems[0].node == "n2" and "'yes'" in problems[0].message


def test_two_edges_from_one_port():
    flow = chain(TRIGGER, EMAIL)
    flow.add_node(Node("n3", "send_sms", 0, 0, {"body": "hi"}))
    flow.add_edge(Edge("n1", "n3"))
    assert ("duplicate-port", "n1") in codes(flow)


def test_dangling_edge():
    flow = chain(TRIGGER, EMAIL)
    flow.add_edge(Edge("n2", "ghost"))
    problems = [p for p in validate(flow) if p.code == "dangling-edge"]
    assert problems and "ghost" in problems[0].message and problems[0].node == "n2"


def test_edge_into_trigger():
    flow = chain(TRIGGER, EMAIL)
    flow.add_edge(Edge("n2", "n1"))
    assert "edge-into-trigger" in only_codes(flow)


@pytest.mark.parametrize("kind,config,path", [
    ("delay", {"duration": "1 hour"}, "duration"),
    ("delay", {"until": {"time": "25:00"}}, "until.time"),
    ("delay", {"until": {"weekdays": ["someday"]}}, "until.weekdays[0]"),
    ("split", {"condition": {"property": "tier", "op": "~=", "value": 1}}, "condition.op"),
    ("split", {"condition": {"event": "purchase", "since": "yesterday"}}, "condition.since"),
    ("split", {"condition": {"all": []}}, "condition.all"),
    ("wait_for", {"event": "purchase", "timeout": "P1M"}, "timeout"),
    ("ab_split", {"variants": [{"name": "A", "percent": 60}, {"name": "B", "percent": 30}]}, "variants"),
    ("send_email", {"template": "t"}, "subject"),
    ("webhook", {"url": "ftp://x"}, "url"),
    ("teleport", {}, "kind"),
])
def test_config_that_does_not_parse(kind, config, path):
    flow = chain(TRIGGER, (kind, config))
    bad = [p for p in validate(flow) if p.code == "bad-config"]
    # Paths are the file's JSON paths: n2 is nodes[1].
    want = "nodes[1].kind" if path == "kind" else f"nodes[1].config.{path}"
    assert bad and bad[0].node == "n2" and bad[0].path == want and bad[0].severity == ERROR


def test_open_split_port_is_an_error_unless_marked_as_an_end():
    flow = chain(TRIGGER, ("split", {"condition": {"event": "purchase"}}), EMAIL)
    flow.remove_edge(Edge("n2", "n3"))
    flow.add_edge(Edge("n2", "n3", "no"))
    problems = [p for p in validate(flow) if p.code == "open-port"]
    assert len(problems) == 1 and problems[0].node == "n2" and "'yes'" in problems[0].message
    flow.set_config("n2", {**flow.nodes["n2"].config, "end_ports": ["yes"]})
    assert "open-port" not in only_codes(flow)
    assert not has_errors(validate(flow))


def test_end_ports_must_name_real_ports():
    flow = chain(TRIGGER, ("wait_for", {"event": "purchase", "timeout": "P1D", "end_ports": ["maybe"]}))
    assert any(p.path == "nodes[1].config.end_ports" for p in validate(flow))


def test_shopping_flow_without_purchase_check_warns():
    flow = chain(("trigger", {"event": "add_to_cart"}), ("delay", {"duration": "PT1H"}), EMAIL)
    problems = [p for p in validate(flow) if p.code == "no-purchase-exit"]
    assert problems and problems[0].severity == WARNING and problems[0].node == "n1"
    flow.set_settings(flow.settings.replace(exit_when={"event": "purchase"}))
    assert "no-purchase-exit" not in only_codes(flow)


def test_wait_for_purchase_counts_as_a_purchase_check():
    flow = chain(("trigger", {"event": "view"}), ("wait_for", {"event": "purchase", "timeout": "P1D",
                                                              "end_ports": ["event"]}))
    flow.add_node(Node("n3", "send_email", 0, 0, {"template": "t", "subject": "s"}))
    flow.remove_edge(Edge("n1", "n2"))
    flow.add_edge(Edge("n1", "n2"))
    flow.add_edge(Edge("n2", "n3", "timeout"))
    assert "no-purchase-exit" not in only_codes(flow)


def test_reentry_always_warns():
    flow = chain(TRIGGER, EMAIL, settings=Settings(reentry=Reentry("always", None)))
    assert "reentry-no-cooldown" in only_codes(flow)
    assert "reentry-no-cooldown" not in only_codes(chain(TRIGGER, EMAIL))


def test_trailing_delay():
    assert ("trailing-delay", "n3") in codes(chain(TRIGGER, EMAIL, ("delay", {"duration": "P1D"})))
    assert ("trailing-delay", "n3") in codes(chain(TRIGGER, EMAIL, ("delay", {"duration": "P1D"}), ("exit", {})))
    assert "trailing-delay" not in only_codes(chain(TRIGGER, ("delay", {"duration": "P1D"}), EMAIL))


def test_marketing_send_without_consent_property():
    flow = chain(TRIGGER, EMAIL, settings=Settings(consent=None))
    assert "no-consent" in only_codes(flow)
    assert "no-consent" not in only_codes(chain(TRIGGER, ("webhook", {"url": "https://x.test/h"}),
                                                settings=Settings(consent=None)))


def test_short_first_delay():
    flow = chain(TRIGGER, ("delay", {"duration": "PT2M"}), EMAIL, ("delay", {"duration": "PT1M"}), EMAIL)
    problems = [p for p in validate(flow) if p.code == "short-first-delay"]
    assert [p.node for p in problems] == ["n2"]
    assert "short-first-delay" not in only_codes(chain(TRIGGER, ("delay", {"duration": "PT5M"}), EMAIL))


def test_errors_sort_before_warnings():
    flow = chain(TRIGGER, ("delay", {"duration": "bad"}), settings=Settings(reentry=Reentry("always", None)))
    severities = [p.severity for p in validate(flow)]
    assert severities == sorted(severities, key=lambda s: s != ERROR) and ERROR in severities
