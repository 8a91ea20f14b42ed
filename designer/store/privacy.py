"""The right to erasure: remove one customer's profile and events for good.

``forget(store, "C123")`` deletes the customer row and every event of that
customer in one transaction, with SQLite's ``secure_delete`` on (freed pages
are overwritten with zeros) and the write-ahead log checkpointed and
truncated afterwards, so the data does not linger in the file. What remains
is one ``erasures`` row saying *that* an erasure happened, when, and how many
events it removed: no id, no email, nothing that identifies the person.

The customer is found by the id as stored, or by the pseudonym of that id
when the import pseudonymised the id column.

Stored simulation runs (``runs.figures``) are written by the engine; journey
traces kept there are outside this function's reach.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select

from designer.store.db import open_store, store_salt
from designer.store.schema import customers, erasures, events, profile_changes
from designer.store.sources import Pseudonymiser


class NotFound(LookupError):
    """No customer with that id (or pseudonym of it) in the store."""


@dataclass(frozen=True)
class Erasure:
    events_deleted: int
    time: int  # epoch ms


def forget(store: str | os.PathLike | Engine, external_id: str) -> Erasure:
    """Erase one customer (profile and events); raises NotFound if there is none."""
    engine = open_store(store)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA secure_delete=ON")
            conn.commit()
        try:
            with conn.begin():
                candidates = [external_id, external_id.strip(), Pseudonymiser(store_salt(conn))(external_id)]
                customer_id = conn.execute(
                    select(customers.c.id).where(customers.c.external_id.in_(candidates)).limit(1)
                ).scalar()
                if customer_id is None:
                    raise NotFound(f"no customer {external_id!r} in the store")
                removed = conn.execute(delete(events).where(events.c.customer_id == customer_id)).rowcount
                # Earlier profile values kept for rollbacks are personal data too.
                conn.execute(delete(profile_changes).where(profile_changes.c.customer_id == customer_id))
                conn.execute(delete(customers).where(customers.c.id == customer_id))
                now = int(time.time() * 1000)
                conn.execute(erasures.insert().values(time=now, events_deleted=removed))
            if sqlite:
                # Old page images of the erased rows may sit in the WAL; fold it in and empty it.
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.commit()
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA secure_delete=OFF")
                conn.commit()
    return Erasure(removed, now)
