"""Auto-layout: layers top to bottom, branches side by side, no overlapping cards."""

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from designer.model import documents, io
from designer.model.flow import Edge, Flow, Node
from designer.model.layout import CARD_HEIGHT, CARD_WIDTH, layout

FLOWS = documents.flow_files(Path(__file__).resolve().parents[2] / "flows")


def _overlaps(pos: dict[str, tuple[float, float]]) -> list[tuple[str, str]]:
    items = sorted(pos.items(), key=lambda kv: kv[1])
    out = []
    for i, (a, (ax, ay)) in enumerate(items):
        for b, (bx, by) in items[i + 1:]:
            if abs(ax - bx) < CARD_WIDTH and abs(ay - by) < CARD_HEIGHT:
                out.append((a, b))
    return out


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.stem)
def test_examples_lay_out_in_layers_without_overlap(path):
    flow = io.load(path)
    pos = layout(flow)
    assert set(pos) == set(flow.nodes)
    assert _overlaps(pos) == []
    for e in flow.edges:
        assert pos[e.target][1] > pos[e.source][1], f"{e} does not point down"


def test_trigger_keeps_its_place_and_branches_sit_side_by_side():
    flow = Flow()
    flow.add_node(Node("n1", "trigger", 500, 300, {"event": "add_to_cart"}))
    flow.add_node(Node("n2", "split", 0, 0, {"condition": {"event": "purchase"}}))
    flow.add_node(Node("n3", "exit", 0, 0))
    flow.add_node(Node("n4", "send_email", 0, 0, {"template": "t", "subject": "s"}))
    flow.add_edge(Edge("n1", "n2"))
    # The "no" edge comes first in the file: port order, not file order, decides the side.
    flow.add_edge(Edge("n2", "n4", "no"))
    flow.add_edge(Edge("n2", "n3", "yes"))
    pos = layout(flow)
    assert pos["n1"] == (500, 300)
    assert pos["n3"][1] == pos["n4"][1] > pos["n2"][1] > pos["n1"][1]
    assert pos["n3"][0] < pos["n4"][0]
    assert pos["n2"][0] == pytest.approx((pos["n3"][0] + pos["n4"][0]) / 2)


def test_a_merge_sits_below_both_branches_and_a_loop_does_not_hang():
    flow = Flow()
    for i, kind in enumerate(("trigger", "split", "delay", "delay", "delay", "send_email"), 1):
        flow.add_node(Node(f"n{i}", kind))
    flow.add_edge(Edge("n1", "n2"))
    flow.add_edge(Edge("n2", "n3", "yes"))
    flow.add_edge(Edge("n2", "n4", "no"))
    flow.add_edge(Edge("n4", "n5"))
    flow.add_edge(Edge("n3", "n6"))
    flow.add_edge(Edge("n5", "n6"))
    flow.add_edge(Edge("n6", "n2"))  # a loop back up
    pos = layout(flow)
    assert pos["n6"][1] > pos["n5"][1] > pos["n4"][1]
    assert _overlaps(pos) == []


def test_empty_flow():
    assert layout(Flow()) == {}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.sampled_from(["next", "yes", "no"])),
                max_size=60),
       st.integers(1, 31))
def test_random_graphs_never_overlap(edges, count):
    flow = Flow()
    for i in range(count):
        flow.add_node(Node(f"n{i}", "delay" if i else "trigger", i * 7.0, 0.0))
    for a, b, port in edges:
        if a < count and b < count:
            flow.add_edge(Edge(f"n{a}", f"n{b}", port))
    pos = layout(flow)
    assert set(pos) == set(flow.nodes)
    assert _overlaps(pos) == []
