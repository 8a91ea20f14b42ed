"""Erased customers stay erased: what ``forget`` leaves so later imports refuse them.

The rule: once a customer is erased, later events or profile rows with that id
are refused, each a reject with the reason :data:`ERASED` (counted like any
other reject). Nothing re-creates the person behind the erasure's back.

For that the store keeps one ``erased_ids`` row per erased id: a keyed hash
(HMAC-SHA256 with the store's pseudonymisation key, under a domain of its own
so it never equals the pseudonym of the same id), never the id itself. Without
the key, the table confirms no guess.

Imports cache customer ids between batches (:class:`designer.store.writer.StoreWriter`).
Anything that deletes customer rows (an erasure, a rollback) bumps the
``customers_deleted`` counter in ``meta`` in its transaction; a writer reads it
at the start of every batch, under the store's write lock, and forgets its
cache when it moved, so no batch writes events for a customer row that is gone.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from sqlalchemy import Connection, select

from designer.store.schema import erased_ids, meta

#: The reject reason of an event or profile row whose customer was erased.
ERASED = "erased customer"

#: The ``meta`` key counting deletions of customer rows (see the module docstring).
DELETED_KEY = "customers_deleted"


def erased_hash(key: str, external_id: str) -> str:
    """The keyed hash an erased id is kept as (the id as stored, exact text)."""
    message = b"erased-customer\x00" + external_id.encode("utf-8", "surrogatepass")
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def deleted_mark(conn: Connection) -> str:
    """The current value of the customer-deletion counter ("0" in a store that never deleted one)."""
    return conn.execute(select(meta.c.value).where(meta.c.key == DELETED_KEY)).scalar() or "0"


def bump_deleted(conn: Connection) -> None:
    """Note, in the caller's transaction, that customer rows were deleted."""
    value = int(deleted_mark(conn)) + 1
    if not conn.execute(meta.update().where(meta.c.key == DELETED_KEY).values(value=str(value))).rowcount:
        conn.execute(meta.insert().values(key=DELETED_KEY, value=str(value)))


def erased_set(conn: Connection) -> set[str]:
    """Every erased id's hash (one short string per erasure: small even after many)."""
    return set(conn.execute(select(erased_ids.c.hash)).scalars())


def record_erased(conn: Connection, key: str, ids: Iterable[str], now: int) -> None:
    """Keep the hashes of ``ids`` (the id as stored and as the user gave it), each once."""
    known = erased_set(conn)
    fresh = {erased_hash(key, i) for i in ids if i} - known
    if fresh:
        conn.execute(erased_ids.insert(), [{"hash": h, "time": now} for h in sorted(fresh)])


def is_erased(conn: Connection, key: str, ids: Iterable[str]) -> bool:
    hashes = [erased_hash(key, i) for i in ids if i]
    return bool(hashes) and conn.execute(
        select(erased_ids.c.hash).where(erased_ids.c.hash.in_(hashes)).limit(1)
    ).first() is not None
