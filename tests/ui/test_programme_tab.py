"""Flow > Backtest with Other Flows...: the dialog offers the flows beside the open one (with the
programme file's cap), a run takes them together, and the Results dock's Programme tab shows the
figures simulate_together gives for the same flows, cap and priority."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from designer.engine.simulate import simulate_together
from designer.model import io, programme as programmes
from designer.model.programme import Programme, parse_cap
from designer.store.sample import generate
from editor_driver import FLOWS, close_window, make_window

CART = FLOWS / "abandoned_cart.json"
WITH = ("welcome_series.json", "winback.json", "browse_abandonment.json")


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("programme") / "shop.db"
    generate(path, 400, 30, 7)
    return str(path)


@pytest.fixture
def window(qtbot, shop):
    w = make_window(qtbot, io.load(CART), path=str(CART))
    with qtbot.waitSignal(w.store.changed, timeout=10_000):
        w.store.open(shop, remember=False)
    yield w
    w.workers.shutdown()
    close_window(w)


def _menu_action(window, menu_title: str, text: str):
    for menu_action in window.menuBar().actions():
        if menu_action.text().replace("&", "") == menu_title:
            for action in menu_action.menu().actions():
                if action.text().replace("&", "") == text:
                    return action
    raise AssertionError(f"no {menu_title} > {text}")


def _open_dialog(qtbot, window):
    _menu_action(window, "Flow", "Backtest with Other Flows\u2026").trigger()
    dialog = window.programme_dialog
    qtbot.waitExposed(dialog)
    return dialog


def _tick(dialog, names) -> None:
    for i in range(dialog.list.count()):
        item = dialog.list.item(i)
        wanted = any(item.data(Qt.ItemDataRole.UserRole).endswith(n) for n in names)
        item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)


def test_backtest_with_other_flows_fills_the_programme_tab(qtbot, window, shop):
    dialog = _open_dialog(qtbot, window)
    offered = sorted(dialog.list.item(i).data(Qt.ItemDataRole.UserRole).rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
                     for i in range(dialog.list.count()))
    assert offered == ["browse_abandonment.json", "post_purchase.json", "welcome_series.json", "winback.json"]
    assert dialog.cap.text() == "3/P7D"  # the programme file beside the flows
    _tick(dialog, WITH)
    dialog.cap.clear()
    qtbot.keyClicks(dialog.cap, "1/P7D")
    with qtbot.waitSignal(window.backtest.finished, timeout=60_000):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert window.programme_dialog is None

    # The same programme, run by the engine directly.
    shipped = programmes.load(FLOWS / "programme.json")
    flows = [io.load(CART)] + [io.load(FLOWS / n) for n in sorted(WITH)]
    expected = simulate_together(flows, shop, save=False,
                                 programme=Programme(parse_cap("1/P7D"), shipped.priority, shipped.collision_window))
    p = expected[0].programme
    assert p.max_in_cap_window <= 1

    view = window.results_panel.programme_view
    window.results_panel.tabs.setCurrentWidget(view)
    assert view.flows_table.isVisibleTo(window.results_panel)
    assert "4 flows together: abandoned-cart (this flow)" in view.summary.text()
    assert f"{p.customers_in_several_flows:,} were in more than one flow at once" in view.summary.text()
    table = view.flows_table
    assert [table.text(r, 0) for r in range(table.rowCount())] == [r.flow_id for r in expected]
    assert [table.text(r, 2) for r in range(table.rowCount())] == [f"{r.sends:,}" for r in expected]
    top = max(p.messages_per_week)
    assert view.histogram.values == [p.messages_per_week.get(k, 0) for k in range(1, top + 1)] and top == 1
    blocked = view.suppressed_table
    shown = {(blocked.text(r, 0), blocked.text(r, 1), blocked.text(r, 2)): blocked.text(r, 3)
             for r in range(blocked.rowCount())}
    assert shown == {(b, by, rule.replace("_", " ")): f"{n:,}" for (b, by, rule), n in p.suppressed.items()}
    assert any(rule == "frequency cap" for _b, _by, rule in shown)
    coll = view.collisions_table
    assert {(coll.text(r, 0), coll.text(r, 1)): coll.text(r, 2) for r in range(coll.rowCount())} == \
        {pair: f"{n:,}" for pair, n in p.collisions.items()}
    # The canvas shows the open flow's own figures from that run.
    assert window.backtest.result.sends == expected[0].sends

    # Ticking nothing backtests the flow alone again, and the tab says how to add flows.
    dialog = _open_dialog(qtbot, window)
    assert sorted(dialog.checked_paths()) == sorted(str(FLOWS / n) for n in WITH)  # the choice is kept
    _tick(dialog, ())
    with qtbot.waitSignal(window.backtest.finished, timeout=60_000):
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert window.backtest.programme_results is None
    assert "ran alone" in view.summary.text() and not view.flows_table.isVisibleTo(window.results_panel)


def test_a_bad_cap_or_a_clashing_flow_keeps_the_dialog_open_and_says_why(qtbot, window, tmp_path):
    dialog = _open_dialog(qtbot, window)
    _tick(dialog, ("winback.json",))
    dialog.cap.clear()
    qtbot.keyClicks(dialog.cap, "three a week")
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "Frequency cap" in dialog.error.text() and "3/P7D" in dialog.error.text()
    twin = tmp_path / "copy_of_cart.json"
    twin.write_text(CART.read_text(encoding="utf-8"), encoding="utf-8")
    dialog.cap.clear()
    dialog.add_paths([str(twin)])
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "copy_of_cart.json" in dialog.error.text() and "abandoned-cart" in dialog.error.text()
    assert not window.backtest.others  # nothing kept
    dialog.reject()
