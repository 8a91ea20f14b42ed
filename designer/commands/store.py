"""Event store commands: ``import``, ``import-customers``, ``stats``, ``sample``, ``forget``.

Exit codes: 0 the command finished (an import with rejected rows still
finished); 1 the input names something that is not there (``forget`` of an
unknown customer) or is damaged (an import file whose compressed data is
bad: nothing from it is kept); 2 the file, mapping or store could not be read; 130 an
import stopped by Ctrl-C (resumable: run the same command again).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from designer.commands.errors import CommandError
from designer.store.bookkeeping import counts_text, pid_alive
from designer.store.db import StoreError, open_store
from designer.store.keys import KEY_FILE_ENV, use_key_file
from designer.store.importer import (
    DamagedInput,
    ImportFailed,
    ImportOptions,
    ImportSummary,
    Progress,
    import_events,
    imports_of_file,
    rollback_import,
)
from designer.store.mapping import PRESETS, MappingError, load_mapping, preset
from designer.store.text import terminal_text
from designer.store.timeparse import TimeError, format_ms, zone


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="import an event log (CSV or JSON Lines, plain or gzip) into the store",
        description="Import events into the store. Rejected rows are listed by line number and the import goes "
        "on. Importing the same file again adds nothing; an interrupted import resumes when run again "
        "(or use --rollback). Exit 0 when the import finished, 1 when the file is damaged (nothing from it is kept), "
        "2 when it could not run.",
    )
    p.add_argument("file", metavar="FILE", help="CSV or JSON Lines file, optionally .gz")
    _db(p)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--preset", choices=sorted(PRESETS), help="column mapping of a known format (default: generic)")
    how.add_argument(
        "--map",
        metavar="JSON",
        help='column mapping as JSON or a JSON file, e.g. \'{"customer": "user", "event": "action", "time": "at"}\' '
        '(may extend a preset: {"preset": "rees46", ...})',
    )
    p.add_argument("--tz", default="UTC", metavar="ZONE", help="IANA zone for times written without one (default UTC)")
    _currency(p, "the currency of the file's prices, recorded as the store's (ISO 4217, e.g. EUR)")
    _privacy(p)
    p.add_argument("--force", action="store_true", help="read the file even if it was imported already")
    p.add_argument("--rollback", action="store_true", help="remove what the last import of FILE stored, instead of importing")
    p.add_argument("--batch", type=int, default=50_000, metavar="N", help="rows per transaction (default 50000)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON (the last line)")
    p.set_defaults(func=run_import)

    c = sub.add_parser(
        "import-customers",
        help="import customer profiles (CSV: id, email, first name, timezone, consent, ...)",
        description="Create or update customers from a CSV with a header. Columns other than id, email, "
        "first name, timezone and consent become properties. Consent is kept as given (yes/no, true/false, "
        "1/0; empty = unknown); other consent values reject the row.",
    )
    c.add_argument("file", metavar="FILE", help="CSV file with a header, optionally .gz")
    _db(c)
    _privacy(c)
    c.add_argument("--force", action="store_true", help="read the file even if it was imported already")
    c.add_argument("--json", action="store_true", help="print the summary as JSON (the last line)")
    c.set_defaults(func=run_import_customers)

    s = sub.add_parser("stats", help="what the store holds: customers, events per name, time span, imports")
    _db(s)
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.set_defaults(func=run_stats)

    g = sub.add_parser(
        "sample",
        help="generate a realistic sample shop into a new store",
        description="Fill a new store with invented customers, sessions, carts, purchases and email engagement. "
        "The same seed always gives the same data.",
    )
    _db(g)
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
    _db(t)
    _currency(t, "the currency of the store's prices (ISO 4217, e.g. EUR)")
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
    _db(f)
    f.add_argument("--json", action="store_true", help="print the result as JSON")
    f.set_defaults(func=run_forget)


def _db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", required=True, metavar="DB", help="event store: a SQLite file (created if new) or a database URL")
    p.add_argument(
        "--key-file", metavar="PATH",
        help=f"the file keeping the store's pseudonymisation key (created with a new store when missing); "
        f"default: ${KEY_FILE_ENV}, else the keyring, else the data folder",
    )


def _use_key_file(args: argparse.Namespace) -> None:
    """The ``--key-file`` given, for every store opened by this command (designer.store.keys)."""
    use_key_file(getattr(args, "key_file", None))  # none given: the environment and the keyring decide


def _currency(p: argparse.ArgumentParser, text: str) -> None:
    p.add_argument("--currency", metavar="CODE", help=text)


def _checked_currency(code: str | None) -> str | None:
    from designer.store.settings import check_currency

    if code is None:
        return None
    try:
        return check_currency(code)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None


def _privacy(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--pseudonymise",
        action="append",
        default=[],
        metavar="COLUMN",
        help="replace this column's values by a keyed hash (the store's key, kept apart from it) before storing; repeatable",
    )
    p.add_argument("--drop", action="append", default=[], metavar="COLUMN", help="never store this column; repeatable")


def _columns(values: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


class TerminalProgress:
    """A progress bar with rows/s on stderr, redrawn at most a few times a second."""

    def __init__(self, stream=None, width: int = 30) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self._last = 0.0
        self._drawn = False

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        if now - self._last < 0.2 and p.fraction < 1.0 and p.phase == "reading":
            return
        self._last = now
        if p.phase == "indexing":
            self.stream.write(f"\r{' ' * (self.width + 70)}\rbuilding indexes over {p.loaded:,} events ...")
            self.stream.flush()
            self._drawn = True
            return
        filled = int(self.width * p.fraction)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(
            f"\r[{bar}] {p.fraction * 100:5.1f}%  {p.read:,} rows  {p.rows_per_s:,.0f} rows/s  "
            f"{p.rejected:,} rejected  {p.duplicates:,} duplicate "
        )
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()


def _print_summary(summary: ImportSummary, as_json: bool, what: str = "events") -> None:
    if summary.status == "already imported" and summary.earlier_options is not None:
        opts = summary.earlier_options
        print(
            f"{summary.file}: the same content was imported on {format_ms(summary.earlier_started)} "
            f"(import {summary.import_id}) with other options: tz {opts.get('tz', 'UTC')}, pseudonymised "
            f"{', '.join(opts.get('pseudonymise') or []) or 'nothing'}, dropped {', '.join(opts.get('drop') or []) or 'nothing'}; "
            "nothing added. To import it with these options, roll the first back (--rollback) and import again"
        )
    elif summary.status == "already imported":
        print(f"{summary.file}: already imported (import {summary.import_id}); nothing added")
    else:
        resumed = f", resumed after {summary.resumed_at:,} records" if summary.resumed_at else ""
        print(
            f"{summary.file}: {summary.status} in {summary.seconds:.1f} s{resumed} (import {summary.import_id})"
        )
    print(
        f"  read {summary.read:,}  loaded {summary.loaded:,}  rejected {summary.rejected:,}  "
        f"duplicates {summary.duplicates:,}"
    )
    if summary.customers_created:
        print(f"  new customers {summary.customers_created:,}")
    if summary.reject_counts:
        print(f"  rejected by reason: {terminal_text(summary.reasons_text())}")
    for r in summary.rejects[:20]:
        print(f"  line {r.line}: {r.reason}")
    if summary.rejected > 20:
        print(f"  ... {summary.rejected - 20:,} more rejected rows" + (" (first 100 with --json)" if not as_json else ""))
    if as_json:
        print(json.dumps(summary.counts_json()))


def run_import(args: argparse.Namespace) -> int:
    _use_key_file(args)
    if args.rollback:
        return _rollback(args)
    try:
        if args.map:
            mapping = load_mapping(args.map)
        else:
            mapping = preset(args.preset or "generic")
        zone(args.tz)
    except (MappingError, TimeError) as exc:
        raise CommandError(str(exc), 2) from None
    if args.batch < 1:
        raise CommandError("--batch must be at least 1", 2)
    currency = _checked_currency(args.currency)
    options = ImportOptions(
        mapping=mapping,
        tz=args.tz,
        pseudonymise=_columns(args.pseudonymise),
        drop=_columns(args.drop),
        batch_size=args.batch,
        force=args.force,
    )
    bar = TerminalProgress()
    try:
        summary = import_events(args.db, args.file, options, progress=bar)
    except DamagedInput as exc:
        raise CommandError(str(exc), 1) from None  # the file is damaged: the input's problem
    except ImportFailed as exc:
        raise CommandError(str(exc), 2) from None
    finally:
        bar.close()
    if currency is not None:
        from designer.store.settings import set_store_currency

        set_store_currency(args.db, currency)
    _print_summary(summary, args.json)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    try:
        history = imports_of_file(args.db, args.file)
    except (ImportFailed, StoreError) as exc:
        raise CommandError(str(exc), 2) from None
    target = next((h for h in history if h["status"] != "rolled_back"), None)
    if target is None:
        raise CommandError(f"{args.file}: no import of this file to roll back", 1)
    try:
        result = rollback_import(args.db, target["id"])
    except ImportFailed as exc:
        raise CommandError(str(exc), 2) from None
    print(
        f"rolled back import {result.import_id} ({target['status']}): removed {result.events_removed:,} events "
        f"and {result.customers_removed:,} customers it alone brought in"
        + (f"; gave {result.customers_restored:,} customers their earlier values back" if result.customers_restored else "")
    )
    if args.json:
        print(json.dumps({"import_id": result.import_id, "events_removed": result.events_removed,
                          "customers_removed": result.customers_removed,
                          "customers_restored": result.customers_restored}))
    return 0


def run_import_customers(args: argparse.Namespace) -> int:
    _use_key_file(args)
    from designer.store.profiles import import_customers

    bar = TerminalProgress()
    try:
        summary = import_customers(
            args.db, args.file, pseudonymise=_columns(args.pseudonymise), drop=_columns(args.drop),
            force=args.force, progress=bar,
        )
    except ImportFailed as exc:
        raise CommandError(str(exc), 2) from None
    finally:
        bar.close()
    _print_summary(summary, args.json, "customers")
    return 0


def _open_existing(db: str):
    if "://" not in db and not Path(db).expanduser().exists():
        raise CommandError(f"{db}: no such store", 2)
    try:
        return open_store(db)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None


def run_stats(args: argparse.Namespace) -> int:
    _use_key_file(args)
    from designer.store.stats import store_stats

    engine = _open_existing(args.db)
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
    _use_key_file(args)
    from designer.store.sample import generate

    if args.customers < 1 or args.days < 1:
        raise CommandError("--customers and --days must be at least 1", 2)
    currency = _checked_currency(args.currency)
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
    _use_key_file(args)
    from designer.store.privacy import NotFound, ReaderHolds, forget

    engine = _open_existing(args.db)
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
    _use_key_file(args)
    from designer.store.settings import set_store_currency, store_currency

    engine = _open_existing(args.db)
    currency = _checked_currency(args.currency)
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
