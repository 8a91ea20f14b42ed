"""Predictive scores: features never read the future, the folded linear models equal
scikit-learn's own predictions, quality figures equal a hand count, and planting a later
purchase leaves every earlier score unchanged."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from designer.engine import scores
from designer.engine.scores import DAY_MS, Activity, features, train
from designer.store.sample import generate
from tests.engine.tinystore import TinyStore, at

ROOT = Path(__file__).resolve().parents[2]


def _population(n: int = 400, seed: int = 3) -> list[Activity]:
    """Customers whose habit of buying carries on: frequent buyers keep buying."""
    rng = random.Random(seed)
    out = []
    start = at(0)
    for _ in range(n):
        rate = rng.choice([0.0, 0.01, 0.05, 0.15])  # orders per day
        orders = sorted(start + int(rng.random() * 120 * DAY_MS) for _ in range(int(rate * 120 + rng.random())))
        views = sorted(start + int(rng.random() * 120 * DAY_MS) for _ in range(rng.randint(0, 20)))
        first = min([start + rng.randint(0, 5) * DAY_MS] + orders + views)
        out.append(Activity(orders, [rng.uniform(10, 90) for _ in orders], views, [], first))
    return out


def test_features_ignore_everything_at_or_after_now():
    a = Activity([at(1), at(5), at(9)], [10.0, 20.0, 40.0], [at(4), at(8)], [at(8)], at(0))
    now = at(5)
    assert features(a, now) == features(Activity([at(1)], [10.0], [at(4)], [], at(0)), now)
    x = features(a, now)
    assert x[0] == 1.0 and x[1] == pytest.approx(4.0) and x[2] == pytest.approx(scores.math.log1p(1))
    assert features(a, at(0)) is None  # nothing seen yet


def test_folded_models_equal_scikit_learns_predictions():
    import numpy
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    acts = _population()
    s, c = at(90), at(120)
    rows = [(features(a, s), *scores.outcome(a, s, c)) for a in acts if features(a, s) is not None]
    model, clv = train(rows)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    pipe.fit(numpy.array([r[0] for r in rows]), numpy.array([int(r[1]) for r in rows]))
    expected = pipe.predict_proba(numpy.array([r[0] for r in rows]))[:, 1]
    assert [model(r[0]) for r in rows] == pytest.approx(list(expected), abs=1e-9)
    assert clv is not None and all(clv(r[0]) >= 0 for r in rows)


def test_quality_figures_equal_a_hand_count():
    acts = _population(600)
    report = scores.quality(((str(i), a) for i, a in enumerate(acts)), at(0), at(120))
    assert report.auc is not None and report.auc > 0.7  # the habit is learnable
    # AUC by hand: the share of (buyer, non-buyer) pairs the score orders right.
    s = at(120) - scores.HORIZON_DAYS * DAY_MS
    rows = [(features(a, s), scores.outcome(a, s, at(120))[0]) for i, a in enumerate(acts)
            if scores.held_back(str(i)) and features(a, s) is not None]
    train_rows = [(features(a, s), scores.outcome(a, s, at(120))[0], 0.0) for i, a in enumerate(acts)
                  if not scores.held_back(str(i)) and features(a, s) is not None]
    model, _ = train(train_rows)
    pos = [model(x) for x, y in rows if y]
    neg = [model(x) for x, y in rows if not y]
    right = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    assert report.auc == pytest.approx(right / (len(pos) * len(neg)))
    assert report.held_back == len(rows) and report.trained_on == len(train_rows)
    assert sum(n for _, _, n in report.calibration) == len(rows)
    assert report.base_rate == pytest.approx(len(pos) / len(rows))


def test_a_planted_future_purchase_changes_no_earlier_score(tmp_path):
    db = tmp_path / "shop.db"
    generate(db, customers=300, days=100, seed=11)
    from designer.store.db import open_store

    engine = open_store(db)
    before = scores.book_for_store(engine)
    decision = before.cutoffs[-1] + 3 * DAY_MS
    acts_before = dict(scores.store_activities(engine))
    assert before.model_at(decision) is not None
    # Plant big purchases for many customers after the decision time.
    store = TinyStore.__new__(TinyStore)
    store.engine, store._n = engine, 10**6
    from sqlalchemy import select
    from designer.store.schema import customers

    with engine.connect() as conn:
        store.ids = {e: i for e, i in conn.execute(select(customers.c.external_id, customers.c.id)).all()[:100]}
    for k, ext in enumerate(store.ids):
        store.event(ext, "purchase", decision + (k + 1) * 60_000, price=999)
    after = scores.book_for_store(engine)
    acts_after = dict(scores.store_activities(engine))
    changed = [c for c in acts_after if acts_before.get(c) != acts_after[c]]
    assert len(changed) == 100  # the planted purchases are there
    unknown = {"purchase_score": None, "predicted_clv": None}
    scored = 0
    for cid, act in acts_after.items():
        was = before.scores(acts_before[cid], decision) if cid in acts_before else unknown
        assert was == after.scores(act, decision), cid
        scored += was["purchase_score"] is not None
    assert scored > 200
    engine.dispose()


def test_score_report_command(tmp_path):
    db = tmp_path / "shop.db"
    generate(db, customers=400, days=100, seed=5)
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "score", "--db", str(db), "--report", "--json"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout.splitlines()[-1])
    assert 0 <= data["auc"] <= 1 and data["held_back"] > 0 and data["monthly_cutoffs"]
    assert "Warning" not in run.stderr


def test_missing_scikit_learn_names_the_extra(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(scores.ScoresUnavailable, match=r"trigger-flow-designer\[scores\]"):
        train([([0.0] * len(scores.FEATURES), i % 2 == 0, 0.0) for i in range(100)])
