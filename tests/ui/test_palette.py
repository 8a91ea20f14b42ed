"""The node palette: lists every kind, filters by search, drags and activates kinds."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QMimeData, Qt

from designer.model.kinds import KINDS
from designer.ui.palette import MIME_TYPE, Palette, kind_from_mime


@pytest.fixture(autouse=True)
def _delete_closed_widgets():
    """Free the widgets each test let go (deleteLater needs an event loop the tests do not
    run), so they do not pile up and slow later tests that re-style every widget."""
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def palette(qtbot):
    widget = Palette()
    qtbot.addWidget(widget)
    widget.resize(260, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_lists_every_kind_with_icon_label_and_description(palette):
    assert palette.visible_kinds() == list(KINDS)
    for row, spec in enumerate(KINDS.values()):
        index = palette.proxy.index(row, 0)
        assert index.data(Qt.ItemDataRole.DisplayRole) == spec.label
        assert spec.description in index.data(Qt.ItemDataRole.ToolTipRole)
        assert not index.data(Qt.ItemDataRole.DecorationRole).isNull()


@pytest.mark.parametrize("text, expected", [
    ("email", ["send_email"]),             # label
    ("ab_split", ["ab_split"]),            # kind name
    ("SMS", ["send_sms"]),                 # case-insensitive
    ("timeout", ["wait_for"]),             # description
    ("time of day", ["delay"]),
    ("zzz", []),
])
def test_search_filters_by_label_name_and_description(qtbot, palette, text, expected):
    qtbot.keyClicks(palette.search, text)
    assert palette.visible_kinds() == expected
    palette.search.clear()
    assert palette.visible_kinds() == list(KINDS)


def test_mime_data_carries_the_kind(palette):
    data = Palette.mime_data("delay")
    assert bytes(data.data(MIME_TYPE).data()) == b"delay"
    assert kind_from_mime(data) == "delay"
    assert kind_from_mime(QMimeData()) is None
    # A drag from the list builds the same data as Palette.mime_data.
    dragged = palette.model.mimeData([palette.model.index(list(KINDS).index("send_sms"), 0)])
    assert dragged.formats() == [MIME_TYPE] and kind_from_mime(dragged) == "send_sms"
    assert palette.view.dragEnabled()


def test_double_click_emits_kind_activated(qtbot, palette):
    rect = palette.view.visualRect(palette.index_of("split"))
    with qtbot.waitSignal(palette.kindActivated, timeout=1000) as signal:
        # A real double-click: press and release, then the double-click event.
        qtbot.mouseClick(palette.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(palette.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert signal.args == ["split"]


def test_enter_activates_the_current_or_first_match(qtbot, palette):
    got: list[str] = []
    palette.kindActivated.connect(got.append)
    qtbot.keyClicks(palette.search, "webh")
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    palette.search.clear()
    palette.view.setCurrentIndex(palette.index_of("exit"))
    qtbot.keyClick(palette.view, Qt.Key.Key_Enter)
    qtbot.keyClicks(palette.search, "nothing matches this")
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    assert got == ["webhook", "exit"]


def test_down_from_search_moves_into_the_list(qtbot, palette):
    qtbot.keyClicks(palette.search, "split")
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)
    assert palette.view.currentIndex().data(Qt.ItemDataRole.UserRole + 1) in ("split", "ab_split")
