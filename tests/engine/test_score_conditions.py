"""Predictive scores in flow conditions: a split on ``purchase_score`` routes every journey as the
monthly model predicts from features counted by plain SQL; a purchase planted after a moment changes
no decision before it; helpers get the same models; the validator names score tests that cannot
mean what they say; a flow test scripts a customer's score."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import text

from designer.engine import scores
from designer.engine.flowtests import run_case
from designer.engine.simulate import history_span, simulate
from designer.model import testfile
from designer.model.validate import validate
from designer.store.db import open_store
from designer.store.sample import generate
from tests.engine.tinystore import PLAIN, TinyStore, edge, flow, node

DAY = 86_400_000
THRESHOLD = 0.6


def _score_flow(condition: dict | None = None):
    condition = condition or {"property": "purchase_score", "op": ">=", "value": THRESHOLD}
    return flow([node("t", "trigger", event="add_to_cart"), node("s", "split", condition=condition),
                 node("y", "send_email", template="x", subject="s"), node("n", "exit")],
                [edge("t", "s"), edge("s", "y", "yes"), edge("s", "n", "no")], PLAIN, flow_id="scored")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    db = tmp_path_factory.mktemp("scores") / "shop.db"
    generate(db, customers=300, days=100, seed=11)
    return db


def _sql_features(conn, customer: int, now: int) -> list[float] | None:
    """The model's features for ``customer`` from their events strictly before ``now``, by plain SQL."""
    seen = conn.execute(text("SELECT min(time) FROM events WHERE customer_id = :c AND time < :t"),
                        {"c": customer, "t": now}).scalar()
    if seen is None:
        return None
    n, spent, last = conn.execute(text(
        "SELECT count(*), coalesce(sum(json_extract(properties, '$.price')), 0), max(time) FROM events "
        "WHERE customer_id = :c AND name = 'purchase' AND time < :t"), {"c": customer, "t": now}).one()

    def recent(name: str) -> int:
        return conn.execute(text("SELECT count(*) FROM events WHERE customer_id = :c AND name = :n "
                                 "AND time >= :lo AND time < :t"),
                            {"c": customer, "n": name, "lo": now - 30 * DAY, "t": now}).scalar()

    recency = min((now - last) / DAY, 365.0) if n else 365.0
    return [1.0 if n else 0.0, recency, math.log1p(n), math.log1p(spent), min((now - seen) / DAY, 3650.0),
            math.log1p(recent("view")), math.log1p(recent("add_to_cart"))]


def test_a_split_on_purchase_score_routes_as_the_monthly_model_predicts(shop):
    engine = open_store(shop)
    book = scores.book_for_store(engine)
    assert len(book.cutoffs) >= 2  # several months, several models
    yes = no = scored = 0
    with engine.connect() as conn:
        carts = conn.execute(text("SELECT customer_id, time FROM events WHERE name = 'add_to_cart'")).all()
        for customer, t in carts:
            model = book.model_at(t)
            x = _sql_features(conn, customer, t) if model is not None else None
            p = model.score(x) if x is not None else None  # unknown before the first model: the test fails
            scored += p is not None
            if p is not None and p >= THRESHOLD:
                yes += 1
            else:
                no += 1
    assert yes > 0 and no > 0 and scored > yes
    one = simulate(_score_flow(), engine, save=False, workers=1)
    assert (one.nodes["s"].exits.get("yes", 0), one.nodes["s"].exits.get("no", 0)) == (yes, no)
    # Helper processes apply the models the run trained, so a partitioned run routes the same.
    two = simulate(_score_flow(), engine, save=False, workers=2)
    assert two.nodes["s"].exits == one.nodes["s"].exits
    engine.dispose()


def test_a_planted_purchase_changes_no_decision_before_it(shop, tmp_path):
    copy = tmp_path / "planted.db"
    copy.write_bytes(shop.read_bytes())
    engine = open_store(copy)
    book = scores.book_for_store(engine)
    planted = book.cutoffs[0] + 10 * DAY  # a month with a model, and decisions before and after it
    first, _last = history_span(engine)
    window = (first, planted)
    before = simulate(_score_flow(), engine, save=False, workers=1, window=window)
    assert before.nodes["s"].exits.get("yes", 0) > 0
    with engine.begin() as conn:
        ids = conn.execute(text("SELECT id FROM customers ORDER BY id LIMIT 150")).scalars().all()
        for k, cid in enumerate(ids):
            conn.execute(text("INSERT INTO events (customer_id, name, time, properties, dedupe_key) "
                              "VALUES (:c, 'purchase', :t, '{\"price\": 999}', :d)"),
                         {"c": cid, "t": planted + k * 60_000, "d": f"planted-{k}"})
    after_book = scores.book_for_store(engine)
    assert after_book.models[-1] != book.models[-1]  # later models learnt from the planted purchases
    after = simulate(_score_flow(), engine, save=False, workers=1, window=window)
    assert after.nodes["s"].exits == before.nodes["s"].exits
    assert after.nodes["y"].entered == before.nodes["y"].entered
    engine.dispose()


