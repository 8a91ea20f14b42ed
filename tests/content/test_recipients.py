"""Messages of a trace as moments to preview, and a random recipient of a send in a stored run."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from designer.content.recipients import MessageMoment, NoRecipient, messages_in_trace, random_recipient
from designer.engine.figures import TraceStep
from designer.engine.simulate import simulate
from designer.model import io
from designer.store.db import open_store

CART = Path(__file__).resolve().parents[2] / "flows" / "abandoned_cart.json"


def test_each_sent_step_is_a_message_with_its_journeys_entry_time():
    steps = [
        TraceStep(1000, 0, "n1", "entered", "add_to_cart"),
        TraceStep(1500, -1, "n1", "not entered", "reentry"),
        TraceStep(2000, 1, "n1", "entered", "add_to_cart"),
        TraceStep(4000, 0, "n5", "sent", "email message"),
        TraceStep(4000, 0, "n6", "waiting", ""),
        TraceStep(5000, 1, "n5", "skipped", "smart sending"),
        TraceStep(9000, 1, "n11", "sent", "email message"),
    ]
    assert messages_in_trace(steps, "c7") == [MessageMoment("n5", "c7", 4000, 1000, 0),
                                              MessageMoment("n11", "c7", 9000, 2000, 1)]
    assert messages_in_trace([], "c7") == []


@pytest.fixture(scope="module")
def run(shop):
    flow = io.load(CART)
    result = simulate(flow, shop, workers=1)
    return flow, result


def test_a_random_recipient_really_got_the_message_then(shop, run):
    flow, result = run
    assert result.nodes["n5"].messages > 0
    engine = open_store(shop)
    try:
        got = {random_recipient(engine, result.run_id, "n5", rng=random.Random(seed)) for seed in range(4)}
    finally:
        engine.dispose()
    assert len({m.customer for m in got}) > 1  # the choice is random, not the first customer every time
    for m in got:
        assert m.node == "n5" and m.run_id == result.run_id
        trace = simulate(flow, shop, trace_customer=m.customer, save=False, workers=1).trace
        sent = [s for s in trace if s.what == "sent" and s.node == "n5" and s.time == m.at]
        assert len(sent) == 1 and sent[0].journey == m.journey
        entered = next(s for s in trace if s.what == "entered" and s.journey == m.journey)
        assert m.entry_time == entered.time
        # Second opinion, in plain SQL: the journey began with one of the customer's own cart events.
        with sqlite3.connect(shop) as conn:
            (n,) = conn.execute("SELECT count(*) FROM events e JOIN customers c ON c.id = e.customer_id "
                                "WHERE c.external_id = ? AND e.name = 'add_to_cart' AND e.time = ?",
                                (m.customer, m.entry_time)).fetchone()
        assert n >= 1 and m.entry_time <= m.at


def test_no_recipient_is_said_with_how_many_were_tried(shop, run):
    _flow, result = run
    engine = open_store(shop)
    try:
        with pytest.raises(NoRecipient, match=r"none of the 3 customers tried got n2's message in run \d+"):
            random_recipient(engine, result.run_id, "n2", rng=random.Random(1), tries=3)  # a delay sends nothing
        with pytest.raises(NoRecipient, match="run 99999 is no longer in the store"):
            random_recipient(engine, 99999, "n5")
    finally:
        engine.dispose()


def test_a_rare_message_is_still_found_when_the_run_says_how_many_got_it(shop, run):
    flow, result = run
    f = result.nodes["n10"]
    assert 0 < f.recipients < result.customers_entered / 5  # few of those who entered got it
    engine = open_store(shop)
    try:
        for seed in range(3):
            m = random_recipient(engine, result.run_id, "n10", rng=random.Random(seed), tries=1,
                                 recipients=f.recipients)
            trace = simulate(flow, shop, trace_customer=m.customer, save=False, workers=1).trace
            assert any(s.what == "sent" and s.node == "n10" and s.time == m.at for s in trace)
    finally:
        engine.dispose()
