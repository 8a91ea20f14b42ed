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

Values of the customer quoted in kept rejects and stored runs are replaced
(:mod:`designer.store.redact`). On SQLite the call returns only once the
data is gone from the file, or says that a reader holds it
(:class:`ReaderHolds`).

The customer is found by the id as stored, or by the pseudonym of that id
when the import pseudonymised the id column.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from sqlalchemy import Engine, delete, exists, select

from designer.store.db import BUSY_TIMEOUT_S, StoreError, write_lock, writable_store
from designer.store.keys import store_key
from designer.store.redact import identifying_values, redact_texts
from designer.store.erased import bump_deleted, is_erased, record_erased
from designer.store.schema import customers, erasures, events, profile_changes
from designer.store.pseudonyms import Pseudonymiser


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


class ReaderHolds(StoreError):
    """The erasure is committed, but another connection's open read keeps the old pages in the file."""

    def __init__(self, erasure: "Erasure", message: str) -> None:
        super().__init__(message)
        self.erasure = erasure


#: How long the final checkpoint waits for other connections' reads to end.
CHECKPOINT_WAIT_S = 3.0


def forget(store: str | os.PathLike | Engine, external_id: str) -> Erasure:
    """Erase one customer (profile and events); raises NotFound if there is none and never was.

    On SQLite, returns only once the erased data is gone from the file: deleted with
    ``secure_delete`` (freed space overwritten) and the write-ahead log folded into the file and
    emptied. When another connection's open read transaction keeps the log from being folded in
    (its snapshot still needs the old pages), raises :class:`ReaderHolds`: the erasure is
    committed, and running ``forget`` again once that reader has closed finishes the job.
    """
    engine = writable_store(store, "erasing a customer")
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
            folded = _fold_wal(conn) if sqlite else True
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete=OFF")
                conn.commit()
    if not erasure.found:
        removed = (f" (removed {erasure.orphans_deleted:,} events left without their customer by an earlier "
                   "erasure)") if erasure.orphans_deleted else ""
        raise NotFound(f"no customer {external_id!r} in the store{removed}")
    if not folded:
        raise ReaderHolds(erasure, (
            f"customer {external_id!r} is erased from the store, but another program is reading it (an open read "
            "transaction: the editor, a backtest, a database browser), so the erased values are still in the "
            "store's files until it closes. Close it, then run forget again to clear them"
        ))
    return erasure


def _fold_wal(conn) -> bool:
    """Fold the write-ahead log into the file and empty it; False when a reader keeps part of it."""
    conn.exec_driver_sql(f"PRAGMA busy_timeout={int(CHECKPOINT_WAIT_S * 1000)}")
    try:
        busy, log, moved = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    finally:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        conn.commit()
    return busy == 0 and log == moved  # (0, -1, -1) when the store is not in WAL mode


def _erase(conn, external_id: str, now: int) -> Erasure:
    """The erasure, in the caller's transaction (``found`` False when there is no such customer)."""
    key = store_key(conn)
    given = external_id.strip()
    candidates = list(dict.fromkeys([external_id, given, Pseudonymiser(key)(external_id)]))
    found = conn.execute(select(customers).where(customers.c.external_id.in_(candidates)).limit(1)).first()
    # Their values quoted in kept rejects and stored runs go too (the id given, even if never found).
    redact_texts(conn, identifying_values(external_id, found._asdict() if found is not None else None))
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
