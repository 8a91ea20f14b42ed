"""The Journeys view: find a customer, see their journeys in their own zone, light a journey's path,
and save what happened as a test case that then passes."""

from __future__ import annotations

from PySide6.QtCore import Qt

from designer.engine.simulate import simulate
from designer.model import io
from designer.store.db import open_store
from designer.store.lookup import customer
from designer.store.sample import generate

from editor_driver import FLOWS, close_window, make_window


def _customer_with_messages(db: str) -> tuple[str, object]:
    flow = io.load(FLOWS / "abandoned_cart.json")
    engine = open_store(db)
    try:
        for n in range(1, 200):
            ext = f"c{n:06d}"
            run = simulate(flow, engine, trace_customer=ext, workers=1, save=False)
            if run.trace and any(s.what == "sent" for s in run.trace) and customer(engine, ext).timezone:
                return ext, run
    finally:
        engine.dispose()
    raise AssertionError("no customer with a message and a zone in the sample")


def test_find_a_customer_see_the_journey_light_it_and_save_it_as_a_test(qtbot, tmp_path):
    db = str(tmp_path / "shop.db")
    generate(db, 200, 30, 3)
    ext, run = _customer_with_messages(db)
    flow_path = tmp_path / "cart.json"
    flow_path.write_text((FLOWS / "abandoned_cart.json").read_text())
    window = make_window(qtbot, io.load(flow_path), path=str(flow_path))
    window.tests_panel.reload()
    with qtbot.waitSignal(window.store.changed, timeout=10_000):
        window.store.open(db, remember=False)
    view = window.journeys_view
    window.journeys_dock.raise_()
    view.search.setFocus()
    qtbot.keyClicks(view.search, ext)
    qtbot.keyClick(view.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: view.story is not None and view.steps.topLevelItemCount() > 0, timeout=20_000)
    story = view.story
    assert story.profile.external_id == ext
    steps = [s for s in run.trace if s.journey >= 0]
    first = view.steps.topLevelItem(0)
    assert first.childCount() == sum(1 for s in steps if s.journey == steps[0].journey)
    # Times in the customer's zone, UTC on hover.
    zone = story.profile.timezone
    assert zone and first.child(0).text(0).endswith(view_local_suffix(first.child(0).toolTip(0), zone))
    assert view.light.nodes == story.journeys[0].visits
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    panel = window.tests_panel
    assert len(panel.model.cases) == 1 and panel.model.cases[0]["customer"]["id"] == ext
    qtbot.waitUntil(lambda: panel.model.counts()["passed"] == 1, timeout=30_000)
    window.workers.shutdown()
    close_window(window)


def view_local_suffix(utc_text: str, zone: str) -> str:
    """The zone abbreviation the step's local time must end with (computed independently)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    dt = datetime.fromisoformat(utc_text.replace(" ", "T").replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return dt.strftime("%H:%M ") + dt.tzname()
