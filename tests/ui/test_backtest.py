"""The backtest in the editor: F5 runs the engine off the GUI thread, the canvas and the
Results dock show exactly what ``simulate()`` returns, cancel, stale results, refusals,
the per-step table, the trace, compare, auto-run, helper processes, the screenshot command."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QPoint, Qt
from PySide6.QtGui import QImage

from designer.engine.simulate import SimulationCancelled, simulate
from designer.model import io
from designer.store.sample import generate
from designer.ui.backtest import controller as controller_module
from designer.ui.backtest.overlay import StripItem
from editor_driver import FLOWS, close_window, make_window, record_threads

ROOT = Path(__file__).resolve().parents[2]
CART = FLOWS / "abandoned_cart.json"


@pytest.fixture(scope="session")
def small_store(tmp_path_factory) -> str:
    """300 customers over 20 days: about 1,900 events, a backtest in a few hundredths of a second."""
    path = tmp_path_factory.mktemp("stores") / "small.db"
    generate(path, 300, 20, 7)
    return str(path)


@pytest.fixture(scope="session")
def big_store(tmp_path_factory) -> str:
    """Enough customers (4,000 over 14 days) that a run passes the engine's cancel checks."""
    path = tmp_path_factory.mktemp("stores") / "big.db"
    generate(path, 4000, 14, 7)
    return str(path)


def open_window(qtbot, store: str | None, flow=None):
    window = make_window(qtbot, flow)
    if store is not None:
        with qtbot.waitSignal(window.store.changed, timeout=10_000):
            window.store.open(store, remember=False)
    return window


@pytest.fixture
def window(qtbot, small_store):
    w = open_window(qtbot, small_store)
    yield w
    w.workers.shutdown()
    close_window(w)
    assert w.workers.pool.activeThreadCount() == 0


def run_f5(qtbot, window, timeout: int = 15_000):
    """Press F5 on the window and wait for the result."""
    with qtbot.waitSignal(window.backtest.finished, timeout=timeout) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_F5)
    return blocker.args[0]


def expected_strip(f, warned: bool = False) -> str:
    """The card's strip, worked out from the figures: a send says sent and skipped (which add up to
    the journeys that left it), a card the run warns about starts with a warning sign."""
    if f.is_send:
        skipped = sum(f.skipped.values())
        parts = [f"{f.messages:,} sent"] + ([f"{skipped:,} skipped"] if skipped else []) + \
            [f"{f.conversions:,} conv", f"${f.revenue:,.0f}"]
    else:
        parts = [f"{f.entered:,} in"]
    return " \u00b7 ".join((["\u26a0"] if warned else []) + parts)


