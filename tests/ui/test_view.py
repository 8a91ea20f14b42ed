"""The view: zoom around the cursor, pan, fit, palette drops, Tab quick-add, minimap."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QByteArray, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFontInfo, QWheelEvent
from PySide6.QtWidgets import QApplication

from designer.model.layout import CARD_HEIGHT, CARD_WIDTH
from designer.ui.gestures import KIND_MIME
from designer.ui.items import small_font
from editor_driver import FLOWS, close_window, drag, make_window


@pytest.fixture
def window(qtbot):
    w = make_window(qtbot)
    yield w
    close_window(w)


def wheel(widget, pos: QPoint, delta: int) -> None:
    event = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0), QPoint(0, delta),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_wheel_zooms_around_the_cursor(window):
    view = window.view
    spot = QPoint(120, 90)
    under = view.mapToScene(spot)
    before = view.zoom()
    wheel(view.viewport(), spot, 240)
    assert view.zoom() > before * 1.3
    after = view.mapToScene(spot)
    assert abs(after.x() - under.x()) < 2 and abs(after.y() - under.y()) < 2
    wheel(view.viewport(), spot, -480)
    assert view.zoom() < before


def test_zoom_actions_and_limits(window):
    view = window.view
    window.act_zoom_in.trigger()
    assert view.zoom() == pytest.approx(1.25)
    window.act_zoom_out.trigger()
    window.act_zoom_out.trigger()
    assert view.zoom() == pytest.approx(0.8)
    for _ in range(40):
        window.act_zoom_in.trigger()
    assert view.zoom() == pytest.approx(view.MAX_ZOOM)
    assert window.zoom_label.text() == f"{view.MAX_ZOOM * 100:.0f} %"


def test_middle_button_pans(window, qtbot):
    view = window.view
    centre = view.viewport().rect().center()
    before = view.mapToScene(centre)
    drag(qtbot, view.viewport(), centre, centre + QPoint(100, 60), button=Qt.MouseButton.MiddleButton)
    after = view.mapToScene(centre)
    assert after.x() == pytest.approx(before.x() - 100, abs=2)
    assert after.y() == pytest.approx(before.y() - 60, abs=2)
    assert window.document.undo_stack.count() == 0  # panning is not an edit


def test_space_drag_pans_instead_of_selecting(window, qtbot):
    view = window.view
    view.setFocus()
    centre = view.viewport().rect().center()
    before = view.mapToScene(centre)
    qtbot.keyPress(view, Qt.Key.Key_Space)
    drag(qtbot, view.viewport(), centre, centre + QPoint(-80, 40))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    after = view.mapToScene(centre)
    assert after.x() == pytest.approx(before.x() + 80, abs=2)
    assert window.scene.selectedItems() == []


def test_fit_shows_every_card(window):
    view = window.view
    view.set_zoom(3.0)
    window.act_fit.trigger()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in window.scene.nodes.values():
        card = item.sceneBoundingRect()
        assert visible.contains(card), item.node_id
    assert view.zoom() <= view.FIT_MAX_ZOOM


def on_screen_text_px(view) -> float:
    """The cards' smallest text as Qt lays it out (QFontInfo), times the view's scale."""
    font = small_font(view.flow_scene.font())
    return QFontInfo(font).pixelSize() * view.zoom()


def test_an_opened_flow_is_legible_and_its_trigger_is_in_view(window):
    window.resize(1400, 860)  # the editor's own first size
    QApplication.processEvents()
    assert window.open_path(str(FLOWS / "abandoned_cart.json"), ask_to_save=False)
    view = window.view
    assert view.zoom() >= view.legible_zoom() - 1e-9
    assert on_screen_text_px(view) >= 8.9
    assert window.zoom_label.text() == f"{view.zoom() * 100:.0f} %"
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    trigger = window.scene.nodes[window.document.flow.trigger().id].sceneBoundingRect()
    assert visible.contains(trigger)
    assert trigger.top() - visible.top() < visible.height() / 4  # the flow starts at the top
    assert window.view.minimap.isVisible()  # the rest is one glance away


def test_a_flow_that_fits_legibly_is_shown_whole(window):
    window.resize(1400, 860)
    QApplication.processEvents()
    assert window.open_path(str(FLOWS / "abandoned_cart.json"), ask_to_save=False)
    small = window.document.flow
    for node_id in [n for n in small.nodes if n not in ("n1", "n2", "n3", "n4")]:
        window.document.remove_nodes([node_id])
    window.view.show_flow()
    view = window.view
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    for item in window.scene.nodes.values():
        assert visible.contains(item.sceneBoundingRect()), item.node_id
    assert view.legible_zoom() <= view.zoom() <= view.FIT_MAX_ZOOM


def palette_mime(window, kind: str) -> QMimeData:
    """What the palette itself puts on a drag of ``kind``."""
    palette = window.palette_panel
    index = palette.proxy.mapToSource(palette.index_of(kind))
    return palette.model.mimeData([index])


def send_drop(window, mime: QMimeData, pos: QPoint) -> tuple[bool, bool]:
    viewport = window.view.viewport()
    enter = QDragEnterEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, enter)
    drop = QDropEvent(QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, drop)
    return enter.isAccepted(), drop.isAccepted()


def test_dropping_a_palette_kind_adds_a_card_at_the_drop_point(window):
    pos = QPoint(200, 150)
    before = set(window.document.flow.nodes)
    accepted = send_drop(window, palette_mime(window, "wait_for"), pos)
    assert accepted == (True, True)
    (new,) = set(window.document.flow.nodes) - before
    node = window.document.flow.nodes[new]
    assert node.kind == "wait_for" and node.config == {"event": "purchase", "timeout": "P1D"}
    target = window.view.mapToScene(pos)
    assert abs(node.x + CARD_WIDTH / 2 - target.x()) <= 10 and abs(node.y + CARD_HEIGHT / 2 - target.y()) <= 10
    assert window.scene.single_selected_node() == new
    assert window.document.undo_stack.count() == 1


def test_drops_of_other_things_are_refused(window):
    mime = QMimeData()
    mime.setText("hello")
    assert send_drop(window, mime, QPoint(100, 100)) == (False, False)
    unknown = QMimeData()
    unknown.setData(KIND_MIME, QByteArray(b"teleport"))
    assert send_drop(window, unknown, QPoint(100, 100)) == (False, False)
    assert window.document.undo_stack.count() == 0


def test_palette_double_click_adds_at_the_view_centre(window):
    window.palette_panel.kindActivated.emit("send_sms")
    new = window.scene.single_selected_node()
    node = window.document.flow.nodes[new]
    centre = window.view.mapToScene(window.view.viewport().rect().center())
    assert node.kind == "send_sms"
    assert abs(node.x + CARD_WIDTH / 2 - centre.x()) <= 10


def test_tab_opens_quick_add_and_enter_adds_the_match(window, qtbot):
    view = window.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    popup = view.quick_add
    assert popup.isVisible()
    qtbot.keyClicks(popup.search, "webh")
    assert popup.visible_kinds() == ["webhook"]
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    new = window.scene.single_selected_node()
    assert window.document.flow.nodes[new].kind == "webhook"
    assert window.document.undo_stack.count() == 1


def test_quick_add_filters_by_words_and_arrows_pick(window, qtbot):
    popup = window.view.quick_add
    window.view.open_quick_add(QPoint(50, 50))
    qtbot.keyClicks(popup.search, "split")
    assert popup.visible_kinds() == ["split", "ab_split"]
    qtbot.keyClick(popup.search, Qt.Key.Key_Down)
    qtbot.keyClick(popup.search, Qt.Key.Key_Return)
    new = window.scene.single_selected_node()
    assert window.document.flow.nodes[new].kind == "ab_split"
    window.view.open_quick_add(QPoint(50, 50))
    qtbot.keyClick(popup.search, Qt.Key.Key_Escape)
    assert not popup.isVisible()


def test_minimap_click_moves_the_view(window, qtbot):
    view = window.view
    view.set_zoom(1.5)
    minimap = view.minimap
    assert minimap.isVisible()
    minimap.redraw()
    target = window.scene.nodes["n11"].sceneBoundingRect().center()
    qtbot.mouseClick(minimap, Qt.MouseButton.LeftButton, pos=minimap.to_map(target).toPoint())
    centre = view.mapToScene(view.viewport().rect().center())
    assert abs(centre.x() - target.x()) < 40 and abs(centre.y() - target.y()) < 40
    window.act_minimap.trigger()
    assert not minimap.isVisible()
