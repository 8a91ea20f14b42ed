"""Messages lead to their content: a traced message, a message in the Journeys view and a random
recipient of the last backtest each show in the Content panel as that customer got it, at that moment."""

from __future__ import annotations

import random
import sqlite3

import pytest
from PySide6.QtCore import Qt

from designer.engine.simulate import simulate
from designer.model import io
from designer.store.sample import generate
from designer.ui.content.moments import OPEN_MESSAGE

from tests.ui.editor_driver import close_window, make_window
from tests.ui.test_content_panel import PageReader, first_name_of, flow_copy

#: A subject that says whom it was rendered for, as at when, and which trigger event it saw.
SUBJECT = "{{ first_name }} now={{ now }} entered={{ event.time }}"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("message-links") / "shop.db"
    generate(path, customers=200, days=30, seed=3)
    return str(path)


def carts_between(shop: str, customer: str, after: int, until: int) -> int:
    """add_to_cart events of the customer in (after, until], in plain SQL."""
    with sqlite3.connect(shop) as conn:
        return conn.execute("SELECT count(*) FROM events e JOIN customers c ON c.id = e.customer_id "
                            "WHERE c.external_id = ? AND e.name = 'add_to_cart' AND e.time > ? AND e.time <= ?",
                            (customer, after, until)).fetchone()[0]


def customer_with_two_messages(flow, shop: str):
    """A customer whose trace (the engine's, not the editor's) sends them n5 and then another message,
    who added to the cart again after the journey entered: the latest cart event before the reminder
    is then not the one that began the journey, and only the journey's own may be the message's."""
    for n in range(1, 200):
        ext = f"c{n:06d}"
        trace = simulate(flow, shop, trace_customer=ext, save=False, workers=1).trace or []
        sent = [s for s in trace if s.what == "sent"]
        if len(sent) >= 2 and sent[0].node == "n5" and sent[1].node != "n5" and \
                carts_between(shop, ext, entry_of(trace, sent[0].journey), sent[0].time):
            return ext, trace
    raise AssertionError("no customer in the sample added to the cart again before two different messages")


def entry_of(trace, journey: int) -> int:
    return next(s.time for s in trace if s.what == "entered" and s.journey == journey)


def cell_point(tree, item, column: int):
    """The middle of a cell, scrolled into view (the dock may be narrower than the tree)."""
    index = tree.indexFromItem(item, column)
    tree.scrollTo(index)
    rect = tree.visualRect(index)
    assert tree.viewport().rect().contains(rect.center()), "the cell is not on screen"
    return rect.center()


def open_editor(qtbot, tmp_path, shop: str):
    path = flow_copy(tmp_path, "abandoned_cart.json")
    window = make_window(qtbot, io.load(path), path=path)
    for node in ("n5", "n11"):
        config = dict(window.document.flow.nodes[node].config, subject=f"{node}: {SUBJECT}")
        window.document.set_config(node, config)
    with qtbot.waitSignal(window.store.changed, timeout=10_000):
        window.store.open(shop, remember=False)
    qtbot.waitUntil(lambda: window.content_panel.store_facts is not None, timeout=30_000)
    return window


def wait_for_render(qtbot, panel, customer: str, at: int):
    qtbot.waitUntil(lambda: panel.is_idle() and panel.last_result is not None
                    and (panel.last_result.customer, panel.last_result.at) == (customer, at), timeout=30_000)
    return panel.last_result


def finish(window) -> None:
    window.workers.shutdown()
    close_window(window)


def test_a_traced_message_opens_as_that_customer_got_it_then(qtbot, tmp_path, shop):
    window = open_editor(qtbot, tmp_path, shop)
    ext, trace = customer_with_two_messages(window.document.flow, shop)
    name = first_name_of(shop, ext)
    panel, results = window.content_panel, window.results_panel
    window.results_dock.raise_()
    results.tabs.setCurrentWidget(results.trace_view)
    qtbot.keyClicks(results.trace_input, ext)
    qtbot.mouseClick(results.trace_button, Qt.MouseButton.LeftButton)
    tree = results.trace_tree
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == len(trace), timeout=20_000)
    links = [i for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(5) == OPEN_MESSAGE]
    assert links == [i for i, s in enumerate(trace) if s.what == "sent"]  # every message, and only those

    # Click "Open message" on the first: its send is selected, the panel previews it for them, then.
    first = trace[links[0]]
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=cell_point(tree, tree.topLevelItem(links[0]), 5))
    result = wait_for_render(qtbot, panel, ext, first.time)
    assert window.scene.selected_node_ids() == ["n5"] and panel.node_id == "n5"
    assert window.content_dock.isVisible()
    assert result.message.subject == f"n5: {name} now={first.time} entered={entry_of(trace, first.journey)}"
    reader = PageReader(panel.preview)
    qtbot.waitUntil(lambda: reader.shows(f"n5: {name} now={first.time}"), timeout=30_000)
    assert panel.moment_label.text().startswith(f"{ext} as this message reached them: ")

    # A double click on the next message's row opens that one (another send, a later moment); a real
    # double click starts with a click (QTest's double click alone has no press for the view to match).
    second = trace[links[1]]
    item = tree.topLevelItem(links[1])
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=cell_point(tree, item, 2))
    qtbot.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=cell_point(tree, item, 2))
    result = wait_for_render(qtbot, panel, ext, second.time)
    assert panel.node_id == second.node and window.scene.selected_node_ids() == [second.node]
    assert result.message.subject == (f"{second.node}: {name} now={second.time} "
                                      f"entered={entry_of(trace, second.journey)}")

    # Another customer typed in: previewed at their own usual moment, not at this message's.
    other = next(c for c in panel.store_facts.customers if c != ext)
    panel.customer.setEditText(other)
    panel.render_now()
    qtbot.waitUntil(lambda: panel.is_idle() and panel.last_result.customer == other, timeout=30_000)
    assert panel.last_result.at != second.time and panel.moment is None

    # A message whose send was deleted since the trace says so instead of previewing something else.
    window.document.remove_nodes([second.node])
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=cell_point(tree, item, 5))
    assert panel.node_id is None
    assert panel.moment_label.text() == (f"{second.node} is no longer a send of this flow: its message cannot "
                                         "be shown")
    finish(window)


