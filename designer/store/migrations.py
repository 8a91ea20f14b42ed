"""Schema migrations: the steps that bring an older store to the current version.

A store records its version in ``meta.schema_version``. :data:`STEPS` maps a
version *n* to the step that turns a version *n - 1* store into version *n*:
a list of plain SQL statements, or a function taking the open
:class:`~sqlalchemy.engine.Connection`. :func:`migrate` runs the missing steps
in order, each in its own transaction together with the version bump, so a
migration interrupted half-way leaves the store at the last complete version.

Version 1 is the schema of :mod:`designer.store.schema` as first created; it
has no step. To change the schema: edit ``schema.py``, raise
``SCHEMA_VERSION``, and add the step here, e.g.::

    STEPS[3] = ["ALTER TABLE customers ADD COLUMN phone TEXT"]

Version 2 made ``events.dedupe_key`` a 64-bit integer over the event name
and properties (it was a 16-byte digest that also covered the customer and
time, which the unique index holds anyway): binding and indexing an integer
costs an import about a third of what the blob did.

Version 3 added ``profile_changes``, so rolling a profile import back restores
the customers it changed.

Version 4 added ``imports.reject_counts``: how many rows each reject reason
refused, counted over the whole file (only the first 100 rows are kept).

Version 5 added ``erased_ids``: keyed hashes of erased ids, so an erased
customer's later events are refused (:mod:`designer.store.erased`).

Version 6 moved the pseudonymisation key out of the store: ``meta.salt``
became ``meta.key_id``, the key kept apart (:mod:`designer.store.keys`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Union

from sqlalchemy import Connection, bindparam, select, text
from sqlalchemy.schema import CreateTable

from designer.store.schema import SCHEMA_VERSION, erased_ids, events, meta, profile_changes

Step = Union[list[str], Callable[[Connection], None]]

#: Rows per statement when keys are rewritten in place.
_KEY_CHUNK = 10_000


def rewrite_dedupe_keys(conn: Connection) -> None:
    """Give every event its :func:`~designer.store.codec.dedupe_key`, a chunk of rows at a time.

    Plain SQLAlchemy, so it runs on any database; the column must already
    accept integers.
    """
    from designer.store.codec import dedupe_keys

    update = (
        events.update()
        .where(events.c.id == bindparam("row_id"))
        .values(dedupe_key=bindparam("key"))
    )
    last = None
    while True:
        query = select(events.c.id, events.c.name, events.c.properties).order_by(events.c.id).limit(_KEY_CHUNK)
        if last is not None:
            query = query.where(events.c.id > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        ids, names, properties = zip(*rows)
        keys = dedupe_keys(names, properties)
        conn.execute(update, [{"row_id": i, "key": k} for i, k in zip(ids, keys)])
        last = ids[-1]


def _integer_dedupe_keys(conn: Connection) -> None:
    """Version 2: integer dedupe keys (see the module docstring)."""
    from designer.store.bulk import PENDING_KEY, build_event_indexes
    from designer.store.codec import dedupe_key

    pending = conn.execute(select(meta.c.value).where(meta.c.key == PENDING_KEY)).scalar() is not None
    for index in events.indexes:
        index.drop(conn, checkfirst=True)
    if conn.dialect.name == "sqlite":
        # SQLite cannot change a column's type: copy the table, keys computed on the way.
        conn.connection.driver_connection.create_function("dedupe_key", 2, dedupe_key, deterministic=True)
        conn.exec_driver_sql("ALTER TABLE events RENAME TO events_v1")
        conn.execute(CreateTable(events))
        columns = "id, customer_id, name, time, properties, import_id"
        conn.exec_driver_sql(
            f"INSERT INTO events ({columns}, dedupe_key) "
            f"SELECT {columns}, dedupe_key(name, properties) FROM events_v1 ORDER BY id"
        )
        conn.exec_driver_sql("DROP TABLE events_v1")
    else:
        conn.execute(text("ALTER TABLE events ALTER COLUMN dedupe_key TYPE BIGINT USING 0"))
        rewrite_dedupe_keys(conn)
    if not pending:  # an unfinished bulk import builds them when it is resumed
        build_event_indexes(conn)


def _key_out_of_store(conn: Connection) -> None:
    """Version 6: the pseudonymisation key leaves the store (``meta.salt`` -> ``meta.key_id``).

    The salt was kept beside the data it keys, so the file alone could confirm a guessed email.
    It is handed to the key's keeper (:func:`designer.store.keys.keep_key`: the key file given,
    the keyring, or the data folder) before it is deleted, with ``secure_delete`` on so its bytes
    are overwritten; :func:`migrate` then checkpoints the write-ahead log. The key stays the same,
    so pseudonyms stay the same. Interrupted before the commit, the salt is still there and the
    step runs again, keeping the same key under the same id.
    """
    from designer.store.keys import KEY_ID, keep_key, new_key

    salt = conn.execute(select(meta.c.value).where(meta.c.key == "salt")).scalar()
    if conn.execute(select(meta.c.value).where(meta.c.key == KEY_ID)).scalar() is None:
        conn.execute(meta.insert().values(key=KEY_ID, value=keep_key(salt if salt else new_key())))
    if salt is not None:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA secure_delete=ON")
        conn.execute(meta.delete().where(meta.c.key == "salt"))


#: The oldest schema this program reads as it is, without migrating it: a store opened read-only
#: (:func:`designer.store.db.read_only_query`) cannot be migrated. Version 4 only added a column
#: that readers do without (:mod:`designer.store.stats` shows no reject counts then).
READABLE_FROM = 3

#: target version -> step from the version before it.
STEPS: dict[int, Step] = {
    2: _integer_dedupe_keys,
    3: lambda conn: profile_changes.create(conn, checkfirst=True),
    4: ["ALTER TABLE imports ADD COLUMN reject_counts TEXT"],
    5: lambda conn: erased_ids.create(conn, checkfirst=True),
    6: _key_out_of_store,
}


class MigrationError(Exception):
    """The store cannot be brought to the version this program understands."""


def stored_version(conn: Connection) -> int:
    """The version recorded in the store (0 when it has none)."""
    value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    if value is None:
        return 0
    if not (value.isascii() and value.isdigit() and len(value) <= 6):
        raise MigrationError(
            f"the store's schema_version is {value[:40]!r}, which this program never writes; "
            "the store was changed by another tool"
        )
    return int(value)


def set_version(conn: Connection, version: int) -> None:
    updated = conn.execute(
        meta.update().where(meta.c.key == "schema_version").values(value=str(version))
    ).rowcount
    if not updated:
        conn.execute(meta.insert().values(key="schema_version", value=str(version)))


def migrate(engine, target: int = SCHEMA_VERSION, steps: dict[int, Step] | None = None) -> list[int]:
    """Run the steps that bring the store to ``target``; returns the versions applied."""
    steps = STEPS if steps is None else steps
    with engine.connect() as conn:
        current = stored_version(conn)
    if current > target:
        raise MigrationError(
            f"the store has schema version {current}, newer than this program's {target}; "
            "update the program to open it"
        )
    applied = []
    for version in range(current + 1, target + 1):
        step = steps.get(version)
        if step is None:
            raise MigrationError(f"no migration step to schema version {version}")
        with engine.begin() as conn:
            if callable(step):
                step(conn)
            else:
                for statement in step:
                    conn.execute(text(statement))
            set_version(conn, version)
        applied.append(version)
    if applied and engine.dialect.name == "sqlite":
        # What a step deleted (the old salt) may sit in old page images in the WAL: fold it in.
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA secure_delete=OFF")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.commit()
    return applied
