from designer.model import conditions, durations
from designer.model.flow import Change, Edge, Flow, Node
from designer.model.kinds import KINDS, summary

import pytest


def test_listeners_hear_every_edit_in_order():
    flow = Flow()
    heard: list[Change] = []
    flow.subscribe(heard.append)
    flow.add_node(Node("n1", "trigger", 0, 0, {"event": "signup"}))
    flow.add_node(Node("n2", "exit"))
    flow.add_edge(Edge("n1", "n2"))
    flow.move_node("n2", 10, 20)
    flow.set_config("n1", {"event": "view"})
    flow.set_name("Renamed")
    flow.remove_node("n2")
    assert [c.what for c in heard] == ["node_added", "node_added", "edge_added", "node_moved", "node_config",
                                       "name", "edge_removed", "node_removed"]
    flow.unsubscribe(heard.append)
    flow.set_name("Quiet")
    assert len(heard) == 8


def test_remove_node_returns_what_undo_needs_and_adjacency_follows():
    flow = Flow()
    for i in (1, 2, 3):
        flow.add_node(Node(f"n{i}", "delay", 0, 0, {"duration": "PT1H"}))
    flow.add_edge(Edge("n1", "n2"))
    flow.add_edge(Edge("n2", "n3"))
    node, edges = flow.remove_node("n2")
    assert node.id == "n2" and set(edges) == {Edge("n1", "n2"), Edge("n2", "n3")}
    assert flow.edges_from("n1") == [] and flow.edges_to("n3") == [] and flow.successor("n1", "next") is None


def test_new_ids_never_reuse_a_taken_id():
    flow = Flow()
    flow.add_node(Node("n5", "exit"))
    assert flow.new_id() == "n6"
    with pytest.raises(ValueError):
        flow.add_node(Node("n5", "exit"))


def test_config_is_copied_so_callers_cannot_alias_the_model():
    flow = Flow()
    flow.add_node(Node("n1", "trigger"))
    cfg = {"event": "view", "where": {"property": "price", "op": ">", "value": 1}}
    flow.set_config("n1", cfg)
    cfg["where"]["value"] = 99
    assert flow.nodes["n1"].config["where"]["value"] == 1


def test_subgraph_json_keeps_only_internal_edges():
    flow = Flow()
    for i in (1, 2, 3):
        flow.add_node(Node(f"n{i}", "delay", 0, 0, {"duration": "PT1H"}))
    flow.add_edge(Edge("n1", "n2"))
    flow.add_edge(Edge("n2", "n3"))
    snap = flow.subgraph_json(["n2", "n3"])
    assert [n["id"] for n in snap["nodes"]] == ["n2", "n3"] and snap["edges"] == [{"from": "n2", "to": "n3"}]


@pytest.mark.parametrize("text,seconds", [("PT1H", 3600), ("P2D", 172800), ("P1W", 604800),
                                          ("P1DT12H", 129600), ("PT90M", 5400), ("pt30s", 30)])
def test_durations_parse(text, seconds):
    assert durations.parse_seconds(text) == seconds
    assert durations.parse_seconds(durations.to_iso(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "P", "PT", "1h", "P1M", "P1Y", None, 5, "PT-1H"])
def test_durations_refuse(text):
    with pytest.raises(durations.DurationError):
        durations.parse_seconds(text)


def test_humanize():
    assert durations.humanize("PT1H") == "1 h" and durations.humanize("P1DT12H") == "1 d 12 h"


def test_condition_description_and_event_tests():
    cond = {"all": [{"event": "purchase"}, {"not": {"property": "tier", "op": "=", "value": "gold"}},
                    {"event": "view", "since": "PT48H", "count": {">=": 3}}]}
    assert conditions.describe(cond) == "purchase since entry and not tier = gold and view >= 3x in last 2 d"
    assert [t["event"] for t in conditions.event_tests(cond)] == ["purchase", "view"]
    assert conditions.check(cond, "c") == []


def test_every_kind_has_palette_text_and_a_summary():
    for spec in KINDS.values():
        assert spec.label and spec.description and spec.color.startswith("#")
        assert isinstance(summary(spec.name, spec.default_config()), str)
    assert summary("delay", {"duration": "PT1H"}) == "wait 1 h"
    assert summary("split", {"condition": {"event": "purchase", "since": "flow_start"}}) == "purchase since entry?"


def _ab_flow():
    flow = Flow()
    flow.add_node(Node("n1", "ab_split", 0, 0, {"variants": [{"name": "A", "percent": 50},
                                                           {"name": "B", "percent": 50}]}))
    flow.add_node(Node("n2", "exit"))
    flow.add_node(Node("n3", "exit"))
    flow.add_edge(Edge("n1", "n2", "A"))
    flow.add_edge(Edge("n1", "n3", "B"))
    return flow


def test_renaming_a_variant_carries_its_edge_and_renaming_back_restores_it():
    flow = _ab_flow()
    before = list(flow.edges)
    flow.set_config("n1", {"variants": [{"name": "Control", "percent": 50}, {"name": "B", "percent": 50}]})
    assert flow.edges == [Edge("n1", "n2", "Control"), Edge("n1", "n3", "B")]
    assert flow.successor("n1", "Control") == "n2" and flow.successor("n1", "A") is None
    flow.set_config("n1", {"variants": [{"name": "A", "percent": 50}, {"name": "B", "percent": 50}]})
    assert flow.edges == before


def test_swapping_variant_names_swaps_edges_and_adding_a_variant_moves_nothing():
    flow = _ab_flow()
    flow.set_config("n1", {"variants": [{"name": "B", "percent": 50}, {"name": "A", "percent": 50}]})
    assert flow.successor("n1", "B") == "n2" and flow.successor("n1", "A") == "n3"
    flow.set_config("n1", {"variants": [{"name": "B", "percent": 40}, {"name": "A", "percent": 40},
                                        {"name": "C", "percent": 20}]})
    assert flow.successor("n1", "B") == "n2" and flow.successor("n1", "C") is None
