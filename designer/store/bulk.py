"""Bulk loading into an empty events table: the event indexes built once at the end.

Keeping the unique (customer, time, key) index up to date row by row costs
SQLite more than the rows themselves: events arrive in time order, so every
row lands on a random page of it. Building it once, from sorted data, costs
a fraction. So when an import (or the sample generator) starts on a store
with no events, it drops the event indexes, appends plainly, and at the end
removes exact duplicates (what the unique index would have refused) and
builds them. The (name, time) index goes too: although its rows arrive
nearly in order, each insert still rewrites a page of it in the write-ahead
log; measured on the import benchmark's million rows, keeping it costs 3.5 s
of the writer's time, building it at the end 0.65 s.

While that is pending the store says so (``meta.index_rebuild`` = the import
id, set in the same transaction that drops the indexes): the store stays
readable (only slower), other imports are refused until this one is resumed
or rolled back, and :func:`designer.store.db.open_store` leaves the index
alone. Only SQLite stores load this way.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import IntegrityError

from designer.store.schema import events, meta

PENDING_KEY = "index_rebuild"
#: cache_size while the indexes are built (KiB when negative).
_SORT_CACHE = -16384


def _unique():
    return next(i for i in events.indexes if i.unique)


def pending_rebuild(conn: Connection) -> int | None:
    """The import whose bulk load has not rebuilt the indexes yet, if any."""
    value = conn.execute(select(meta.c.value).where(meta.c.key == PENDING_KEY)).scalar()
    return int(value) if value is not None else None


def start_bulk_load(conn: Connection, import_id: int) -> bool:
    """Drop the event indexes if the events table is empty; call inside a transaction.

    Returns whether the load is now a bulk load (False: load row by row).
    """
    if conn.dialect.name != "sqlite" or pending_rebuild(conn) is not None:
        return False
    if conn.execute(select(events.c.id).limit(1)).first() is not None:
        return False
    for index in events.indexes:
        index.drop(conn, checkfirst=True)
    conn.execute(meta.insert().values(key=PENDING_KEY, value=str(import_id)))
    return True


def finish_bulk_load(conn: Connection) -> int:
    """Remove exact duplicates and build the event indexes; returns how many rows were removed.

    Call inside a transaction: if it fails, nothing changes and it can run again.
    """
    removed = build_event_indexes(conn)
    conn.execute(delete(meta).where(meta.c.key == PENDING_KEY))
    return removed


def build_event_indexes(conn: Connection) -> int:
    """Build the missing event indexes, removing duplicate events first; returns how many were removed.

    The unique index is simply built: only if that finds duplicates (a failed
    statement leaves the transaction intact) are they removed, keeping the
    first of each, and the index built again.
    """
    unique = _unique()
    if conn.dialect.name != "sqlite":
        # Elsewhere a failed statement spoils the transaction: remove duplicates first.
        removed = _remove_duplicates(conn)
        for index in events.indexes:
            index.create(conn, checkfirst=True)
        return removed
    removed = 0
    # The sorter keeps runs of cache_size in memory; several small runs let its
    # helper threads sort them side by side (about a fifth faster than one big
    # run sorted by this thread alone), and memory stays small.
    cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    threads = conn.exec_driver_sql("PRAGMA threads").scalar()
    conn.exec_driver_sql(f"PRAGMA cache_size={_SORT_CACHE}")
    conn.exec_driver_sql(f"PRAGMA threads={max(threads, 2)}")
    try:
        try:
            unique.create(conn, checkfirst=True)
        except IntegrityError:
            removed = _remove_duplicates(conn)
            unique.create(conn, checkfirst=True)
        for index in events.indexes:
            index.create(conn, checkfirst=True)
    finally:
        conn.exec_driver_sql(f"PRAGMA cache_size={int(cache)}")
        conn.exec_driver_sql(f"PRAGMA threads={int(threads)}")
    return removed


def _remove_duplicates(conn: Connection) -> int:
    """Delete all but the first of events that share customer, time and key."""
    return conn.exec_driver_sql(
        "DELETE FROM events WHERE id IN ("
        " SELECT id FROM (SELECT id, row_number() OVER ("
        "  PARTITION BY customer_id, time, dedupe_key ORDER BY id) AS n FROM events) AS ranked"
        " WHERE n > 1)"
    ).rowcount


def restore_indexes(conn: Connection) -> None:
    """Make sure every event index exists (after a rollback, or a crash before the drop committed)."""
    for index in events.indexes:
        index.create(conn, checkfirst=True)
    conn.execute(delete(meta).where(meta.c.key == PENDING_KEY))


__all__ = ["PENDING_KEY", "build_event_indexes", "finish_bulk_load", "pending_rebuild", "restore_indexes", "start_bulk_load"]