# -- the run and the canvas ----------------------------------------------------------
def test_f5_runs_in_the_background_and_the_canvas_shows_simulates_figures(qtbot, window, small_store,
                                                                         monkeypatch):
    threads = record_threads(monkeypatch, controller_module, "simulate")
    result = run_f5(qtbot, window)
    assert threads and threads[0] != threading.get_ident()  # never on the GUI thread
    expected = simulate(io.load(CART), small_store, save=False)
    assert result.entered == expected.entered > 0
    assert result.to_json()["nodes"] == expected.to_json()["nodes"]
    qtbot.waitUntil(lambda: window.overlay.strip_text("n1") is not None)
    warned = {w["node"] for w in expected.warnings}
    for node_id, figures in expected.nodes.items():
        assert window.overlay.strip_text(node_id) == expected_strip(figures, node_id in warned), node_id
        if figures.is_send:
            assert figures.messages + sum(figures.skipped.values()) == figures.exits.get("next", 0)
        strip = window.overlay.strip_of(node_id)
        assert isinstance(strip, StripItem) and strip.parentItem() is window.scene.nodes[node_id]
    # Every edge says how many journeys took its port.
    for edge, items in window.scene.edges.items():
        n = expected.nodes[edge.source].exits.get(edge.port, 0)
        want = f"{edge.port} \u00b7 {n:,}" if edge.port != "next" else f"{n:,}"
        assert items[0].shown_label() == want, edge
    assert window.scene.edges[next(e for e in window.scene.edges if e.port == "no")][0].flow_share > 0
    # Skips by reason are on the send card's tooltip.
    send = expected.nodes["n5"]
    tip = window.overlay.strip_of("n5").toolTip()
    assert f"no consent {send.skipped['no_consent']:,}" in tip
    assert f"quiet hours {send.deferred['quiet_hours']:,}" in tip
    # The Results dock: totals and the per-step table.
    panel = window.results_panel
    assert panel.tiles["entered"].value.text() == f"{expected.entered:,}"
    assert panel.tiles["sends"].value.text() == f"{expected.sends:,}"
    assert panel.tiles["conversions"].value.text() == f"{expected.conversions:,}"
    share = 100 * expected.bought_before_message / expected.entered
    shown = f"{share:.1f} %" if share < 10 else f"{share:.0f} %"
    assert panel.tiles["bought_before_message"].value.text() == \
        f"{expected.bought_before_message:,} ({shown} of journeys)"
    rate = 100 * expected.converting_recipients / expected.recipients
    assert panel.tiles["conversion_rate"].value.text() == (f"{rate:.1f} %" if rate < 10 else f"{rate:.0f} %")
    assert panel.tiles["webhooks"].value.text() == f"{expected.messages_by_channel.get('webhook', 0):,}"
    assert panel.tiles["revenue"].value.text() == f"${expected.revenue:,.0f}"
    table = panel.node_table
    assert table.rowCount() == len(expected.nodes)
    rows = {table.node_at(r): r for r in range(table.rowCount())}
    assert table.text(rows["n3"], 2) == f"{expected.nodes['n3'].entered:,}"
    sends = panel.send_table
    assert sends.rowCount() == 3
    assert {sends.text(r, 4) for r in range(3)} == {f"{expected.nodes[n].messages:,}" for n in ("n5", "n10", "n11")}
    assert {sends.text(r, 2) for r in range(3)} == {"Email"}
    # Clicking a header sorts by the value, not the text ("987" before "1,234").
    qtbot.mouseClick(table.horizontalHeader().viewport(), Qt.MouseButton.LeftButton,
                     pos=table.horizontalHeader().rect().topLeft() + QPoint(table.columnViewportPosition(2) + 5, 5))
    entered = [int(table.text(r, 2).replace(",", "")) for r in range(table.rowCount())]
    assert entered == sorted(entered) or entered == sorted(entered, reverse=True)
    assert len(set(entered)) > 1
    assert window.results_dock.isVisible()
    # Results are view state: the flow and its file hold no figure.
    assert "entered" not in io.dumps(window.document.flow)
    assert not window.document.is_modified()


def test_the_toolbar_button_and_menu_use_the_backtest_action(qtbot, window):
    action = window.act_backtest
    assert action.shortcut().toString() == "F5"
    assert action.data() == "simulate" and not action.icon().isNull()
    assert action in window.toolbar.actions()
    with qtbot.waitSignal(window.backtest.finished, timeout=15_000):
        action.trigger()
    assert window.backtest.result is not None


def test_progress_and_cancel_in_the_status_bar_stop_the_run_and_leave_no_overlay(qtbot, big_store,
                                                                                  monkeypatch):
    window = open_window(qtbot, big_store)
    gate, entered = threading.Event(), threading.Event()
    outcome: list[str] = []
    real = controller_module.simulate

    def held(*args, **kwargs):
        entered.set()
        gate.wait(10)
        try:
            result = real(*args, **kwargs)
        except SimulationCancelled:
            outcome.append("cancelled by the engine")
            raise
        outcome.append("finished")
        return result

    monkeypatch.setattr(controller_module, "simulate", held)
    finished: list = []
    window.backtest.finished.connect(finished.append)
    try:
        task = window.run_backtest()
        assert task is not None and window.backtest.is_running()
        assert window.run_progress.isVisible() and window.run_cancel.isVisible()
        qtbot.waitUntil(entered.is_set)  # the engine is about to read the store
        with qtbot.waitSignal(window.backtest.cancelled, timeout=15_000):
            qtbot.mouseClick(window.run_cancel, Qt.MouseButton.LeftButton)
            gate.set()
        assert outcome == ["cancelled by the engine"]
        assert task.state == "cancelled" and not finished
        assert window.backtest.result is None and not window.backtest.is_running()
        assert all(window.overlay.strip_text(n) is None for n in window.scene.nodes)
        assert all(items[0].flow_label is None for items in window.scene.edges.values())
        assert not window.run_progress.isVisible() and not window.run_cancel.isVisible()
        assert "cancelled" in window.statusBar().currentMessage()
    finally:
        gate.set()
        window.workers.shutdown()
        close_window(window)
    assert window.workers.pool.activeThreadCount() == 0