def test_predicted_clv_routes_as_the_value_model_predicts(tmp_path):
    db = tmp_path / "long.db"
    generate(db, customers=400, days=150, seed=11)  # the value model needs 90 days before a cut-off
    engine = open_store(db)
    book = scores.book_for_store(engine)
    acts = dict(scores.store_activities(engine))
    with engine.connect() as conn:
        carts = conn.execute(text("SELECT customer_id, time FROM events WHERE name = 'add_to_cart'")).all()
    values = [book.scores(acts[str(c)], t)["predicted_clv"] for c, t in carts]
    known = sorted(v for v in values if v is not None)
    assert len(known) > 20 and len(known) < len(values)  # early journeys have no value model yet
    bar = known[len(known) // 2]
    expected = sum(1 for v in values if v is not None and v > bar)
    r = simulate(_score_flow({"property": "predicted_clv", "op": ">", "value": bar}), engine, save=False,
                 workers=1)
    assert r.nodes["s"].exits.get("yes", 0) == expected > 0
    engine.dispose()


def test_too_little_history_leaves_the_score_unknown_whatever_the_profile_says():
    s = TinyStore()
    s.customer("keen", purchase_score=0.9)
    s.customer("cool", purchase_score=0.1)
    s.customer("blank")
    for who in ("keen", "cool", "blank"):
        s.event(who, "add_to_cart", 1_736_150_400_000)
    # A stored property of that name might know the future: a backtest never reads it.
    assert simulate(_score_flow(), s.engine, save=False).nodes["s"].exits == {"no": 3}
    # Only a flow test's scripted customers carry their scores as properties.
    scripted = simulate(_score_flow(), s.engine, save=False, scripted_scores=True)
    assert scripted.nodes["s"].exits == {"yes": 1, "no": 2}


def test_a_flow_test_scripts_the_score():
    f = _score_flow()
    base = {"name": "keen", "customer": {"id": "ana", "consent": True, "properties": {"purchase_score": 0.8}},
            "events": [{"at": "2025-03-03T10:00:00Z", "event": "add_to_cart", "properties": {}}],
            "until": "2025-03-04T00:00:00Z", "expect": {"visits": ["t", "s", "y"]}}
    assert run_case(f, testfile.TestCase.model_validate(base)).passed
    base["customer"]["properties"]["purchase_score"] = 0.3
    result = run_case(f, testfile.TestCase.model_validate(base))
    assert not result.passed and "visits" in " ".join(result.failures)


@pytest.mark.parametrize("condition, severity, words", [
    ({"property": "purchase_score", "op": ">=", "value": 60}, "warning", "write 0.6"),
    ({"property": "purchase_score", "op": "=", "value": "high"}, "error", "give a number"),
    ({"all": [{"event": "view"}, {"property": "predicted_clv", "op": "contains", "value": "1"}]}, "error",
     "not 'contains'"),
    ({"not": {"property": "predicted_clv", "op": "<", "value": -5}}, "warning", "at least 0"),
])
def test_the_validator_names_a_score_test_that_cannot_mean_what_it_says(condition, severity, words):
    found = [p for p in validate(_score_flow(condition)) if p.code == "score-test"]
    assert len(found) == 1, found
    p = found[0]
    assert (p.severity, p.node) == (severity, "s") and words in p.message
    assert p.path.startswith("nodes[1].config.condition")


def test_a_sound_score_test_has_no_problem():
    assert not [p for p in validate(_score_flow()) if p.code == "score-test"]
    exit_rule = {**PLAIN, "exit_when": {"property": "purchase_score", "op": ">", "value": 2}}
    f = flow([node("t", "trigger", event="add_to_cart"), node("y", "send_email", template="x", subject="s")],
             [edge("t", "y")], exit_rule)
    (p,) = [p for p in validate(f) if p.code == "score-test"]
    assert p.path == "settings.exit_when" and p.node is None
