"""Predictive scores from the shop's own history: ``purchase_score`` and ``predicted_clv``.

``purchase_score`` is the probability that a customer buys in the next
:data:`HORIZON_DAYS` days; ``predicted_clv`` the revenue they are expected to
bring in the next :data:`CLV_DAYS` days. Both come from models trained on
recency, frequency, monetary value, tenure and recent browsing (views and
add-to-carts in the last 30 days), with scikit-learn: a logistic regression
for the score and a Poisson regression for the value, each on standardised
features. Both are linear in the features, so the engine evaluates them per
journey with a dot product instead of a call into scikit-learn.

Honesty: a backtest must not let a journey see a score that knows the
future. Models are trained on a rolling cut-off, one per calendar month
(UTC): the model of cut-off C learns from features as of C - horizon and
what happened between then and C, so it uses nothing at or after C. A
journey deciding at time T uses the newest model whose cut-off is at or
before T, applied to its own events before T. Before the first cut-off with
enough history there is no model, and the score is unknown (a condition on
it is false), never a guess from later data.
"""

from __future__ import annotations

import math
import warnings
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from hashlib import blake2b
from typing import Any

from designer.engine.facts import SCORE_FACTS, SCORES, Orders, order_value
from designer.engine.history import History

DAY_MS = 86_400_000
#: The purchase score's horizon, and the window "recent browsing" counts.
HORIZON_DAYS = 30
RECENT_DAYS = 30
#: The value prediction's horizon.
CLV_DAYS = 90
FEATURES = ("has_ordered", "recency_days", "log_orders", "log_spent", "tenure_days", "log_views_30d",
            "log_carts_30d")
#: Fewest customers, and fewest of each outcome, a model is trained on.
MIN_SAMPLES, MIN_CLASS = 50, 5


class ScoresUnavailable(RuntimeError):
    """scikit-learn is missing: the message names the extra to install."""


def _sklearn():
    try:
        import numpy
        from sklearn.linear_model import LogisticRegression, PoissonRegressor
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        raise ScoresUnavailable("predictive scores need scikit-learn: "
                                "pip install 'trigger-flow-designer[scores]'") from None
    return numpy, LogisticRegression, PoissonRegressor, StandardScaler


@dataclass(frozen=True)
class Activity:
    """One customer's events as the features read them: times (sorted) per kind, order values."""

    orders: Sequence[int]
    values: Sequence[float]
    views: Sequence[int]
    carts: Sequence[int]
    first_seen: int | None


def features(a: Activity, now: int) -> list[float] | None:
    """The feature vector from events strictly before ``now``; None if the customer had none yet."""
    if a.first_seen is None or a.first_seen >= now:
        return None
    n = bisect_right(a.orders, now - 1)
    spent = sum(a.values[:n])
    recency = (now - a.orders[n - 1]) / DAY_MS if n else 365.0
    recent = now - RECENT_DAYS * DAY_MS
    views = bisect_right(a.views, now - 1) - bisect_right(a.views, recent - 1)
    carts = bisect_right(a.carts, now - 1) - bisect_right(a.carts, recent - 1)
    return [1.0 if n else 0.0, min(recency, 365.0), math.log1p(n), math.log1p(max(spent, 0.0)),
            min((now - a.first_seen) / DAY_MS, 3650.0), math.log1p(views), math.log1p(carts)]


def outcome(a: Activity, start: int, end: int) -> tuple[bool, float]:
    """(bought in [start, end), revenue in it)."""
    lo, hi = bisect_right(a.orders, start - 1), bisect_right(a.orders, end - 1)
    return hi > lo, float(sum(a.values[lo:hi]))


@dataclass(frozen=True)
class LinearModel:
    """``link(weights . x + intercept)`` with the scaler folded into the weights."""

    weights: tuple[float, ...]
    intercept: float
    link: str  # "logistic" | "exp"

    def __call__(self, x: Sequence[float]) -> float:
        z = self.intercept + sum(w * v for w, v in zip(self.weights, x))
        if self.link == "logistic":
            return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
        return math.exp(min(z, 50.0))


def _fold(scaler, coef, intercept, link: str) -> LinearModel:
    scale = [s if s else 1.0 for s in scaler.scale_]
    weights = tuple(float(c / s) for c, s in zip(coef, scale))
    b = float(intercept - sum(c * m / s for c, m, s in zip(coef, scaler.mean_, scale)))
    return LinearModel(weights, b, link)


@dataclass(frozen=True)
class CutoffModels:
    cutoff: int
    score: LinearModel | None
    clv: LinearModel | None
    samples: int