def test_an_edit_after_a_run_greys_the_overlay_until_it_is_run_again(qtbot, window):
    run_f5(qtbot, window)
    strip = window.overlay.strip_of("n5")
    assert not strip.stale and "Backtest" in window.overlay.banner.text()
    # Moving a card changes nothing the backtest depends on.
    node = window.document.flow.nodes["n4"]
    window.document.move_nodes({"n4": (node.x - 40, node.y)})
    assert not window.backtest.stale
    # A real edit: figures stay, greyed, with a hint to run again.
    window.document.set_config("n2", {"duration": "PT3H"})
    assert window.backtest.stale
    qtbot.waitUntil(lambda: window.overlay.strip_of("n5") is not None and window.overlay.strip_of("n5").stale)
    edge = window.scene.edges[next(e for e in window.scene.edges if e.port == "no")][0]
    assert edge.flow_stale and edge.flow_label is not None
    banner = window.overlay.banner
    assert "F5" in banner.text() and banner.isVisible()
    at = banner.pos()
    window.view.centerOn(window.scene.nodes["n11"].sceneBoundingRect().center())
    window.view.zoom_out()
    assert banner.pos() == at  # the hint stays put in the corner while the canvas scrolls
    assert "Out of date" in window.results_panel.status.text()
    assert "Out of date" in window.overlay.strip_of("n1").toolTip()
    # Undo back to the state that was run: fresh again.
    window.document.undo_stack.undo()
    assert not window.backtest.stale
    qtbot.waitUntil(lambda: not window.overlay.strip_of("n5").stale)
    # Edit, run again: fresh, with the new figures.
    window.document.set_config("n2", {"duration": "PT3H"})
    result = run_f5(qtbot, window)
    assert not window.backtest.stale and not window.overlay.strip_of("n5").stale
    assert result.flow_hash == controller_module.flow_hash(window.document.flow)


def test_a_card_added_after_the_run_has_no_strip_and_a_deleted_one_takes_its_figures_along(qtbot, window):
    run_f5(qtbot, window)
    new = window.document.add_node("delay", 600, 600)
    window.document.remove_nodes(["n11"])
    qtbot.waitUntil(lambda: window.overlay.strip_of("n5") is not None and window.overlay.strip_of("n5").stale)
    assert window.overlay.strip_text(new) is None
    assert "n11" not in window.scene.nodes


def test_opening_another_flow_drops_the_figures(qtbot, window):
    run_f5(qtbot, window)
    window.open_example(str(FLOWS / "welcome_series.json"))
    qtbot.waitUntil(lambda: window.overlay.result is None)
    assert window.backtest.result is None
    assert all(window.overlay.strip_text(n) is None for n in window.scene.nodes)
    assert not window.overlay.banner.isVisible()
    assert window.results_panel.tiles["entered"].value.text() == "\u2013"


def test_a_flow_with_errors_is_refused_with_the_reason(qtbot, window):
    window.document.remove_nodes(["n2"])  # n3 and everything after it can no longer be reached
    refused: list[str] = []
    window.backtest.refused.connect(refused.append)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    assert refused and refused[0].startswith("Backtest not run: the flow has")
    assert "Backtest not run" in window.statusBar().currentMessage()
    assert not window.backtest.is_running() and not window.workers.running()
    assert window.problems_dock.isVisible() and not window.problems_dock.visibleRegion().isEmpty()
    assert any(sev == "error" for sev, _node, _msg in window.problems_panel.rows())
    assert window.backtest.result is None


def test_clicking_a_step_row_selects_and_centres_its_card(qtbot, window):
    run_f5(qtbot, window)
    window.view.set_zoom(1.0)
    window.view.centerOn(window.scene.nodes["n1"].sceneBoundingRect().center())
    table = window.results_panel.node_table
    window.results_panel.tabs.setCurrentWidget(table)
    row = next(r for r in range(table.rowCount()) if table.node_at(r) == "n11")
    index = table.proxy.index(row, 2)
    table.scrollTo(index)
    rect = table.visualRect(index)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.scene.selected_node_ids() == ["n11"]
    card = window.scene.nodes["n11"].sceneBoundingRect().center()
    assert window.view.viewport().rect().contains(window.view.mapFromScene(card))
    assert window.inspector.node_id() == "n11"


