"""Import commands: ``import`` (events, or ``--rollback`` of one) and ``import-customers``.

Exit codes: 0 the import finished (with rejected rows still finished); 1 the file's
compressed data is bad (nothing from it is kept), or there is no import of the file to
roll back; 2 the file, mapping or store could not be read; 130 an import stopped by
Ctrl-C (resumable: run the same command again).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from designer.commands.errors import CommandError
from designer.commands.storeoptions import add_currency_option, add_db_options, checked_currency, use_key_file_of
from designer.store.db import StoreError
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
    add_db_options(p)
    how = p.add_mutually_exclusive_group()
    how.add_argument("--preset", choices=sorted(PRESETS), help="column mapping of a known format (default: generic)")
    how.add_argument(
        "--map",
        metavar="JSON",
        help='column mapping as JSON or a JSON file, e.g. \'{"customer": "user", "event": "action", "time": "at"}\' '
        '(may extend a preset: {"preset": "rees46", ...})',
    )
    p.add_argument("--tz", default="UTC", metavar="ZONE", help="IANA zone for times written without one (default UTC)")
    add_currency_option(p, "the currency of the file's prices, recorded as the store's (ISO 4217, e.g. EUR)")
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
    add_db_options(c)
    _privacy(c)
    c.add_argument("--force", action="store_true", help="read the file even if it was imported already")
    c.add_argument("--json", action="store_true", help="print the summary as JSON (the last line)")
    c.set_defaults(func=run_import_customers)


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
    use_key_file_of(args)
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
    currency = checked_currency(args.currency)
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
    use_key_file_of(args)
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
