"""``score --db STORE --report``: how well the predictive scores predict, on held-back customers."""

from __future__ import annotations

import argparse
import json

from designer.commands.errors import CommandError
from designer.commands.storeoptions import open_existing
from designer.engine import clock
from designer.engine.scores import CLV_DAYS, HORIZON_DAYS, ScoresUnavailable, report_for_store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="train the predictive scores on the store and report their quality",
                       description=f"purchase_score is the probability of a purchase in the next {HORIZON_DAYS} "
                       f"days, predicted_clv the revenue expected in the next {CLV_DAYS} days; conditions read "
                       "them like any fact. In a backtest a journey only sees a score from a model trained on "
                       "data before its moment (monthly cut-offs).")
    p.add_argument("--db", required=True, metavar="STORE", help="the event store (path or SQLAlchemy URL)")
    p.add_argument("--report", action="store_true", help="train on four fifths of the customers and report AUC "
                   "and calibration on the rest (the default action)")
    p.add_argument("--event", default="purchase", help="the purchase event (default purchase)")
    p.add_argument("--value", default="price", help="the order value property (default price)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    engine = open_existing(args.db)
    try:
        report = report_for_store(engine, args.event, args.value)
    except ScoresUnavailable as exc:
        raise CommandError(str(exc)) from None
    except ValueError as exc:
        raise CommandError(f"{args.db}: {exc}") from None
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(report.to_json()))
        return 0
    print(f"purchase_score: probability of a '{args.event}' in the next {HORIZON_DAYS} days")
    print(f"features as of {clock.iso(report.cutoff - HORIZON_DAYS * 86_400_000)}, outcomes up to "
          f"{clock.iso(report.cutoff)}; trained on {report.trained_on} customers; "
          f"judged on {report.held_back} held-back customers")
    print(f"base rate {report.base_rate:.1%}; AUC " + ("n/a" if report.auc is None else f"{report.auc:.3f}")
          + "; Brier " + ("n/a" if report.brier is None else f"{report.brier:.4f}"))
    if report.calibration:
        print("calibration (predicted -> observed, customers):")
        for p, o, n in report.calibration:
            print(f"  {p:6.1%} -> {o:6.1%}  ({n})")
    cut = ", ".join(clock.iso(c)[:10] for c in report.monthly_cutoffs) or "none (history too short)"
    print(f"backtests use the model of the latest monthly cut-off before each decision: {cut}")
    return 0