def find_traced_customer(flow, store: str):
    """A customer with at least one journey, and that journey as the engine tells it."""
    for n in range(1, 120):
        customer = f"c{n:06d}"
        result = simulate(flow, store, trace_customer=customer, save=False)
        if result.trace:
            return customer, result.trace
    raise AssertionError("no customer entered the flow")


def test_trace_a_customer_shows_each_journey_step_with_times_and_reasons(qtbot, window, small_store):
    customer, steps = find_traced_customer(io.load(CART), small_store)
    panel = window.results_panel
    panel.tabs.setCurrentIndex(panel.tabs.count() - 1)
    qtbot.keyClicks(panel.trace_input, customer)
    qtbot.mouseClick(panel.trace_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.trace_tree.topLevelItemCount() == len(steps), timeout=10_000)
    rows = panel.trace_rows()
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    from designer.store.db import open_store
    from designer.store.lookup import customer as customer_record
    from designer.ui.backtest.numbers import moment

    engine = open_store(small_store)
    zone = customer_record(engine, customer).timezone
    engine.dispose()
    tz = ZoneInfo(zone) if zone else timezone.utc
    for i, (row, step) in enumerate(zip(rows, steps)):
        local = datetime.fromtimestamp(step.time / 1000, timezone.utc).astimezone(tz)
        assert row[0] == f"{local:%Y-%m-%d %H:%M} {local.tzname() if zone else 'UTC'}"  # the customer's own clock
        assert panel.trace_tree.topLevelItem(i).toolTip(0) == moment(step.time)  # UTC on hover
        assert row[1] == (str(step.journey + 1) if step.journey >= 0 else "\u2013")
        assert row[2].startswith(f"{step.node} ") if step.node else row[2] == ""
        assert row[3] == step.what and row[4] == step.detail
    journeys = len({s.journey for s in steps if s.journey >= 0})
    assert panel.trace_status.text().startswith(
        f"{customer}: {journeys} journey{'s' * (journeys != 1)}, {len(steps)} steps")
    # A step row leads to its card.
    index = next(i for i, s in enumerate(steps) if s.node and s.node != "n1")
    tree = panel.trace_tree
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton,
                     pos=tree.visualRect(tree.indexFromItem(tree.topLevelItem(index), 2)).center())
    assert window.scene.selected_node_ids() == [steps[index].node]
    # An unknown customer is said so, in the dock.
    panel.trace_input.setText("nobody-here")
    panel.run_trace()
    qtbot.waitUntil(lambda: "no customer with id" in panel.trace_status.text(), timeout=10_000)
    assert panel.trace_tree.topLevelItemCount() == 0


def test_the_second_run_is_compared_with_the_previous_one(qtbot, window, small_store):
    first = run_f5(qtbot, window)
    # Wait a day before the reminder: fewer journeys get as far as the send.
    window.document.set_config("n2", {"duration": "P1D"})
    second = run_f5(qtbot, window)
    assert window.backtest.previous is first
    panel = window.results_panel
    diff = second.sends - first.sends
    assert diff != 0
    sign = "+" if diff > 0 else "\u2212"
    assert panel.tiles["sends"].delta.text() == f"{sign}{abs(diff):,} vs previous run"
    assert f"{sign}{abs(diff):,} messages" in panel.compare_line.text()
    # The store keeps both runs; either can be chosen to compare with.
    combo = panel.compare_picker.combo
    qtbot.waitUntil(lambda: combo.findData(first.run_id) >= 0, timeout=10_000)
    assert combo.findData(second.run_id) < 0  # not the run on screen
    with qtbot.waitSignal(panel.compare_picker.changed, timeout=1000):
        combo.setCurrentIndex(combo.findData(first.run_id))
        combo.activated.emit(combo.currentIndex())
    assert panel.compare_picker.baseline() == (panel.compare_picker.stored[first.run_id].result,
                                               f"saved run {first.run_id}")
    assert panel.tiles["sends"].delta.text() == f"{sign}{abs(diff):,} vs saved run {first.run_id}"
    combo.setCurrentIndex(combo.findData("none"))
    combo.activated.emit(combo.currentIndex())
    assert panel.tiles["sends"].delta.text() == "" and not panel.compare_line.isVisible()


