"""The document: every edit is one undo step, refusals name their reason, paste renames."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.model import io
from designer.model.flow import Edge
from designer.model.settings import Settings
from designer.ui.document import Document

FLOWS = Path(__file__).resolve().parents[2] / "flows"


@pytest.fixture
def doc(qapp):
    return Document(io.load(FLOWS / "abandoned_cart.json"))


def test_new_document_starts_with_a_trigger(qapp):
    doc = Document()
    assert [n.kind for n in doc.flow.nodes.values()] == ["trigger"]
    assert not doc.is_modified()


def test_add_node_is_one_step_and_undoes(doc):
    before = io.dumps(doc.flow)
    node_id = doc.add_node("delay", 10, 20)
    node = doc.flow.nodes[node_id]
    assert (node.kind, node.x, node.y, node.config) == ("delay", 10, 20, {"duration": "PT1H"})
    assert doc.is_modified() and doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert io.dumps(doc.flow) == before
    assert not doc.is_modified()
    doc.undo_stack.redo()
    assert doc.flow.nodes[node_id].kind == "delay"


def test_unknown_kind_is_refused(doc):
    with pytest.raises(ValueError, match="unknown node kind"):
        doc.add_node("teleport", 0, 0)


def test_remove_and_undo_restore_the_same_bytes(doc):
    before = io.dumps(doc.flow)
    doc.remove_nodes(["n3", "n6"])
    assert "n3" not in doc.flow.nodes and "n6" not in doc.flow.nodes
    assert all("n3" not in (e.source, e.target) for e in doc.flow.edges)
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert io.dumps(doc.flow) == before
    doc.undo_stack.redo()
    assert "n3" not in doc.flow.nodes


@pytest.mark.parametrize("source, port, target, reason", [
    ("n2", "next", "n2", "itself"),
    ("n11", "next", "n2", "loop"),
    ("n4", "next", "n1", "trigger"),
    ("n3", "yes", "n5", "already leads to n4"),
    ("n3", "maybe", "n10", "no port 'maybe'"),
    ("n4", "next", "n10", "no outputs"),
    ("n2", "next", "n99", "no node"),
])
def test_each_invalid_connection_is_refused_with_its_reason(doc, source, port, target, reason):
    edges = list(doc.flow.edges)
    assert reason in (doc.can_connect(source, port, target) or "")
    assert reason in (doc.connect(source, port, target) or "")
    assert doc.flow.edges == edges and doc.undo_stack.count() == 0


def test_connect_and_disconnect(doc):
    doc.remove_nodes(["n4"])
    assert doc.connect("n3", "yes", "n11") is None
    assert doc.flow.successor("n3", "yes") == "n11"
    edge = Edge("n3", "n11", "yes")
    doc.disconnect(edge)
    assert doc.flow.successor("n3", "yes") is None
    doc.undo_stack.undo()
    assert doc.flow.successor("n3", "yes") == "n11"


def test_consecutive_moves_of_the_same_nodes_merge(doc):
    x, y = doc.flow.nodes["n2"].x, doc.flow.nodes["n2"].y
    doc.move_nodes({"n2": (x + 10, y)})
    doc.move_nodes({"n2": (x + 20, y)})
    doc.move_nodes({"n2": (x + 30, y + 10)})
    assert doc.undo_stack.count() == 1
    doc.move_nodes({"n3": (0, 0)})
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert (doc.flow.nodes["n2"].x, doc.flow.nodes["n2"].y) == (x, y)


def test_unmergeable_moves_stay_separate(doc):
    doc.move_nodes({"n2": (1, 1)}, mergeable=False)
    doc.move_nodes({"n2": (2, 2)}, mergeable=False)
    assert doc.undo_stack.count() == 2


def test_typing_merges_by_key_and_node(doc):
    for text in ("P", "PT", "PT2", "PT2H"):
        doc.set_config("n2", {"duration": text}, merge_key="duration")
    assert doc.undo_stack.count() == 1
    doc.set_config("n6", {"duration": "P2D"}, merge_key="duration")  # another node: new step
    doc.set_config("n6", {"duration": "P3D"}, merge_key=None)        # no key: new step
    assert doc.undo_stack.count() == 3
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.flow.nodes["n2"].config == {"duration": "PT1H"}
    assert doc.flow.nodes["n6"].config == {"duration": "P1D"}


def test_settings_and_name_are_undoable(doc):
    doc.set_name("Cart", "name")
    doc.set_name("Cart rescue", "name")
    doc.set_settings(doc.flow.settings.replace(smart_sending=None), "smart")
    assert doc.undo_stack.count() == 2
    assert doc.flow.name == "Cart rescue" and doc.flow.settings.smart_sending is None
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.flow.name == "Abandoned cart, 1 hour"
    assert doc.flow.settings.smart_sending == "PT16H"
    assert isinstance(doc.flow.settings, Settings)


def test_copy_paste_keeps_internal_edges_with_new_ids(doc):
    snapshot = doc.copy(["n9", "n10", "n11", "n7"])
    new = doc.paste(snapshot, (500, 0))
    assert len(new) == 4 and not set(new) & {"n7", "n9", "n10", "n11"}
    assert len(set(new)) == 4
    mapping = dict(zip(["n7", "n9", "n10", "n11"], new))
    edges = {(e.source, e.port, e.target) for e in doc.flow.edges if e.source in new}
    # n7 -> n9 (no), n9 -> n10 (yes), n9 -> n11 (no) are inside; n7 -> n8 (yes) is not.
    assert edges == {(mapping["n7"], "no", mapping["n9"]), (mapping["n9"], "yes", mapping["n10"]),
                     (mapping["n9"], "no", mapping["n11"])}
    assert doc.flow.nodes[mapping["n10"]].x == doc.flow.nodes["n10"].x + 500
    assert doc.flow.nodes[mapping["n10"]].config == doc.flow.nodes["n10"].config
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert not set(new) & set(doc.flow.nodes)


def test_paste_ignores_garbage(doc):
    assert doc.paste({"nodes": [{"id": "x", "kind": "nope"}]}) == []
    assert doc.paste({}) == []
    assert doc.paste({"nodes": [{"id": "x", "kind": "delay", "x": "left"}]}) == []
    assert doc.paste({"nodes": "all of them"}) == []
    assert doc.paste(["not", "a", "snapshot"]) == []
    assert doc.undo_stack.count() == 0


def test_paste_resolves_default_ports(doc):
    snapshot = {"nodes": [{"id": "a", "kind": "delay", "config": {"duration": "PT1H"}},
                          {"id": "b", "kind": "exit"}],
                "edges": [{"from": "a", "to": "b"}, {"from": "a", "to": "elsewhere"}]}
    first, second = doc.paste(snapshot, (0, 0))
    assert doc.flow.edges_from(first) == [Edge(first, second, "next")]


def test_remove_selection_of_nodes_and_edges_is_one_step(doc):
    doc.remove(["n11"], [Edge("n1", "n2"), Edge("n9", "n11", "no")])
    assert doc.undo_stack.count() == 1
    assert doc.flow.successor("n1", "next") is None and "n11" not in doc.flow.nodes
    doc.undo_stack.undo()
    assert doc.flow.successor("n1", "next") == "n2" and "n11" in doc.flow.nodes


def test_validation_is_debounced(doc, qtbot):
    doc.validate_now()
    with qtbot.waitSignal(doc.problemsChanged, timeout=3000) as blocker:
        doc.connect("n11", "next", "n4")
        for i in range(5):  # edits in quick succession re-arm the timer
            doc.move_nodes({"n4": (i, 0)})
    assert blocker.args[0] == doc.problems()
    assert not [p for p in doc.problems() if p.node == "n4" and p.code == "unreachable"]


def test_problems_reflect_the_latest_edit_immediately(doc):
    assert doc.problems() == []
    doc.remove_nodes(["n4"])  # the split's "yes" branch now drops people
    assert ("open-port", "n3") in {(p.code, p.node) for p in doc.problems()}


def test_save_marks_clean_and_load_replaces(doc, tmp_path):
    doc.set_name("Saved")
    target = tmp_path / "flow.json"
    doc.save(str(target))
    assert not doc.is_modified() and doc.path == str(target)
    other = Document()
    other.load(str(target))
    assert other.flow.name == "Saved" and set(other.flow.nodes) == set(doc.flow.nodes)
    assert other.undo_stack.count() == 0
