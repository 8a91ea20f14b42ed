"""The right to erasure: remove one customer's profile and events for good.

``forget(store, "C123")`` deletes the customer row and every event of that
customer in one transaction, with SQLite's ``secure_delete`` on (freed pages
are overwritten with zeros) and the write-ahead log checkpointed and
truncated afterwards, so the data does not linger in the file. What remains
is one ``erasures`` row saying *that* an erasure happened, when, and how many
events it removed, and the keyed hash of the erased id in ``erased_ids``
(:mod:`designer.store.erased`): later events and profile rows of that id are
refused, so an erased customer stays erased. No id, no email, nothing that
identifies the person without the store's key.

The erasure takes the store's write lock, so an import running at the same
time stores each of its batches wholly before it or wholly after it, and
sees it (its cached customer ids are dropped). Events left without their
customer row (only an older version of the program, whose imports could
undo an erasure, leaves them) are removed by every ``forget``.

The customer is found by the id as stored, or by the pseudonym of that id
when the import pseudonymised the id column.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from sqlalchemy import Engine, delete, exists, select

from designer.store.db import open_store, write_lock
from designer.store.keys import store_key
from designer.store.erased import bump_deleted, is_erased, record_erased
from designer.store.schema import customers, erasures, events, profile_changes
from designer.store.sources import Pseudonymiser


class NotFound(LookupError):
    """No customer with that id (or pseudonym of it) in the store, and none was erased."""


@dataclass(frozen=True)
class Erasure:
    events_deleted: int
    time: int  # epoch ms
    #: The id had been erased before: nothing of it was left to remove.
    already_erased: bool = False
    #: Events without a customer row (left by an older version) removed on the way.
    orphans_deleted: int = 0
    #: False when there was no such customer (then only orphaned events, if any, were removed).
    found: bool = True


def forget(store: str | os.PathLike | Engine, external_id: str) -> Erasure:
    """Erase one customer (profile and events); raises NotFound if there is none and never was."""
    engine = open_store(store)
    sqlite = engine.dialect.name == "sqlite"
    now = int(time.time() * 1000)
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA secure_delete=ON")
            conn.commit()
        try:
            with conn.begin():
                write_lock(conn)
                erasure = _erase(conn, external_id, now)
            if sqlite:
                # Old page images of the erased rows may sit in the WAL; fold it in and empty it.
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.commit()
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete=OFF")
                conn.commit()
    if not erasure.found:
        removed = (f" (removed {erasure.orphans_deleted:,} events left without their customer by an earlier "
                   "erasure)") if erasure.orphans_deleted else ""
        raise NotFound(f"no customer {external_id!r} in the store{removed}")
    return erasure


def _erase(conn, external_id: str, now: int) -> Erasure:
    """The erasure, in the caller's transaction (``found`` False when there is no such customer)."""
    key = store_key(conn)
    given = external_id.strip()
    candidates = list(dict.fromkeys([external_id, given, Pseudonymiser(key)(external_id)]))
    found = conn.execute(
        select(customers.c.id, customers.c.external_id).where(customers.c.external_id.in_(candidates)).limit(1)
    ).first()
    orphans = conn.execute(
        delete(events).where(~exists().where(customers.c.id == events.c.customer_id))
    ).rowcount
    if found is None:
        if orphans:
            conn.execute(erasures.insert().values(time=now, events_deleted=orphans))
        if is_erased(conn, key, candidates):
            return Erasure(orphans, now, already_erased=True, orphans_deleted=orphans)
        return Erasure(0, now, orphans_deleted=orphans, found=False)
    removed = conn.execute(delete(events).where(events.c.customer_id == found.id)).rowcount
    # Earlier profile values kept for rollbacks are personal data too.
    conn.execute(delete(profile_changes).where(profile_changes.c.customer_id == found.id))
    conn.execute(delete(customers).where(customers.c.id == found.id))
    record_erased(conn, key, {found.external_id, given}, now)
    bump_deleted(conn)  # an import running meanwhile drops the customer ids it cached
    conn.execute(erasures.insert().values(time=now, events_deleted=removed + orphans))
    return Erasure(removed, now, orphans_deleted=orphans)
