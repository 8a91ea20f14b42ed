"""A marketer's first flow, end to end, with real widgets and real mouse events:
drop three kinds from the palette, link them port to port, edit a delay in the
inspector, undo and redo, save, reopen, and find the same flow."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from designer.model import io
from designer.model.flow import Flow, Node
from designer.ui import mainwindow
from editor_driver import card_point, close_window, drag, make_window, port_point


def drop_from_palette(window, kind: str, scene_point: QPointF) -> str:
    """Drag-and-drop of a palette row, delivered as real drag events with the palette's own data."""
    palette = window.palette_panel
    mime = palette.model.mimeData([palette.proxy.mapToSource(palette.index_of(kind))])
    viewport = window.view.viewport()
    pos = window.view.mapFromScene(scene_point)
    before = set(window.document.flow.nodes)
    for event in (QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                  Qt.KeyboardModifier.NoModifier),
                  QDragMoveEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                 Qt.KeyboardModifier.NoModifier),
                  QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier)):
        QApplication.sendEvent(viewport, event)
        assert event.isAccepted()
    (new,) = set(window.document.flow.nodes) - before
    return new


def test_draw_edit_undo_save_reopen(qtbot, tmp_path, monkeypatch):
    start = Flow("cart", "My cart flow")
    start.add_node(Node("n1", "trigger", 0, 0, {"event": "add_to_cart"}))
    w = make_window(qtbot, start)
    doc = w.document
    w.view.set_zoom(0.8)
    w.view.centerOn(250, 260)

    # 1. Three kinds from the palette onto the canvas.
    delay = drop_from_palette(w, "delay", QPointF(110, 200))
    split = drop_from_palette(w, "split", QPointF(110, 360))
    email = drop_from_palette(w, "send_email", QPointF(380, 520))
    kinds = {nid: n.kind for nid, n in doc.flow.nodes.items()}
    assert kinds == {"n1": "trigger", delay: "delay", split: "split", email: "send_email"}
    assert doc.undo_stack.count() == 3

    # 2. Port to card, three times, with the mouse.
    viewport = w.view.viewport()
    drag(qtbot, viewport, port_point(w, "n1", "next"), card_point(w, delay))
    drag(qtbot, viewport, port_point(w, delay, "next"), card_point(w, split))
    drag(qtbot, viewport, port_point(w, split, "yes"), card_point(w, email))
    assert [(e.source, e.port, e.target) for e in doc.flow.edges] == [
        ("n1", "next", delay), (delay, "next", split), (split, "yes", email)]
    assert doc.undo_stack.count() == 6

    # 3. Select the delay and type a new wait into the inspector: one undo step.
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=card_point(w, delay))
    assert w.inspector.node_id() == delay
    number = w.inspector.form.editors["duration"].duration.number
    number.setFocus()
    number.selectAll()
    qtbot.keyClicks(number, "45")
    assert doc.flow.nodes[delay].config == {"duration": "P1DT21H"}
    assert w.scene.nodes[delay].summary == "wait 1 d 21 h"
    assert doc.undo_stack.count() == 7

    # 4. Undo and redo through the menu actions.
    w.act_undo.trigger()
    assert doc.flow.nodes[delay].config == {"duration": "PT1H"}
    assert number.text() == "1"
    w.act_undo.trigger()
    assert doc.flow.successor(split, "yes") is None
    w.act_redo.trigger()
    w.act_redo.trigger()
    assert doc.flow.nodes[delay].config == {"duration": "P1DT21H"}
    assert doc.flow.successor(split, "yes") == email

    # 5. Save (the flow has no file yet, so Save asks where).
    target = tmp_path / "my_cart.json"
    monkeypatch.setattr(mainwindow.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "")))
    w.act_save.trigger()
    assert target.is_file() and not w.isWindowModified()
    saved = io.dumps(doc.flow)
    close_window(w)

    # 6. Reopen in a fresh window: the same flow, to the byte.
    again = make_window(qtbot)
    try:
        assert again.open_path(str(target), ask_to_save=False)
        assert io.dumps(again.document.flow) == saved
        assert again.document.flow.nodes[delay].config == {"duration": "P1DT21H"}
        assert [(e.source, e.port, e.target) for e in again.document.flow.edges] == [
            ("n1", "next", delay), (delay, "next", split), (split, "yes", email)]
        assert set(again.scene.nodes) == {"n1", delay, split, email}
        # The open "no" branch is reported on the split's card and in the dock.
        again.document.validate_now()
        assert again.scene.badge_of(split).severity == "error"
        assert any(node == split and "'no'" in msg for _s, node, msg in again.problems_panel.rows())
    finally:
        close_window(again)

