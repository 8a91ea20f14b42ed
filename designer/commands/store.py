"""Event store commands: ``stats``, ``sample``, ``store-settings``, ``forget``
(the import commands are in :mod:`designer.commands.importing`).

Exit codes: 0 the command finished; 1 the input names something that is not there
(``forget`` of an unknown customer); 2 the store could not be read or written.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from designer.commands.errors import CommandError
from designer.commands.storeoptions import add_currency_option, add_db_options, checked_currency, open_existing, use_key_file_of
from designer.store.bookkeeping import counts_text, pid_alive
from designer.store.db import StoreError
from designer.store.text import terminal_text
from designer.store.timeparse import format_ms


def register(sub: argparse._SubParsersAction) -> None:
    s = sub.add_parser("stats", help="what the store holds: customers, events per name, time span, imports")
    add_db_options(s)
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(func=run_stats)

    g = sub.add_parser(
        "sample",
        help="generate a realistic sample shop into a new store",
        description="Fill a new store with invented customers, sessions, carts, purchases and email engagement. "
        "The same seed always gives the same data.",
    )
    add_db_options(g)
    g.add_argument("--customers", type=int, default=500, metavar="N", help="customers (default 500)")
    g.add_argument("--days", type=int, default=60, metavar="D", help="days of history (default 60)")
    g.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    g.add_argument("--currency", default="USD", metavar="CODE", help="the shop's currency (default USD)")
    g.add_argument("--json", action="store_true", help="print the summary as JSON")
    g.set_defaults(func=run_sample)

    t = sub.add_parser(
        "store-settings",
        help="show or change the store's settings (its currency)",
        description="Without options, print the store's settings; with --currency, record the currency its "
        "prices are in (ISO 4217, e.g. EUR). Revenue is shown in this currency.",
    )
    add_db_options(t)
    add_currency_option(t, "the currency of the store's prices (ISO 4217, e.g. EUR)")
    t.add_argument("--export-key", metavar="FILE",
                   help="write the store's pseudonymisation key to FILE, a key file to keep safe (another computer, "
                   "a backup: give it with --key-file)")
    t.add_argument("--json", action="store_true", help="print the settings as JSON")
    t.set_defaults(func=run_store_settings)

    f = sub.add_parser(
        "forget",
        help="erase one customer's profile and events (right to erasure)",
        description="Delete a customer and all their events for good. The store keeps only a note that an "
        "erasure happened (when, how many events) and a keyed hash of the id, so later imports refuse that id's "
        "events (rejects 'erased customer'). Exit 0 when erased (or erased before), 1 if there is no such "
        "customer.",
    )
    f.add_argument("customer", metavar="CUSTOMER", help="the customer's external id (as imported)")
    add_db_options(f)
    f.add_argument("--json", action="store_true", help="print the result as JSON")
    f.set_defaults(func=run_forget)


def run_stats(args: argparse.Namespace) -> int:
    use_key_file_of(args)
    from designer.store.stats import store_stats

    engine = open_existing(args.db)
    stats = store_stats(engine)
    for item in stats.imports:
        if item["status"] == "running" and not _pid_alive_row(item, engine):
            item["status"] = "interrupted"
    if args.json:
        print(json.dumps(stats.to_json()))
        return 0
    print(f"store      {terminal_text(stats.store)} (schema {stats.schema_version})")
    print(f"currency   {stats.currency}")
    print(f"customers  {stats.customers:,}")
    print(f"events     {stats.events:,}  from {format_ms(stats.first_event)} to {format_ms(stats.last_event)}")
    for name, count in stats.events_by_name.items():
        print(f"  {terminal_text(name):<20} {count:>12,}")
    if stats.imports:
        print("imports")
        for i in stats.imports:
            print(
                f"  #{i['id']:<4} {i['kind']:<9} {i['status']:<12} read {i['read']:,} loaded {i['loaded']:,} "
                f"rejected {i['rejected']:,} duplicates {i['duplicates']:,}  {terminal_text(i['file'])}"
            )
            if i["reject_counts"]:
                print(f"        rejected by reason: {terminal_text(counts_text(i['reject_counts']))}")
    print(f"runs       {stats.runs:,}")
    if stats.erasures:
        print(f"erasures   {stats.erasures:,}")
    return 0


def _pid_alive_row(item: dict, engine) -> bool:
    from sqlalchemy import select

    from designer.store.schema import imports

    with engine.connect() as conn:
        row = conn.execute(select(imports.c.pid, imports.c.host).where(imports.c.id == item["id"])).one()
    return pid_alive(row.pid, row.host)


def run_sample(args: argparse.Namespace) -> int:
    use_key_file_of(args)
    from designer.store.sample import generate

    if args.customers < 1 or args.days < 1:
        raise CommandError("--customers and --days must be at least 1", 2)
    currency = checked_currency(args.currency)
    try:
        summary = generate(args.db, args.customers, args.days, args.seed)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None
    from designer.store.settings import set_store_currency

    set_store_currency(args.db, currency)
    print(
        f"{args.db}: {summary.customers:,} customers, {summary.events:,} events from {format_ms(summary.start)} "
        f"to {format_ms(summary.end)} in {summary.seconds:.1f} s"
    )
    if args.json:
        print(json.dumps({"customers": summary.customers, "events": summary.events, "start": summary.start,
                          "end": summary.end, "seconds": round(summary.seconds, 3)}))
    return 0


def run_forget(args: argparse.Namespace) -> int:
    use_key_file_of(args)
    from designer.store.privacy import NotFound, ReaderHolds, forget

    engine = open_existing(args.db)
    try:
        erasure = forget(engine, args.customer)
    except NotFound as exc:
        raise CommandError(terminal_text(str(exc)), 1) from None
    except ReaderHolds as exc:  # erased, but not yet out of the file
        raise CommandError(terminal_text(str(exc)), 2) from None
    except StoreError as exc:  # the key is lost; the store is busy
        raise CommandError(terminal_text(str(exc)), 2) from None
    shown = terminal_text(repr(args.customer))
    if erasure.already_erased:
        left = f"; removed {erasure.orphans_deleted:,} events it had left behind" if erasure.orphans_deleted else ""
        print(f"customer {shown} was already erased{left}; their later events are refused on import")
    else:
        print(f"erased customer {shown} and {erasure.events_deleted:,} events; the store keeps only a note "
              "that an erasure happened, and refuses the id's later events on import")
    if args.json:
        print(json.dumps({"events_deleted": erasure.events_deleted, "time": erasure.time,
                          "already_erased": erasure.already_erased, "orphans_deleted": erasure.orphans_deleted}))
    return 0


def _export_key(engine, path: Path) -> None:
    from designer.store.keys import export_key, store_key_id

    with engine.connect() as conn:
        kid = store_key_id(conn)
    if kid is None:
        raise CommandError("the store names no pseudonymisation key", 2)
    try:
        export_key(kid, path)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None
    print(f"key {kid} written to {terminal_text(path)}: keep it apart from the store")


def run_store_settings(args: argparse.Namespace) -> int:
    use_key_file_of(args)
    from designer.store.settings import set_store_currency, store_currency

    engine = open_existing(args.db)
    currency = checked_currency(args.currency)
    try:
        if currency is not None:
            set_store_currency(engine, currency)
        current = store_currency(engine)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None
    if args.export_key:
        _export_key(engine, Path(args.export_key))
    print(f"currency   {current}")
    if args.json:
        print(json.dumps({"currency": current}))
    return 0
