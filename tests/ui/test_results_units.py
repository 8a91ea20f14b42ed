"""The Results dock in one unit per figure: money in the store's currency, webhooks apart from
messages, and the run's warnings listed, each leading to its step."""

from __future__ import annotations

from PySide6.QtCore import Qt

from designer.engine.simulate import simulate
from designer.model import io
from designer.store.settings import set_store_currency
from designer.store.db import open_store
from designer.store.sample import generate
from designer.ui.backtest import numbers

from editor_driver import FLOWS, close_window, make_window


def _window(qtbot, tmp_path, flow_name: str, currency: str = "USD"):
    db = str(tmp_path / "shop.db")
    generate(db, 200, 20, 4)
    engine = open_store(db)
    set_store_currency(engine, currency)
    engine.dispose()
    window = make_window(qtbot, io.load(FLOWS / f"{flow_name}.json"))
    with qtbot.waitSignal(window.store.changed, timeout=10_000):
        window.store.open(db, remember=False)
    return window, db


def _f5(qtbot, window):
    with qtbot.waitSignal(window.backtest.finished, timeout=30_000) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_F5)
    return blocker.args[0]


def test_revenue_is_in_the_stores_currency_and_webhooks_are_apart(qtbot, tmp_path):
    window, db = _window(qtbot, tmp_path, "post_purchase", "EUR")
    result = _f5(qtbot, window)
    panel = window.results_panel
    assert window.store.info.currency == "EUR"
    assert "\u20ac" in panel.tiles["revenue"].value.text() and "$" not in panel.tiles["revenue"].value.text()
    expected = simulate(io.load(FLOWS / "post_purchase.json"), db, save=False)
    assert panel.tiles["webhooks"].value.text() == numbers.count(expected.messages_by_channel.get("webhook", 0))
    assert panel.tiles["sends"].value.text() == numbers.count(expected.sends)
    assert expected.messages_by_channel.get("webhook", 0) > 0
    assert result.sends == expected.messages_by_channel.get("email", 0) + expected.messages_by_channel.get("sms", 0)
    window.workers.shutdown()
    close_window(window)


def test_the_runs_warnings_are_listed_and_lead_to_their_step(qtbot, tmp_path):
    window, _db = _window(qtbot, tmp_path, "winback")
    result = _f5(qtbot, window)
    panel = window.results_panel
    assert any(w["code"] == "unfinished" for w in result.warnings)
    assert panel.warnings_list.count() == len(result.warnings) and panel.warnings_list.isVisible()
    row = next(i for i in range(panel.warnings_list.count())
               if panel.warnings_list.item(i).data(Qt.ItemDataRole.UserRole) == "n2")
    item = panel.warnings_list.item(row)
    qtbot.mouseClick(panel.warnings_list.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.warnings_list.visualItemRect(item).center())
    assert window.scene.selected_node_ids() == ["n2"]
    assert window.overlay.strip_text("n2").startswith("\u26a0")
    window.workers.shutdown()
    close_window(window)