def train(rows: list[tuple[list[float], bool, float]]) -> tuple[LinearModel | None, LinearModel | None]:
    """The score and value models from (features, bought, revenue) rows (None where too few)."""
    if len(rows) < MIN_SAMPLES:
        return None, None
    numpy, LogisticRegression, PoissonRegressor, StandardScaler = _sklearn()
    x = numpy.array([r[0] for r in rows], dtype=float)
    bought = numpy.array([r[1] for r in rows], dtype=int)
    revenue = numpy.array([max(r[2], 0.0) for r in rows], dtype=float)
    scaler = StandardScaler().fit(x)
    xs = scaler.transform(x)
    score = clv = None
    positives = int(bought.sum())
    if MIN_CLASS <= positives <= len(rows) - MIN_CLASS:
        lr = LogisticRegression(max_iter=1000).fit(xs, bought)
        score = _fold(scaler, lr.coef_[0], lr.intercept_[0], "logistic")
    if positives >= MIN_CLASS:
        with warnings.catch_warnings(), numpy.errstate(divide="ignore"):
            # The deviance's log of a zero prediction on the way to the optimum is harmless.
            warnings.simplefilter("ignore", RuntimeWarning)
            pr = PoissonRegressor(alpha=1e-3, max_iter=1000).fit(xs, revenue)
        clv = _fold(scaler, pr.coef_, pr.intercept_, "exp")
    return score, clv


def month_starts(first: int, last: int) -> list[int]:
    """Midnight UTC of the first day of each month after ``first`` up to ``last``."""
    d = datetime.fromtimestamp(first / 1000, timezone.utc)
    out = []
    y, m = d.year, d.month
    while True:
        m += 1
        if m > 12:
            y, m = y + 1, 1
        t = int(datetime(y, m, 1, tzinfo=timezone.utc).timestamp() * 1000)
        if t > last:
            return out
        out.append(t)


@dataclass
class ScoreBook:
    """The models of every monthly cut-off, and the scores they give as of a moment."""

    cutoffs: list[int] = field(default_factory=list)
    models: list[CutoffModels] = field(default_factory=list)

    def model_at(self, now: int) -> CutoffModels | None:
        """The newest model whose cut-off is at or before ``now``."""
        k = bisect_right(self.cutoffs, now)
        return self.models[k - 1] if k else None

    def scores(self, a: Activity, now: int) -> dict[str, float | None]:
        m = self.model_at(now)
        x = features(a, now) if m is not None else None
        if x is None:
            return dict.fromkeys(SCORE_FACTS)
        return {"purchase_score": m.score(x) if m.score else None, "predicted_clv": m.clv(x) if m.clv else None}


class Scorer:
    """A run's score book applied to the customer being interpreted.

    The engine's facts call :meth:`value` with the customer's history (every
    event: a flow reading a score reads them all); the customer's
    :class:`Activity` is built once per customer (customers are interpreted one
    at a time) and each score reads only its events before ``now``, through
    the model of the latest cut-off at or before ``now``.
    """

    __slots__ = ("book", "orders", "_history", "_activity")

    def __init__(self, book: ScoreBook, orders: Orders) -> None:
        self.book, self.orders = book, orders
        self._history: History | None = None
        self._activity: Activity | None = None

    def value(self, name: str, history: History, now: int) -> float | None:
        if history is not self._history:
            orders = self.orders
            self._activity = activity(history.names, history.times,
                                      lambda i: orders.value_of(history.props(i)), orders.event)
            self._history = history
        return self.book.scores(self._activity, now)[name]


def build_book(activities: Iterable[Activity], first: int, last: int) -> ScoreBook:
    """Models for each monthly cut-off between ``first`` and ``last`` (one pass over customers)."""
    cutoffs = month_starts(first, last)
    rows: dict[int, list] = {c: [] for c in cutoffs}
    clv_rows: dict[int, list] = {c: [] for c in cutoffs}
    for a in activities:
        for c in cutoffs:
            s = c - HORIZON_DAYS * DAY_MS
            x = features(a, s)
            if x is not None:
                bought, _ = outcome(a, s, c)
                rows[c].append((x, bought, 0.0))
            s90 = c - CLV_DAYS * DAY_MS
            x90 = features(a, s90)
            if x90 is not None:
                bought90, revenue = outcome(a, s90, c)
                clv_rows[c].append((x90, bought90, revenue))
    book = ScoreBook()
    for c in cutoffs:
        score, _ = train(rows[c])
        _, clv = train(clv_rows[c])
        if score is not None or clv is not None:
            book.cutoffs.append(c)
            book.models.append(CutoffModels(c, score, clv, len(rows[c])))
    return book


def held_back(external_id: str, share: float = 0.2) -> bool:
    """A stable fifth of customers kept out of training, for the quality report."""
    h = int.from_bytes(blake2b(external_id.encode("utf-8", "surrogatepass"), digest_size=4).digest(), "little")
    return h / 2**32 < share


