"""A traced customer saved as a test case reproduces, in memory, what the backtest did for them;
and the store's customer lookup finds by id, id prefix and email."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.engine.flowtests import case_from_trace, run_case
from designer.engine.simulate import simulate
from designer.model import io, testfile
from designer.store.db import open_store
from designer.store.lookup import customer, customer_events, find_customers
from designer.store.sample import generate
from tests.engine.tinystore import TinyStore, at

FLOWS = Path(__file__).resolve().parents[2] / "flows"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    db = tmp_path_factory.mktemp("journeys") / "shop.db"
    generate(db, customers=300, days=40, seed=21)
    return db


@pytest.mark.parametrize("name", ["abandoned_cart", "welcome_series", "browse_abandonment", "post_purchase"])
def test_a_saved_journey_replays_exactly(shop, name):
    flow = io.load(FLOWS / f"{name}.json")
    engine = open_store(shop)
    full = simulate(flow, engine, workers=1, save=False)
    assert full.entered > 0
    checked = 0
    for external_id in [f"c{n:06d}" for n in range(1, 300)]:
        run = simulate(flow, engine, trace_customer=external_id, workers=1, save=False)
        if not run.trace or not any(s.what == "sent" for s in run.trace):
            continue
        p = customer(engine, external_id)
        profile = {"id": p.external_id, "email": p.email, "first_name": p.first_name, "timezone": p.timezone,
                   "consent": p.consent, "properties": p.properties}
        history = [(e.name, e.time, e.properties) for e in customer_events(engine, external_id, until=run.window_to)]
        case = case_from_trace("saved", profile, history, run.trace, (run.window_from, run.window_to))
        parsed = testfile.parse({"format": testfile.FORMAT, "version": 1, "cases": [case]}).cases[0]
        result = run_case(flow, parsed)
        assert result.passed, (external_id, result.failures, result.error)
        assert case["expect"]["messages"]
        checked += 1
        if checked == 5:
            break
    engine.dispose()
    assert checked == 5


def test_customer_lookup_by_id_prefix_and_email():
    store = TinyStore()
    store.customer("ann-1", email="Ann@Example.com")
    store.customer("ann-2", email="other@example.com")
    store.customer("a_n%", email="x@example.com")
    store.customer("bob", email="bob@shop.example")
    store.event("bob", "view", at(0), product="p1")
    store.event("bob", "purchase", at(1), price=5)
    ids = lambda text: [c.external_id for c in find_customers(store.engine, text)]  # noqa: E731
    assert ids("ann") == ["ann-1", "ann-2"]
    assert ids("ann@example") == ["ann-1"]  # email, ignoring case
    assert ids("a_n%") == ["a_n%"]  # wildcards are literal
    assert ids("bob") == ["bob"] and ids("") == []
    assert [e.name for e in customer_events(store.engine, "bob")] == ["view", "purchase"]
    assert [e.name for e in customer_events(store.engine, "bob", until=at(1))] == ["view"]
    assert customer(store.engine, "nobody") is None
