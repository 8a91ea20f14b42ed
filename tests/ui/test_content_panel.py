"""The Content panel, driven as a person would: select a send, type a subject, read the preview page."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import Qt

from designer.model import io
from designer.store.sample import generate

from tests.ui.editor_driver import FLOWS, card_point, make_window, show_nodes


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("content-ui") / "shop.db"
    generate(path, customers=150, days=30, seed=5)
    return path


class PageReader:
    """Reads the preview page's HTML back from the web engine (asynchronous: a callback fills it)."""

    def __init__(self, view) -> None:
        self.view, self.html, self.pending = view, "", False
        # A navigation drops a read in flight: read again once each new page has loaded.
        view.loadStarted.connect(self._forget)
        view.loadFinished.connect(lambda _ok: self._forget())

    def _forget(self) -> None:
        self.pending = False

    def _got(self, html: str) -> None:
        self.html, self.pending = html, False

    def shows(self, text: str) -> bool:
        if text in self.html:
            return True
        self.polls = getattr(self, "polls", 0) + 1
        if not self.pending or self.polls % 50 == 0:  # a read the engine dropped is asked for again
            self.pending = True
            self.view.page().toHtml(self._got)
        return False


def flow_copy(tmp_path, name: str) -> str:
    """The example flow alone in a folder (no test file beside it, whose runs would outlive the window)."""
    target = tmp_path / name
    target.write_text((FLOWS / name).read_text(encoding="utf-8"), encoding="utf-8")
    return str(target)


def first_name_of(db, external_id: str) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT first_name FROM customers WHERE external_id = ?", (external_id,)).fetchone()[0]


def test_typing_a_subject_shows_in_the_preview_and_undo_restores_it(qtbot, shop, tmp_path):
    window = make_window(qtbot, path=flow_copy(tmp_path, "abandoned_cart.json"))
    panel = window.content_panel
    window.open_store_path(str(shop))
    qtbot.waitUntil(lambda: panel.store_facts is not None, timeout=30_000)

    show_nodes(window, "n5")
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=card_point(window, "n5"))
    assert panel.node_id == "n5" and window.content_dock.isVisible()
    customer = panel.customer.currentText()
    name = first_name_of(shop, customer)
    old = window.document.flow.nodes["n5"].config["subject"]
    assert panel.subject.text() == old

    panel.subject.setFocus()
    panel.subject.selectAll()
    qtbot.keyClicks(panel.subject, "Hello {{ first_name }}, about your cart")
    assert window.document.flow.nodes["n5"].config["subject"] == "Hello {{ first_name }}, about your cart"
    reader = PageReader(panel.preview)
    qtbot.waitUntil(lambda: reader.shows(f"Hello {name}, about your cart"), timeout=30_000)

    window.act_undo.trigger()  # the whole typed subject is one undo step
    assert panel.subject.text() == old
    assert window.document.flow.nodes["n5"].config["subject"] == old
    qtbot.waitUntil(lambda: reader.shows(f"{name}, you left something behind"), timeout=30_000)


def test_a_missing_name_is_highlighted_in_the_preview(qtbot, shop, tmp_path):
    window = make_window(qtbot, path=flow_copy(tmp_path, "abandoned_cart.json"))
    panel = window.content_panel
    window.open_store_path(str(shop))
    qtbot.waitUntil(lambda: panel.store_facts is not None, timeout=30_000)
    window.go_to_node("n5")
    panel.subject.setFocus()
    panel.subject.selectAll()
    qtbot.keyClicks(panel.subject, "Hi {{ nickname }}")
    reader = PageReader(panel.preview)
    qtbot.waitUntil(lambda: reader.shows("[missing: nickname]"), timeout=30_000)
    assert "'nickname' is not in this message's context" in reader.html


def test_an_sms_shows_as_a_phone_with_its_segments(qtbot, shop, tmp_path):
    path = flow_copy(tmp_path, "winback.json")
    window = make_window(qtbot, io.load(path), path=path)
    panel = window.content_panel
    window.go_to_node("n7")
    assert panel.node_id == "n7" and not panel.subject.isVisible()
    reader = PageReader(panel.preview)
    qtbot.waitUntil(lambda: reader.shows('id="segments"'), timeout=30_000)
    assert "1 segment" in reader.html and "Alex, your VIP 20% code WB20" in reader.html  # the typical customer


def test_template_edits_are_undoable_and_saved_beside_the_flow(qtbot, tmp_path):
    flow = tmp_path / "cart.json"
    flow.write_text((FLOWS / "abandoned_cart.json").read_text(encoding="utf-8"), encoding="utf-8")
    window = make_window(qtbot, io.load(flow), path=str(flow))
    panel = window.content_panel
    window.go_to_node("n5")
    original = panel.body.toPlainText()
    assert "{% extends \"_layout.html\" %}" in original
    cursor = panel.body.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    panel.body.setTextCursor(cursor)
    panel.body.setFocus()
    qtbot.keyClicks(panel.body, "<!-- edited -->")
    assert panel.edits.texts["cart_reminder.html"].endswith("<!-- edited -->")
    window.act_undo.trigger()
    assert panel.body.toPlainText() == original
    window.act_redo.trigger() if hasattr(window, "act_redo") else window.document.undo_stack.redo()
    window.document.save()
    saved = tmp_path / "templates" / "cart_reminder.html"
    assert saved.read_text(encoding="utf-8").endswith("<!-- edited -->")
    assert (FLOWS.parent / "resources" / "templates" / "cart_reminder.html").read_text(encoding="utf-8") == original


def test_a_store_read_again_previews_its_new_data(qtbot, tmp_path):
    # An import or an erasure changes the store under the same path: the preview must not keep the old history.
    db = tmp_path / "shop.db"
    generate(db, customers=40, days=10, seed=3)
    window = make_window(qtbot, path=flow_copy(tmp_path, "abandoned_cart.json"))
    panel = window.content_panel
    window.open_store_path(str(db))
    qtbot.waitUntil(lambda: panel.store_facts is not None, timeout=30_000)
    window.go_to_node("n5")
    customer = panel.customer.currentText()
    name = first_name_of(db, customer)
    qtbot.waitUntil(lambda: getattr(panel, "last_result", None) is not None and panel.last_result.customer == customer
                    and name in panel.last_result.message.subject, timeout=30_000)

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE customers SET first_name = 'Zelda' WHERE external_id = ?", (customer,))
    window.store.refresh()
    qtbot.waitUntil(lambda: panel.is_idle() and "Zelda" in panel.last_result.message.subject, timeout=30_000)


def test_the_preview_writes_money_in_the_stores_currency(qtbot, tmp_path):
    from designer.store.settings import set_store_currency

    db = tmp_path / "shop.db"
    generate(db, customers=40, days=10, seed=3)
    set_store_currency(str(db), "EUR")
    window = make_window(qtbot, path=flow_copy(tmp_path, "abandoned_cart.json"))
    panel = window.content_panel
    window.open_store_path(str(db))
    qtbot.waitUntil(lambda: panel.store_facts is not None, timeout=30_000)
    window.go_to_node("n10")  # "Your cart comes to {{ cart.total | money }}"
    customer = panel.customer.currentText()
    qtbot.waitUntil(lambda: panel.is_idle() and getattr(panel, "last_result", None) is not None
                    and panel.last_result.customer == customer, timeout=30_000)
    line = next(x for x in panel.last_result.message.html.splitlines() if "Your cart comes to" in x)
    assert "€" in line and "$" not in line
