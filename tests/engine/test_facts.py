"""Derived facts: one definition for conditions and revenue, driven by the flow's conversion settings."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from designer.engine.facts import DAY_MS, FACTS, ORDER_FACTS, SCORES, UNDERIVED, Orders, order_value
from designer.engine.history import History
from designer.engine.simulate import simulate
from designer.model.conditions import DERIVED_FACTS
from designer.store.db import open_store
from designer.store.sample import generate

from .tinystore import PLAIN, edge, flow, node

T0 = 1_714_557_600_000


def history(*events):
    """A History from (name, time, properties JSON) in time order."""
    return History(list(events))


def facts(h: History, cursor: int, now: int, orders: Orders) -> dict:
    """The history facts (the scores need a run's models: without them they are not derived)."""
    found = {name: compute(h, cursor, now, orders, None) for name, compute in FACTS.items()}
    assert {n for n, v in found.items() if v is UNDERIVED} == SCORES
    return {n: v for n, v in found.items() if v is not UNDERIVED}


def test_facts_count_only_the_events_before_the_cursor():
    h = history(("view", T0, "{}"),
                ("purchase", T0 + DAY_MS, '{"price": 20.5, "cart_id": "k"}'),
                ("purchase", T0 + 3 * DAY_MS, '{"price": "10"}'),
                ("email_open", T0 + 4 * DAY_MS, "{}"),
                ("purchase", T0 + 10 * DAY_MS, '{"price": 99}'))  # not yet seen: past the cursor
    got = facts(h, 4, T0 + 5 * DAY_MS, Orders("purchase", "price"))
    assert got == {"first_seen": T0, "last_seen": T0 + 4 * DAY_MS, "days_since_first_seen": 5.0,
                   "order_count": 2, "total_spent": 30.5, "days_since_last_order": 2.0}
    assert facts(h, 0, T0, Orders("purchase", "price")) == {
        "first_seen": None, "last_seen": None, "days_since_first_seen": None,
        "order_count": 0, "total_spent": 0.0, "days_since_last_order": None}


def test_orders_are_the_flows_conversion_event_and_value():
    h = history(("order", T0, '{"amount": "12.5"}'), ("order", T0, '{"amount": true}'),
                ("order", T0, '{"amount": [{"price": 2, "quantity": 3}, 1]}'), ("order", T0, "not json"),
                ("purchase", T0, '{"amount": 100}'))
    got = facts(h, 5, T0, Orders("order", "amount"))
    assert (got["order_count"], got["total_spent"]) == (4, 19.5)
    assert facts(h, 5, T0, Orders("order", None))["total_spent"] == 0.0  # no value property: counted only


def test_order_value_reads_numbers_text_and_items():
    assert order_value("12.5") == 12.5 and order_value(3) == 3.0
    assert order_value([{"price": "4", "quantity": 2}, {"price": 1}]) == 9.0
    assert order_value(True) == 0.0 and order_value("nan") == 0.0 and order_value(None) == 0.0


def test_the_model_names_each_fact_the_engine_computes():
    assert set(FACTS) == set(DERIVED_FACTS) and ORDER_FACTS < set(FACTS) and SCORES < set(FACTS)
    assert not ORDER_FACTS & SCORES


def test_total_spent_agrees_with_sql_on_the_sample_shop(tmp_path):
    # A split on total_spent (right at entry) sends "yes" exactly to the journeys whose customer's
    # purchases before the cart sum past 60; SQL sums the same purchases.
    db = tmp_path / "shop.db"
    generate(db, customers=300, days=30, seed=11)
    f = flow([node("t", "trigger", event="add_to_cart", key="cart_id"),
              node("s", "split", condition={"property": "total_spent", "op": ">", "value": 60}),
              node("y", "send_email", template="t", subject="s"), node("n", "exit")],
             [edge("t", "s"), edge("s", "y", "yes"), edge("s", "n", "no")],
             {**PLAIN, "conversion": {"event": "purchase", "value": "price", "window": "P1D"}})
    r = simulate(f, db, save=False)
    sql = text("""
        WITH j AS (
          SELECT e.customer_id AS cid, e.id, e.time,
                 ROW_NUMBER() OVER (PARTITION BY e.customer_id, json_extract(e.properties, '$.cart_id')
                                    ORDER BY e.time, e.id) AS n
          FROM events e WHERE e.name = 'add_to_cart' AND e.time >= :lo AND e.time < :hi)
        SELECT COUNT(*) FROM j WHERE j.n = 1 AND (
          SELECT TOTAL(CAST(json_extract(p.properties, '$.price') AS REAL)) FROM events p
          WHERE p.customer_id = j.cid AND p.name = 'purchase'
            AND (p.time < j.time OR (p.time = j.time AND p.id < j.id))) > 60""")
    with open_store(db).connect() as conn:
        rich = conn.execute(sql, {"lo": r.window_from, "hi": r.window_to}).scalar()
    assert rich > 5
    assert r.nodes["s"].exits.get("yes", 0) == rich


@pytest.mark.parametrize("value", ["12.5", 12.5, [{"price": "6.25", "quantity": 2}]])
def test_revenue_and_total_spent_read_an_order_the_same_way(value):
    from .tinystore import TinyStore, at

    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    s.event("a", "purchase", at(0, "10:00"), price=value)
    s.event("a", "add_to_cart", at(1, "09:00"))
    s.event("z", "signup", at(3))
    settings = {**PLAIN, "conversion": {"event": "purchase", "value": "price", "window": "P1D"}}
    f = flow([node("t", "trigger", event="add_to_cart"),
              node("s", "split", condition={"property": "total_spent", "op": "=", "value": 12.5}),
              node("y", "send_email", template="t", subject="s"), node("n", "send_email", template="t", subject="s")],
             [edge("t", "s"), edge("s", "y", "yes"), edge("s", "n", "no")], settings)
    r = simulate(f, s.engine, save=False)
    assert r.revenue == 12.5  # credited to day 0's email
    assert r.nodes["s"].exits == {"no": 1, "yes": 1}  # day 1: total_spent 12.5 as well
