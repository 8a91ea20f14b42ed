"""The canvas with real mouse and key events: cards, links, refusals, selection, moves,
badges, clipboard, auto-layout."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication

from designer.model import io
from designer.model.flow import Edge, Flow, Node
from designer.model.layout import CARD_HEIGHT, CARD_WIDTH
from designer.ui.items import EdgeItem
from editor_driver import FLOWS, card_point, close_window, drag, make_window, port_point, show_nodes


@pytest.fixture
def window(qtbot):
    w = make_window(qtbot)
    yield w
    close_window(w)


def small_flow() -> Flow:
    """trigger n1 -> delay n2 -> split n3 (yes -> n4 email, no open), and a loose delay n5."""
    flow = Flow("t", "Test")
    flow.add_node(Node("n1", "trigger", 0, 0, {"event": "add_to_cart"}))
    flow.add_node(Node("n2", "delay", 0, 130, {"duration": "PT1H"}))
    flow.add_node(Node("n3", "split", 0, 260, {"condition": {"event": "purchase"}}))
    flow.add_node(Node("n4", "send_email", -150, 390, {"template": "t", "subject": "Hello"}))
    flow.add_node(Node("n5", "delay", 300, 390, {"duration": "PT2H"}))
    flow.add_edge(Edge("n1", "n2"))
    flow.add_edge(Edge("n2", "n3"))
    flow.add_edge(Edge("n3", "n4", "yes"))
    return flow


@pytest.fixture
def small(qtbot):
    w = make_window(qtbot, small_flow())
    show_nodes(w, "n1", "n2", "n3", "n4", "n5")
    yield w
    close_window(w)


def test_cards_and_edges_mirror_the_flow(window):
    flow = window.document.flow
    assert set(window.scene.nodes) == set(flow.nodes)
    edges = [i for i in window.scene.items() if isinstance(i, EdgeItem)]
    assert sorted((e.edge.source, e.edge.port, e.edge.target) for e in edges) == \
        sorted((e.source, e.port, e.target) for e in flow.edges)
    card = window.scene.nodes["n2"]
    assert (card.title, card.summary) == ("Delay", "wait 1 h")
    assert window.scene.nodes["n3"].ports == ("yes", "no")
    labels = {(e.edge.source, e.edge.port): e.label for e in edges}
    assert labels[("n3", "yes")] == "yes" and labels[("n1", "next")] == ""
    # An edit in the model shows on the card; an undo brings the old summary back.
    window.document.set_config("n2", {"duration": "PT3H"})
    assert card.summary == "wait 3 h"
    window.document.undo_stack.undo()
    assert card.summary == "wait 1 h"


def test_dragging_from_a_port_to_a_card_connects(small, qtbot):
    w = small
    viewport = w.view.viewport()
    drag(qtbot, viewport, port_point(w, "n3", "no"), card_point(w, "n5"))
    assert w.document.flow.successor("n3", "no") == "n5"
    assert Edge("n3", "n5", "no") in w.scene.edges
    assert w.document.undo_stack.count() == 1
    assert "Connected n3 'no' to n5" in w.statusBar().currentMessage()
    w.document.undo_stack.undo()
    assert Edge("n3", "n5", "no") not in w.scene.edges


@pytest.mark.parametrize("source, port, target, reason", [
    ("n3", "no", "n3", "itself"),
    ("n3", "no", "n2", "loop"),
    ("n3", "no", "n1", "trigger"),
    ("n3", "yes", "n5", "already leads to n4"),
])
def test_invalid_links_refuse_with_the_reason_while_dragging(small, qtbot, source, port, target, reason):
    w = small
    viewport = w.view.viewport()
    before = list(w.document.flow.edges)
    seen = {}

    def look():
        seen["state"] = w.scene.nodes[target].target_state
        seen["status"] = w.statusBar().currentMessage()
        seen["preview_refused"] = w.scene._link.preview.refused

    drag(qtbot, viewport, port_point(w, source, port), card_point(w, target), before_release=look)
    assert seen["state"] == "refused" and seen["preview_refused"]
    assert reason in seen["status"]
    assert w.document.flow.edges == before and w.document.undo_stack.count() == 0
    assert reason in w.statusBar().currentMessage()
    # Highlights are cleared after the gesture.
    assert all(item.target_state is None for item in w.scene.nodes.values())


def test_valid_targets_highlight_while_dragging(small, qtbot):
    w = small
    states = {}

    def look():
        states.update({k: v.target_state for k, v in w.scene.nodes.items()})

    drag(qtbot, w.view.viewport(), port_point(w, "n3", "no"), card_point(w, "n5"), before_release=look)
    assert states == {"n1": "refused", "n2": "refused", "n3": "refused", "n4": "ok", "n5": "ok"}


def test_click_an_edge_then_delete_key_removes_it(small, qtbot):
    w = small
    item = w.scene.edges[Edge("n2", "n3")][0]
    point = w.view.mapFromScene(item._path.pointAtPercent(0.3))
    qtbot.mouseClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert w.scene.selected_edges() == [Edge("n2", "n3")]
    w.activateWindow()
    w.view.setFocus()
    qtbot.keyClick(w.view, Qt.Key.Key_Delete)
    assert w.document.flow.successor("n2", "next") is None
    w.document.undo_stack.undo()
    assert w.document.flow.successor("n2", "next") == "n3"


def test_rubber_band_and_ctrl_click_selection(small, qtbot):
    w = small
    viewport = w.view.viewport()
    n4 = w.scene.nodes["n4"].sceneBoundingRect()
    n5 = w.scene.nodes["n5"].sceneBoundingRect()
    start = w.view.mapFromScene(QPointF(n4.left() - 20, n4.top() - 20))
    end = w.view.mapFromScene(QPointF(n5.right() + 20, n5.bottom() + 20))
    drag(qtbot, viewport, start, end)
    assert w.scene.selected_node_ids() == ["n4", "n5"]
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, card_point(w, "n2"))
    assert w.scene.selected_node_ids() == ["n2", "n4", "n5"]
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, card_point(w, "n4"))
    assert w.scene.selected_node_ids() == ["n2", "n5"]
    # One selected card is what the inspector shows.
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=card_point(w, "n5"))
    assert w.scene.single_selected_node() == "n5"
    assert w.inspector.node_id() == "n5"


def test_moving_a_card_snaps_to_the_grid_in_one_step(small, qtbot):
    w = small
    node = w.document.flow.nodes["n5"]
    x0, y0 = node.x, node.y
    zoom = w.view.zoom()
    start = card_point(w, "n5")
    drag(qtbot, w.view.viewport(), start, start + QPoint(round(57 * zoom), round(33 * zoom)), steps=6)
    assert (node.x, node.y) != (x0, y0)
    assert node.x % 10 == 0 and node.y % 10 == 0
    assert abs(node.x - (x0 + 57)) <= 10 and abs(node.y - (y0 + 33)) <= 10
    assert w.scene.nodes["n5"].pos() == QPointF(node.x, node.y)
    assert w.document.undo_stack.count() == 1
    w.document.undo_stack.undo()
    assert (node.x, node.y) == (x0, y0) and w.scene.nodes["n5"].pos() == QPointF(x0, y0)


def test_edges_follow_a_moved_card(small):
    w = small
    edge = w.scene.edges[Edge("n2", "n3")][0]
    end_before = edge._path.pointAtPercent(1.0)
    w.document.move_nodes({"n3": (200, 300)})
    end_after = edge._path.pointAtPercent(1.0)
    assert end_after.x() - end_before.x() == pytest.approx(200)


def test_arrow_keys_nudge_the_selection_as_one_merged_step(small, qtbot):
    w = small
    w.scene.select_nodes(["n5"])
    w.view.setFocus()
    x0 = w.document.flow.nodes["n5"].x
    for _ in range(3):
        qtbot.keyClick(w.view, Qt.Key.Key_Right)
    qtbot.keyClick(w.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    node = w.document.flow.nodes["n5"]
    assert node.x == x0 + 30 and node.y == 390 + 50
    assert w.document.undo_stack.count() == 1


def test_problem_badges_with_messages_as_tooltips(small):
    w = small
    w.document.validate_now()
    badge = w.scene.badge_of("n3")
    assert badge is not None and badge.severity == "error"
    assert "'no'" in badge.toolTip()
    assert w.scene.badge_of("n5") is not None  # not reachable
    assert w.scene.badge_of("n2") is None
    w.document.connect("n3", "no", "n5")
    w.document.validate_now()
    assert w.scene.badge_of("n3") is None
    # n5 is now reachable; what is left is a warning: nothing happens after the delay.
    assert w.scene.badge_of("n5").severity == "warning"
    assert "nothing happens after this delay" in w.scene.badge_of("n5").toolTip()


def test_warning_badge_is_amber(qtbot):
    flow = io.load(FLOWS / "abandoned_cart.json")
    flow.nodes["n2"].config = {"duration": "PT1M"}  # a first wait shorter than data latency
    w = make_window(qtbot, flow)
    try:
        w.document.validate_now()
        badge = w.scene.badge_of("n2")
        assert badge is not None and badge.severity == "warning" and "first wait" in badge.toolTip()
    finally:
        close_window(w)


def test_copy_paste_and_duplicate_keep_internal_edges(window):
    w = window
    flow = w.document.flow
    w.scene.select_nodes(["n9", "n10", "n11"])
    w.act_copy.trigger()
    w.act_paste.trigger()
    new = w.scene.selected_node_ids()
    assert len(new) == 3 and not set(new) & {"n9", "n10", "n11"}
    internal = [e for e in flow.edges if e.source in new]
    assert len(internal) == 2 and all(e.target in new for e in internal)
    assert not flow.edges_to(new[0])  # the edge from n7 was outside the copy
    first = flow.nodes[new[0]]
    assert (first.x, first.y) == (flow.nodes["n9"].x + 40, flow.nodes["n9"].y + 40)
    w.act_paste.trigger()  # a second paste lands further off, not on top of the first
    second = flow.nodes[w.scene.selected_node_ids()[0]]
    assert (second.x, second.y) == (flow.nodes["n9"].x + 80, flow.nodes["n9"].y + 80)
    count = len(flow.nodes)
    w.scene.select_nodes(["n2"])
    w.act_duplicate.trigger()
    assert len(flow.nodes) == count + 1
    assert flow.nodes[w.scene.single_selected_node()].config == flow.nodes["n2"].config


def test_cut_removes_and_paste_brings_back_new_copies(window):
    w = window
    flow = w.document.flow
    w.scene.select_nodes(["n10", "n11"])
    w.act_cut.trigger()
    assert "n10" not in flow.nodes and "n11" not in flow.nodes
    w.act_paste.trigger()
    kinds = sorted(flow.nodes[i].kind for i in w.scene.selected_node_ids())
    assert kinds == ["send_email", "send_email"]


def test_paste_of_foreign_text_is_ignored(window):
    QApplication.clipboard().setText("not a flow")
    count = window.document.undo_stack.count()
    window.act_paste.trigger()
    assert window.document.undo_stack.count() == count
    assert "Nothing to paste" in window.statusBar().currentMessage()


def test_auto_layout_leaves_no_overlaps_in_one_step(window):
    w = window
    doc = w.document
    doc.move_nodes({nid: (i * 15.0, i * 9.0) for i, nid in enumerate(doc.flow.nodes)}, mergeable=False)
    steps = doc.undo_stack.count()
    w.act_layout.trigger()
    assert doc.undo_stack.count() == steps + 1
    rects = {nid: QRectF(item.pos(), QPointF(item.x() + CARD_WIDTH, item.y() + CARD_HEIGHT))
             for nid, item in w.scene.nodes.items()}
    ids = list(rects)
    overlaps = [(a, b) for i, a in enumerate(ids) for b in ids[i + 1:] if rects[a].intersects(rects[b])]
    assert overlaps == []
    for e in doc.flow.edges:  # top to bottom
        assert doc.flow.nodes[e.target].y > doc.flow.nodes[e.source].y
    doc.undo_stack.undo()
    assert (doc.flow.nodes["n3"].x, doc.flow.nodes["n3"].y) == (30.0, 18.0)


def test_select_all_then_delete_is_one_step(window):
    w = window
    w.act_select_all.trigger()
    assert len(w.scene.selected_node_ids()) == 11
    w.act_delete.trigger()
    assert not w.document.flow.nodes and w.document.undo_stack.count() == 1
    w.document.undo_stack.undo()
    assert len(w.document.flow.nodes) == 11 and len(w.scene.nodes) == 11


def test_standard_shortcuts(window):
    SK = QKeySequence.StandardKey
    for action, key in ((window.act_new, SK.New), (window.act_open, SK.Open), (window.act_save, SK.Save),
                        (window.act_undo, SK.Undo), (window.act_redo, SK.Redo), (window.act_copy, SK.Copy),
                        (window.act_paste, SK.Paste), (window.act_cut, SK.Cut),
                        (window.act_select_all, SK.SelectAll), (window.act_zoom_in, SK.ZoomIn)):
        assert action.shortcut() == QKeySequence(key), action.text()

