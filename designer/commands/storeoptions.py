"""What every store command shares: the ``--db`` and ``--key-file`` options, ``--currency``
checked, and an existing store opened (the import commands in
:mod:`designer.commands.importing`, the others in :mod:`designer.commands.store`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from designer.commands.errors import CommandError
from designer.store.db import StoreError, open_store
from designer.store.keys import KEY_FILE_ENV, use_key_file


def add_db_options(p: argparse.ArgumentParser) -> None:
    """``--db`` (the store) and ``--key-file`` (its pseudonymisation key), alike on every store command."""
    p.add_argument("--db", required=True, metavar="DB", help="event store: a SQLite file (created if new) or a database URL")
    p.add_argument(
        "--key-file", metavar="PATH",
        help=f"the file keeping the store's pseudonymisation key (created with a new store when missing); "
        f"default: ${KEY_FILE_ENV}, else the keyring, else the data folder",
    )


def use_key_file_of(args: argparse.Namespace) -> None:
    """The ``--key-file`` given, for every store opened by this command (designer.store.keys)."""
    use_key_file(getattr(args, "key_file", None))  # none given: the environment and the keyring decide


def add_currency_option(p: argparse.ArgumentParser, text: str) -> None:
    """``--currency``, its help saying what the currency is of on this command."""
    p.add_argument("--currency", metavar="CODE", help=text)


def checked_currency(code: str | None) -> str | None:
    """The ISO 4217 code given (None when none was), checked before any work starts: exit 2 if unknown."""
    from designer.store.settings import check_currency

    if code is None:
        return None
    try:
        return check_currency(code)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None


def open_existing(db: str):
    """The store at ``db``, which must exist already (a command that reads one never creates it:
    a mistyped path is named, not created empty)."""
    if "://" not in db and not Path(db).expanduser().exists():
        raise CommandError(f"{db}: no such store; create one with 'python main.py sample --db {db}' "
                           "or import events first", 2)
    try:
        return open_store(db)
    except StoreError as exc:
        raise CommandError(str(exc), 2) from None
