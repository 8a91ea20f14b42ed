"""``audit RUN --db STORE [--customer ID] [--csv FILE]``: a stored run's decisions, customer by customer."""

from __future__ import annotations

import argparse
import sys

from designer.commands.errors import CommandError
from designer.commands.storeoptions import open_existing
from designer.engine import clock
from designer.engine.audit import AuditError, audit_csv, audit_customer
from designer.engine.simulate import SimulationError
from designer.model.io import atomic_write_text


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="a stored run's audit log: triggers, list changes, skips and why",
                       description="For a run kept in the store (its id is in 'simulate' output and the editor's "
                       "Results), list when each trigger fired for the customer, every list or profile change, "
                       "each message and each skip with the rule that decided it. --csv writes the log (of "
                       "every customer the run could have entered, without --customer).")
    p.add_argument("run", type=int, metavar="RUN", help="the run's id")
    p.add_argument("--db", required=True, metavar="STORE", help="the event store the run is kept in")
    p.add_argument("--customer", metavar="ID", help="the customer's external id")
    p.add_argument("--csv", metavar="FILE", help="write the log as CSV")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.customer is None and args.csv is None:
        raise CommandError("give --customer ID to list one customer's log, or --csv FILE for everyone's", 2)
    engine = open_existing(args.db)
    try:
        if args.csv:
            audit, text = audit_csv(engine, args.run, args.customer)
            try:
                atomic_write_text(args.csv, text)
            except OSError as exc:
                raise CommandError(f"{args.csv}: {exc.strerror or exc}", 2) from None
            print(f"wrote {len(audit.rows):,} decisions of run {args.run} to {args.csv}; {audit.note()}")
            return 0
        audit = audit_customer(engine, args.run, args.customer)
    except (AuditError, SimulationError) as exc:
        raise CommandError(str(exc), 2) from None
    finally:
        engine.dispose()
    runs = ", ".join(f"run {r.id} ({r.flow_id})" for r in audit.runs)
    print(f"{runs}: customer {args.customer}; {audit.note()}")
    if not audit.rows:
        print("no decisions: the customer had no trigger event in the run's window")
    for row in audit.rows:
        where = f"{row.flow}/{row.node}" if row.node else row.flow
        print(f"{clock.iso(row.time)}  {where:<22} {row.decision}: {row.rule}".rstrip(": "), file=sys.stdout)
    return 0