@dataclass
class QualityReport:
    cutoff: int
    trained_on: int
    held_back: int
    base_rate: float
    auc: float | None
    brier: float | None
    #: (mean predicted, observed rate, customers) per bin of predicted probability.
    calibration: list[tuple[float, float, int]]
    monthly_cutoffs: list[int]

    def to_json(self) -> dict[str, Any]:
        return {"cutoff": self.cutoff, "trained_on": self.trained_on, "held_back": self.held_back,
                "base_rate": round(self.base_rate, 4), "auc": None if self.auc is None else round(self.auc, 4),
                "brier": None if self.brier is None else round(self.brier, 4),
                "calibration": [{"predicted": round(p, 4), "observed": round(o, 4), "customers": n}
                                for p, o, n in self.calibration],
                "monthly_cutoffs": self.monthly_cutoffs}


def quality(customers: Iterable[tuple[str, Activity]], first: int, last: int, bins: int = 5) -> QualityReport:
    """Train on four fifths of the customers as of ``last`` - horizon; judge on the held-back fifth."""
    numpy, *_ = _sklearn()
    from sklearn.metrics import brier_score_loss, roc_auc_score

    cutoff = last
    start = cutoff - HORIZON_DAYS * DAY_MS
    train_rows, test_rows = [], []
    everyone = []
    for external_id, a in customers:
        everyone.append(a)
        x = features(a, start)
        if x is None:
            continue
        bought, _ = outcome(a, start, cutoff)
        (test_rows if held_back(external_id) else train_rows).append((x, bought, 0.0))
    model, _ = train(train_rows)
    ys = [r[1] for r in test_rows]
    base = sum(ys) / len(ys) if ys else 0.0
    auc = brier = None
    calibration: list[tuple[float, float, int]] = []
    if model is not None and test_rows and 0 < sum(ys) < len(ys):
        ps = [model(r[0]) for r in test_rows]
        auc = float(roc_auc_score(ys, ps))
        brier = float(brier_score_loss(ys, ps))
        order = numpy.argsort(ps)
        for chunk in numpy.array_split(order, min(bins, len(order))):
            if len(chunk):
                calibration.append((float(numpy.mean([ps[i] for i in chunk])),
                                    float(numpy.mean([ys[i] for i in chunk])), int(len(chunk))))
    book = build_book(everyone, first, last)
    return QualityReport(cutoff, len(train_rows), len(test_rows), base, auc, brier, calibration, book.cutoffs)


def activity(names: Sequence[str], times: Sequence[int], values: Callable[[int], float],
             order_event: str, cursor: int | None = None) -> Activity:
    """An :class:`Activity` from a customer's event columns (the first ``cursor`` events)."""
    n = len(times) if cursor is None else cursor
    orders, vals, views, carts = [], [], [], []
    for i in range(n):
        name = names[i]
        if name == order_event:
            orders.append(times[i])
            vals.append(values(i))
        elif name == "view":
            views.append(times[i])
        elif name == "add_to_cart":
            carts.append(times[i])
    return Activity(orders, vals, views, carts, times[0] if n else None)


def store_activities(engine, order_event: str = "purchase", value_property: str | None = "price"):
    """(customer id as text, Activity) for every customer with events, streamed in customer order,
    and the history's (first, last) event times once the stream is done (see :func:`book_for_store`)."""
    from designer.engine.reader import ReadSpec, ReadStats, reading, stream

    spec = ReadSpec(names=None, time_from=None, time_to=2**62)
    with reading(engine) as conn:
        for cid, rows in stream(conn, engine, spec, ReadStats()):
            h = History(rows, 1)
            if value_property:
                values = lambda i, h=h: order_value(h.props(i).get(value_property))  # noqa: E731
            else:
                values = lambda i: 0.0  # noqa: E731
            yield str(cid), activity(h.names, h.times, values, order_event)


def book_for_store(engine, order_event: str = "purchase", value_property: str | None = "price") -> ScoreBook:
    from designer.engine.run_setup import history_span

    first, last = history_span(engine)
    if first is None:
        return ScoreBook()
    return build_book((a for _, a in store_activities(engine, order_event, value_property)), first, last)


def books_for_run(engine, plans) -> dict[Orders, ScoreBook]:
    """The score book each flow's order definition needs, for the flows whose rules read a score
    (trained once per run, on the whole store: every cut-off's model sees only data before it)."""
    wanted = {Orders(p.conversion_event, p.conversion_value) for p in plans if p.derived_facts & SCORES}
    # A store too short to learn from gives books without models: every score is then unknown
    # (a condition on it is false), never a profile property that may know the future.
    return {o: book_for_store(engine, o.event, o.value) for o in sorted(wanted, key=repr)}


def report_for_store(engine, order_event: str = "purchase", value_property: str | None = "price") -> QualityReport:
    from designer.engine.run_setup import history_span

    first, last = history_span(engine)
    if first is None:
        raise ValueError("the store has no events to learn from")
    return quality(store_activities(engine, order_event, value_property), first, last + 1)