def test_a_window_of_days_limits_the_run(qtbot, window, small_store):
    from datetime import date

    panel = window.results_panel
    picker = panel.window_picker
    assert picker.span() == (None, None) and not picker.date_from.isEnabled()
    heard = []
    picker.windowChanged.connect(heard.append)
    panel.set_window_days(date(2025, 5, 20), date(2025, 5, 26))
    assert heard[-1] == (1747699200000, 1748304000000)  # whole UTC days, the last one included
    assert window.backtest.window == (1747699200000, 1748304000000) and picker.date_from.isEnabled()
    # Days picked the wrong way round still make the same window.
    picker.date_from.setDate(QDate(2025, 5, 26))
    picker.date_to.setDate(QDate(2025, 5, 20))
    assert window.backtest.window == (1747699200000, 1748304000000)
    result = run_f5(qtbot, window)
    assert (result.window_from, result.window_to) == (1747699200000, 1748304000000)
    expected = simulate(io.load(CART), small_store, window=(1747699200000, 1748304000000), save=False)
    assert result.entered == expected.entered
    assert window.overlay.strip_text("n1") == expected_strip(expected.nodes["n1"])
    # Back to all history: the result on screen is for another window now.
    picker.all_history.setChecked(True)
    assert window.backtest.stale and window.backtest.window == (None, None)


def test_auto_run_after_edits_runs_once_the_edits_pause(qtbot, window):
    assert not window.act_auto_run.isChecked()  # off unless chosen
    window.act_auto_run.trigger()
    assert window.backtest.auto_run
    with qtbot.waitSignal(window.backtest.finished, timeout=10_000):
        window.document.set_config("n2", {"duration": "PT2H"})
        window.document.set_config("n2", {"duration": "PT5H"})
    assert window.backtest.result.flow_hash == controller_module.flow_hash(window.document.flow)
    assert not window.backtest.stale
    window.act_auto_run.trigger()
    assert not window.backtest.auto_run


def test_a_run_with_helper_processes_from_the_editor_matches_one_process(qtbot, window, small_store):
    """The engine spawns helpers from a Qt process (never forks it); the figures add up the same."""
    window.backtest.processes = 2
    result = run_f5(qtbot, window, timeout=60_000)
    expected = simulate(io.load(CART), small_store, workers=1, save=False)
    assert result.to_json()["nodes"] == expected.to_json()["nodes"]
    assert result.sends == expected.sends and result.revenue == pytest.approx(expected.revenue)


def test_closing_the_window_cancels_and_waits_for_a_run(qtbot, big_store, monkeypatch):
    window = open_window(qtbot, big_store)
    gate = threading.Event()
    real = controller_module.simulate

    def held(*args, **kwargs):
        gate.wait(5)
        return real(*args, **kwargs)

    monkeypatch.setattr(controller_module, "simulate", held)
    window.run_backtest()
    assert window.workers.pool.activeThreadCount() == 1
    gate.set()
    close_window(window)
    assert window.workers.pool.activeThreadCount() == 0


# -- the screenshot command -----------------------------------------------------------
def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    import os

    env = dict(os.environ, XDG_CONFIG_HOME=str(cwd / "config"))
    env.pop("QT_QPA_PLATFORM", None)
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_screenshot_with_a_store_and_the_backtest(tmp_path, small_store):
    out = tmp_path / "shot.png"
    result = run_cli("screenshot", str(out), "--flow", str(CART), "--db", small_store, "--backtest",
                     "--size", "1200x800", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)


def test_screenshot_refuses_a_backtest_without_a_store_or_of_a_broken_flow(tmp_path, small_store):
    result = run_cli("screenshot", str(tmp_path / "a.png"), "--backtest", cwd=tmp_path)
    assert result.returncode == 2 and "--backtest needs --db" in result.stderr
    result = run_cli("screenshot", str(tmp_path / "a.png"), "--db", str(tmp_path / "none.db"), cwd=tmp_path)
    assert result.returncode == 2 and "no such store" in result.stderr
    draft = ROOT / "docs" / "cart_draft.json"
    result = run_cli("screenshot", str(tmp_path / "b.png"), "--flow", str(draft), "--db", small_store,
                     "--backtest", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Backtest not run" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()
