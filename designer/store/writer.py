"""Bulk writes into the store: customers by external id, events with dedupe.

The importers and the sample generator write through :class:`StoreWriter`,
inside a transaction the caller owns (one per batch), so a batch is either
fully in the store or not at all.

An import hands over each batch as columns (:meth:`StoreWriter.insert_columns`),
dedupe keys included; customer ids come from a bounded cache filled a chunk
at a time, and on SQLite (the default store) the rows go
through the driver's ``executemany`` with multi-row ``INSERT ... VALUES ...
ON CONFLICT DO NOTHING`` statements, so the driver's per-statement cost is
paid once per :data:`ROWS_PER_INSERT` rows. That is cheaper than staging the
batch in SQLite and copying it with ``INSERT ... SELECT``: measured, staging
alone costs as much as inserting the rows directly. PostgreSQL uses the same
statement through SQLAlchemy (counting what ``RETURNING`` gives back); any
other database looks each key up through the unique index first. Counts stay
exact everywhere.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from itertools import chain, compress, filterfalse, islice, repeat

from sqlalchemy import Connection, bindparam, select

from designer.store.erased import deleted_mark, erased_hash, erased_set
from designer.store.schema import customers, events

#: SQLite allows 32766 bound parameters per statement; stay well below.
_CHUNK = 5000
#: Events per INSERT statement on SQLite (a VALUES list may hold 500 rows).
ROWS_PER_INSERT = 100


class StoreWriter:
    """Resolves external customer ids to internal ids and inserts events.

    ``cache_limit`` bounds the id cache, so memory stays flat however many
    customers a file holds: when full the cache is simply emptied (ids are
    looked up again on demand, in chunks).
    """

    def __init__(
        self, conn: Connection, import_id: int | None, cache_limit: int = 500_000, *, bulk: bool = False
    ) -> None:
        self.conn = conn
        # Bulk load (see designer.store.bulk): no unique index to consult, plain appends.
        self.bulk = bulk
        self.import_id = import_id
        self.cache: dict[str, int] = {}  # external id -> internal id
        self.cache_limit = cache_limit
        self.sqlite = conn.dialect.name == "sqlite"
        self.customers_created = 0
        # On a store with no customers yet, the cache knows every customer
        # there is (until it is emptied), so ids it lacks need no lookup.
        # Decided at the first call, inside the caller's transaction.
        self.complete: bool | None = None
        # The store's customer-deletion counter when the cache was last known good, and the
        # hashes of erased ids (designer.store.erased); read again when the counter moves.
        self._deleted: str | None = None
        self._erased: set[str] = set()
        # Internal id per file-wide customer code (designer.store.parallel.CustomerCodebook),
        # 0 where not known yet, valid for codes of epoch ``_epoch``; emptied with the cache.
        self._by_code = array("q")
        self._epoch = 0

    def revalidate(self) -> None:
        """Forget cached ids if customers were deleted (an erasure, a rollback) since the last batch.

        Call at the start of each batch, inside a transaction holding the store's write lock
        (:func:`designer.store.db.write_lock`), so no deletion can come between this check and
        the batch's inserts.
        """
        mark = deleted_mark(self.conn)
        if mark == self._deleted:
            return
        if self._deleted is not None:
            self.cache.clear()
            self._by_code = array("q")
            self.complete = False
        self._deleted = mark
        self._erased = erased_set(self.conn)

    def has_erasures(self) -> bool:
        """Whether the store has erased anyone (as of :meth:`revalidate`): if not, no id needs checking."""
        return bool(self._erased)

    def erased_among(self, external_ids: Sequence[str], key: str) -> set[str]:
        """The ids of ``external_ids`` that belong to erased customers (refused, never re-created).

        Only ids with no customer row can be erased ones, so the check costs one keyed hash per
        new customer, and nothing while the store has no erasures. Call after :meth:`revalidate`.
        """
        if not self._erased:
            return set()
        if self.complete is None:
            self.complete = self.conn.execute(select(customers.c.id).limit(1)).first() is None
        cache = self.cache
        missing = list(dict.fromkeys(filterfalse(cache.__contains__, external_ids)))
        if missing and not self.complete:
            self._lookup(missing)
        erased = self._erased
        return {e for e in missing if e not in cache and erased_hash(key, e) in erased}

    def _raw(self):
        return self.conn.connection.driver_connection

    def _lookup(self, external_ids: Sequence[str]) -> None:
        cache = self.cache
        for start in range(0, len(external_ids), _CHUNK):
            chunk = external_ids[start : start + _CHUNK]
            if self.sqlite:
                marks = ",".join("?" * len(chunk))
                found = self._raw().execute(
                    f"SELECT external_id, id FROM customers WHERE external_id IN ({marks})", chunk
                ).fetchall()
            else:
                found = self.conn.execute(
                    select(customers.c.external_id, customers.c.id).where(customers.c.external_id.in_(chunk))
                ).all()
            cache.update(found)

    def customer_ids(self, external_ids: Iterable[str]) -> dict[str, int]:
        """Make sure every external id has a customer; fills and returns the cache."""
        cache = self.cache
        if self.complete is None:
            self.complete = self.conn.execute(select(customers.c.id).limit(1)).first() is None
        # Distinct ids in first-seen order (stable ids); the cache answers most, so only the rest are deduplicated.
        missing = list(dict.fromkeys(filterfalse(cache.__contains__, external_ids)))
        if not missing:
            return cache
        if len(cache) + len(missing) > self.cache_limit:
            cache.clear()
            self.complete = False
            missing = list(dict.fromkeys(external_ids))
        if not self.complete:
            self._lookup(missing)
        new = list(filterfalse(cache.__contains__, missing))
        if new:
            if self.sqlite:
                raw = self._raw()
                inserted = raw.executemany(
                    "INSERT INTO customers (external_id, properties, import_id) VALUES (?, '{}', ?) "
                    "ON CONFLICT (external_id) DO NOTHING",
                    zip(new, repeat(self.import_id)),
                ).rowcount
                # Within this write transaction nobody else inserts, and SQLite
                # gives each new row max(rowid) + 1: the ids are consecutive.
                # One lookup confirms it; if not (someone else created some of
                # these customers meanwhile), look them all up.
                last = raw.execute("SELECT max(id) FROM customers").fetchone()[0]
                first = last - len(new) + 1
                check = raw.execute("SELECT id FROM customers WHERE external_id = ?", (new[0],)).fetchone()
                if inserted == len(new) and check is not None and check[0] == first:
                    cache.update(zip(new, range(first, last + 1)))
                else:
                    self.complete = False
                    self._lookup(new)
                self.customers_created += inserted
            else:
                self.conn.execute(
                    customers.insert(), [{"external_id": e, "properties": "{}", "import_id": self.import_id} for e in new]
                )
                self._lookup(new)
                self.customers_created += len(new)
        return cache

    def insert_columns(
        self,
        external_ids: Sequence[str],
        names: Sequence[str],
        times: Sequence[int],
        properties: Sequence[str],
        keys: Sequence[bytes],
        distinct: Sequence[str] | None = None,
        codes: Sequence[int] | None = None,
        globals_: Sequence[int] | None = None,
        epoch: int = 0,
    ) -> int:
        """Insert one batch given as columns (one entry per event); returns how many events were new.

        Creates the customers not seen before. ``keys`` are the events'
        :func:`designer.store.codec.dedupe_keys` (the parser computes them: it
        has more time to spare than the writer). The customers come either as
        ``external_ids`` (one per event) or as ``distinct`` ids with ``codes``
        (one per event, indexing ``distinct``), so each id is looked up once;
        ``globals_`` (with ``distinct``) gives each distinct id's file-wide code
        of ``epoch``, so an id known from an earlier batch is not looked up at all.
        """
        if codes is not None:
            if not len(codes):
                return 0
            if globals_ is not None:
                internal = self._by_codes(distinct, globals_, epoch)
            else:
                ids = self.customer_ids(distinct)
                internal = list(map(ids.__getitem__, distinct))
            customer_ids = list(map(internal.__getitem__, codes))
        else:
            if not external_ids:
                return 0
            ids = self.customer_ids(external_ids)
            customer_ids = map(ids.__getitem__, external_ids)
        rows = zip(customer_ids, names, times, properties, keys)
        if self.sqlite:
            return self._insert_sqlite(rows, len(times))
        return self.insert_events(rows)

    def _by_codes(self, distinct: Sequence[str], globals_: Sequence[int], epoch: int) -> list[int]:
        """The internal id of each of ``distinct``, through the per-code array; the unknown ones
        are looked up or created (:meth:`customer_ids`) and remembered by code."""
        if epoch != self._epoch:
            self._by_code = array("q")
            self._epoch = epoch
        by_code = self._by_code
        top = max(globals_) + 1 if len(globals_) else 0
        if top > len(by_code):
            by_code.extend(repeat(0, top - len(by_code)))
        internal = list(map(by_code.__getitem__, globals_))
        if 0 in internal:  # internal ids start at 1: 0 marks a code not known yet
            unknown = [not i for i in internal]
            new = list(compress(distinct, unknown))
            ids = self.customer_ids(new)
            for code, external in zip(compress(globals_, unknown), new):
                by_code[code] = ids[external]
            internal = list(map(by_code.__getitem__, globals_))
        return internal

    def _statement(self, rows: int) -> str:
        # The import id is the same for every row: written into the statement, not bound per row.
        import_id = "NULL" if self.import_id is None else str(int(self.import_id))
        upsert = "" if self.bulk else " ON CONFLICT (customer_id, time, dedupe_key) DO NOTHING"
        return (
            "INSERT INTO events (customer_id, name, time, properties, import_id, dedupe_key) VALUES "
            + ",".join([f"(?,?,?,?,{import_id},?)"] * rows)
            + upsert
        )

    def _insert_sqlite(self, rows: Iterable[tuple], count: int) -> int:
        """``count`` rows, :data:`ROWS_PER_INSERT` to a statement; returns how many were new."""
        raw = self._raw()
        rows = iter(rows)
        whole = count - count % ROWS_PER_INSERT
        inserted = 0
        if whole:
            values = chain.from_iterable(islice(rows, whole))
            # zip(*[it] * n) hands out the values n at a time: one statement's parameters.
            inserted = raw.executemany(self._statement(ROWS_PER_INSERT), zip(*[values] * (5 * ROWS_PER_INSERT))).rowcount
        if whole < count:
            inserted += raw.execute(self._statement(count - whole), list(chain.from_iterable(rows))).rowcount
        return inserted

    def insert_events(self, rows: Iterable[tuple]) -> int:
        """Insert ``(customer_id, name, time, properties_json, dedupe_key)`` rows of this import.

        Returns how many were new; the others were already stored (same key).
        """
        if self.sqlite:
            rows = list(rows)
            return self._insert_sqlite(rows, len(rows))
        import_id = self.import_id
        dicts = [
            {"customer_id": r[0], "name": r[1], "time": r[2], "properties": r[3], "import_id": import_id, "dedupe_key": r[4]}
            for r in rows
        ]
        if not dicts:
            return 0
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = (
                pg_insert(events)
                .on_conflict_do_nothing(index_elements=["customer_id", "time", "dedupe_key"])
                .returning(events.c.id)
            )
            return len(self.conn.execute(stmt, dicts).all())
        # Any other database: look each key up through the unique index, then insert the new ones.
        fresh, seen = [], set()
        probe = select(events.c.id).where(
            events.c.customer_id == bindparam("c"), events.c.time == bindparam("t"), events.c.dedupe_key == bindparam("k")
        )
        for d in dicts:
            key = (d["customer_id"], d["time"], d["dedupe_key"])
            if key in seen:
                continue
            seen.add(key)
            if self.conn.execute(probe, {"c": key[0], "t": key[1], "k": key[2]}).first() is None:
                fresh.append(d)
        if fresh:
            self.conn.execute(events.insert(), fresh)
        return len(fresh)
