"""Derived customer facts as of a moment: the pure function and the SQL variant agree."""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from designer.store.db import open_store
from designer.store.facts import DAY_MS, CustomerFacts, customer_facts, customer_facts_sql
from designer.store.sample import generate
from designer.store.schema import events

T0 = 1_714_557_600_000


def test_facts_count_only_what_happened_by_then():
    history = [
        ("view", T0, "{}"),
        ("purchase", T0 + DAY_MS, '{"price": 20.5, "cart_id": "k"}'),
        ("purchase", T0 + 3 * DAY_MS, {"price": 10}),
        ("email_open", T0 + 4 * DAY_MS, None),
        ("purchase", T0 + 10 * DAY_MS, '{"price": 99}'),  # in the future for as_of below
    ]
    facts = customer_facts(history, as_of=T0 + 5 * DAY_MS)
    assert facts == CustomerFacts(
        first_seen=T0, last_seen=T0 + 4 * DAY_MS, order_count=2, total_spent=30.5,
        last_order=T0 + 3 * DAY_MS, days_since_last_order=2.0,
    )
    # An event at exactly as_of has happened.
    assert customer_facts(history, as_of=T0 + 10 * DAY_MS).order_count == 3
    assert customer_facts(history, as_of=T0 - 1) == CustomerFacts()


def test_facts_accept_mappings_objects_and_any_order():
    rows = [
        {"name": "purchase", "time": T0 + 5, "properties": {"price": 5}},
        SimpleNamespace(name="view", time=T0, properties=None),
    ]
    facts = customer_facts(rows, as_of=T0 + DAY_MS)
    assert (facts.first_seen, facts.last_seen, facts.order_count, facts.total_spent) == (T0, T0 + 5, 1, 5.0)
    assert facts.as_dict()["days_since_last_order"] == pytest.approx((DAY_MS - 5) / DAY_MS)


def test_non_numeric_values_add_nothing_and_names_are_configurable():
    rows = [
        ("order", T0, '{"amount": "12"}'),
        ("order", T0, '{"amount": true}'),
        ("order", T0, '{"amount": 7.25}'),
        ("order", T0, "not json"),
        ("purchase", T0, '{"amount": 100}'),
    ]
    facts = customer_facts(rows, T0, order_event="order", value_property="amount")
    assert facts.order_count == 4 and facts.total_spent == 7.25


def test_sql_facts_match_the_pure_function_on_the_sample_store(tmp_path):
    path = tmp_path / "s.db"
    summary = generate(path, customers=300, days=30, seed=5)
    as_of = summary.start + 20 * DAY_MS
    engine = open_store(path)
    sql = customer_facts_sql(engine, as_of)
    by_customer = defaultdict(list)
    with engine.connect() as conn:
        for cid, name, t, props in conn.execute(select(events.c.customer_id, events.c.name, events.c.time, events.c.properties)):
            by_customer[cid].append((name, t, props))
        some = customer_facts_sql(conn, as_of, [1, 2, 3])
    engine.dispose()
    checked = 0
    for cid, rows in by_customer.items():
        pure = customer_facts(rows, as_of)
        if pure.first_seen is None:
            assert cid not in sql
            continue
        assert sql[cid].order_count == pure.order_count
        assert sql[cid].total_spent == pytest.approx(pure.total_spent)
        assert (sql[cid].first_seen, sql[cid].last_seen, sql[cid].last_order) == (pure.first_seen, pure.last_seen, pure.last_order)
        checked += 1
    assert checked > 100
    assert any(f.order_count for f in sql.values())
    assert set(some) <= {1, 2, 3}
