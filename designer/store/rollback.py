"""Undoing an import: its events, the customers only it brought in, the profile values it changed.

The ``imports`` row stays (status ``rolled_back``) so history shows what happened. Under the
store's write lock, and counted as a deletion of customers (:mod:`designer.store.erased`), so an
import running meanwhile drops the customer ids it cached.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from sqlalchemy import Engine, and_, delete, exists, select

from designer.store.bookkeeping import ImportFailed, now_ms, pid_alive
from designer.store.bulk import pending_rebuild, restore_indexes
from designer.store.db import open_store, write_lock
from designer.store.erased import bump_deleted
from designer.store.profiles import UNDONE
from designer.store.schema import customers, events, imports, profile_changes
from designer.store.opening import SourceError, file_digest

@dataclass(frozen=True)
class Rollback:
    import_id: int
    events_removed: int
    customers_removed: int
    customers_restored: int = 0  # customers a profile import changed, given their values back


def rollback_import(store: str | os.PathLike | Engine, import_id: int) -> Rollback:
    """Remove everything an import stored: its events, and customers that only it brought in.

    A profile import also gives the customers it changed their earlier values
    back (each field unless a later import changed it again).

    The ``imports`` row stays, with status ``rolled_back``, so history shows
    what happened; the same file can then be imported afresh.
    """
    engine = open_store(store)
    with engine.begin() as conn:
        write_lock(conn)  # an import running meanwhile sees the customers removed (see designer.store.erased)
        row = conn.execute(select(imports).where(imports.c.id == import_id)).mappings().first()
        if row is None:
            raise ImportFailed(f"no import with id {import_id}")
        if row["status"] == "running" and pid_alive(row["pid"], row["host"]):
            raise ImportFailed(f"import {import_id} is still running (process {row['pid']}); stop it first")
        restored = 0
        if row["kind"] == "customers":
            restored = undo_profile_changes(conn, import_id)
        removed = conn.execute(delete(events).where(events.c.import_id == import_id)).rowcount
        if conn.dialect.name == "sqlite" and pending_rebuild(conn) == import_id:
            restore_indexes(conn)  # its bulk load had dropped them
        orphans = conn.execute(
            delete(customers).where(
                and_(
                    customers.c.import_id == import_id,
                    ~exists().where(events.c.customer_id == customers.c.id),
                )
            )
        ).rowcount
        if orphans:
            bump_deleted(conn)  # an import running meanwhile forgets the ids it cached
        conn.execute(
            imports.update().where(imports.c.id == import_id).values(status="rolled_back", finished=now_ms(), pid=None)
        )
    return Rollback(import_id, removed, orphans, restored)


def imports_of_file(store: str | os.PathLike | Engine, path: str | os.PathLike) -> list[dict]:
    """Every import recorded for this file's bytes, newest first."""
    engine = open_store(store)
    try:
        sha, _ = file_digest(path)
    except SourceError as exc:
        raise ImportFailed(str(exc)) from exc
    with engine.connect() as conn:
        rows = conn.execute(select(imports).where(imports.c.sha256 == sha).order_by(imports.c.id.desc())).mappings().all()
    return [dict(r) for r in rows]


def undo_profile_changes(conn, import_id: int) -> int:
    """Give back the values an import changed, field by field, unless a later change overwrote them.

    Returns how many customers got a value back. Runs inside the caller's transaction.
    """
    restored = 0
    rows = conn.execute(
        select(profile_changes.c.customer_id, profile_changes.c.before, profile_changes.c.after, customers)
        .join(customers, customers.c.id == profile_changes.c.customer_id)
        .where(profile_changes.c.import_id == import_id)
    ).mappings().all()
    for row in rows:
        before, after = json.loads(row["before"]), json.loads(row["after"])
        back = {f: before[f] for f in UNDONE if f in before and row[f] == after.get(f) and before[f] != after.get(f)}
        if back:
            conn.execute(customers.update().where(customers.c.id == row["customer_id"]).values(**back))
            restored += 1
    conn.execute(delete(profile_changes).where(profile_changes.c.import_id == import_id))
    return restored