def test_a_message_in_the_journeys_view_opens_its_content(qtbot, tmp_path, shop):
    window = open_editor(qtbot, tmp_path, shop)
    ext, trace = customer_with_two_messages(window.document.flow, shop)
    name = first_name_of(shop, ext)
    view, panel = window.journeys_view, window.content_panel
    window.journeys_dock.raise_()
    window.resizeDocks([window.journeys_dock], [520], Qt.Orientation.Vertical)  # room for the steps
    view.search.setFocus()
    qtbot.keyClicks(view.search, ext)
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.story is not None and view.steps.topLevelItemCount() > 0, timeout=20_000)
    children = [view.steps.topLevelItem(i).child(k) for i in range(view.steps.topLevelItemCount())
                for k in range(view.steps.topLevelItem(i).childCount())]
    linked = [c for c in children if c.text(4) == OPEN_MESSAGE]
    assert [c.text(1) for c in linked] == [s.node for s in trace if s.what == "sent"]
    sent = [s for s in trace if s.what == "sent"][-1]
    qtbot.mouseClick(view.steps.viewport(), Qt.MouseButton.LeftButton, pos=cell_point(view.steps, linked[-1], 4))
    result = wait_for_render(qtbot, panel, ext, sent.time)
    assert panel.node_id == sent.node and window.scene.selected_node_ids() == [sent.node]
    assert result.message.subject == f"{sent.node}: {name} now={sent.time} entered={entry_of(trace, sent.journey)}"
    # Enter on another message's row opens that one.
    first = [s for s in trace if s.what == "sent"][0]
    view.steps.setCurrentItem(linked[0])
    view.steps.setFocus()
    qtbot.keyClick(view.steps, Qt.Key.Key_Return)
    result = wait_for_render(qtbot, panel, ext, first.time)
    assert panel.node_id == first.node == "n5"
    assert result.message.subject == f"n5: {name} now={first.time} entered={entry_of(trace, first.journey)}"
    finish(window)


def test_recipient_from_backtest_picks_someone_the_last_run_sent_this_message_to(qtbot, tmp_path, shop):
    window = open_editor(qtbot, tmp_path, shop)
    panel = window.content_panel
    button = panel.recipient_button
    window.go_to_node("n5")
    assert panel.node_id == "n5"
    assert not button.isEnabled() and button.toolTip().startswith("Run a backtest first")

    with qtbot.waitSignal(window.backtest.finished, timeout=20_000) as run:
        window.run_backtest()
    result = run.args[0]
    assert button.isEnabled() and f"run {result.run_id}" in button.toolTip()
    button.rng = random.Random(5)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.moment is not None, timeout=60_000)
    moment = panel.moment
    rendered = wait_for_render(qtbot, panel, moment.customer, moment.at)
    assert moment.node == "n5" and moment.run_id == result.run_id
    # The engine agrees: that customer got n5's message at that moment, in a journey entered then.
    trace = simulate(io.load(flow_copy(tmp_path, "abandoned_cart.json")), shop, trace_customer=moment.customer,
                     save=False, workers=1).trace
    sent = next(s for s in trace if s.what == "sent" and s.node == "n5" and s.time == moment.at)
    assert moment.entry_time == entry_of(trace, sent.journey)
    name = first_name_of(shop, moment.customer)
    assert rendered.message.subject == f"n5: {name} now={moment.at} entered={moment.entry_time}"
    assert panel.customer.currentText() == moment.customer
    assert f"of run {result.run_id}" in panel.moment_label.text()

    # A card added since the run was not in it; a run that sends nobody n5's message has no recipient.
    window.go_to_node("n4")  # not a send
    assert not button.isEnabled()
    delay = dict(window.document.flow.nodes["n2"].config, duration="P90D")  # longer than the history
    window.document.set_config("n2", delay)
    with qtbot.waitSignal(window.backtest.finished, timeout=20_000) as again:
        window.run_backtest()
    assert again.args[0].nodes["n5"].messages == 0
    window.go_to_node("n5")
    assert not button.isEnabled()
    assert button.toolTip() == f"Nobody got n5's message in the last backtest (run {again.args[0].run_id})"
    window.backtest.clear()
    assert button.toolTip().startswith("Run a backtest first")
    finish(window)
