"""Opening a store: a SQLite file by default, any SQLAlchemy URL if asked.

``open_store("shop.db")`` creates the file, its folder and the schema on first
use; an existing store is migrated to the current schema version. SQLite
connections run in WAL mode (the engine can read while an import writes) with
foreign keys enforced.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import StaticPool

from designer.store import migrations
from designer.store.schema import SCHEMA_VERSION, meta, metadata


class StoreError(Exception):
    """The store cannot be opened or used; the message says which and why."""


#: How long a SQLite connection waits for another process's write (creating the store, a batch)
#: before it gives up and the store is reported busy.
BUSY_TIMEOUT_S = 15.0


def busy_message(url: str, reason: str) -> str | None:
    """The message for a store another process holds locked, or None when ``reason`` is something else."""
    if "locked" not in reason and "busy" not in reason:
        return None
    return (f"the store {url} is busy: another program is writing to it (waited {BUSY_TIMEOUT_S:g} s); "
            "try again when it has finished")


def write_lock(conn) -> None:
    """Start the connection's transaction holding the store's write lock (SQLite: ``BEGIN IMMEDIATE``).

    pysqlite begins a transaction only before a data change, so reads and schema statements
    before it run unlocked and a second process can act on what it read a moment before. Taking
    the lock first makes check-then-change atomic; a second writer waits (the busy timeout). Call
    first thing in a ``with engine.begin()`` block. Elsewhere than SQLite this does nothing.
    """
    if conn.dialect.name != "sqlite":
        return
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as exc:
        shown = conn.engine.url.render_as_string(hide_password=True)
        message = busy_message(shown, str(exc.orig))
        if message is None:
            raise
        raise StoreError(message) from None


def store_url(url_or_path: str | os.PathLike) -> str:
    """A SQLAlchemy URL for a URL (kept as is) or a file path (a SQLite file)."""
    text = os.fspath(url_or_path)
    if "://" in text:
        return text
    return "sqlite:///" + str(Path(text).expanduser().resolve())


def read_only_query(path: Path) -> str | None:
    """The URI query opening an existing store read-only, when this process cannot write it.

    A store file shared read-only, or a backup on a read-only medium: SQLite would otherwise
    fail on the first thing that writes (switching to WAL, making the ``-shm`` file). When the
    folder is read-only too and no ``-shm`` file exists, nobody can be writing the store, and
    ``immutable=1`` lets SQLite read it without one. ``os.access`` asks the OS, which answers
    for this user (on Windows, for the read-only attribute).
    """
    if not path.is_file():
        return None
    folder_writable = os.access(path.parent, os.W_OK)
    wal, shm = (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm"))
    if os.access(path, os.W_OK) and (folder_writable or (wal.exists() and shm.exists())):
        return None
    if not folder_writable and not shm.exists():
        return "mode=ro&immutable=1"
    return "mode=ro"


def is_read_only(engine: Engine) -> bool:
    """Whether a SQLite store was opened read-only (``mode=ro`` or ``immutable=1`` in its URI)."""
    query = engine.url.query
    return engine.dialect.name == "sqlite" and (query.get("mode") == "ro" or query.get("immutable") == "1")


def writable_store(url_or_path, action: str) -> Engine:
    """:func:`open_store`, refusing by name a store opened read-only (``action`` says what needs writing)."""
    engine = open_store(url_or_path)
    if is_read_only(engine):
        shown = engine.url.render_as_string(hide_password=True)
        engine.dispose()
        raise StoreError(f"{shown} is read-only: {action} needs write access to the store")
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # Takes effect only when a new file gets its first table: 16 KB pages
        # make bulk inserts into the indexes markedly cheaper than 4 KB ones.
        cursor.execute("PRAGMA page_size=16384")
        # WAL only applies to files; an in-memory store answers "memory".
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc):
                raise
            # A store opened read-only (a backup in rollback-journal mode) is read as it is.
        cursor.execute("PRAGMA foreign_keys=ON")
        # Safe in WAL mode (a power cut may lose the last commits, never corrupt).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.execute("PRAGMA cache_size=-32768")  # 32 MB per connection
    finally:
        cursor.close()


def _create_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"not a database URL or path: {url!r}") from exc
    if parsed.get_backend_name() != "sqlite":
        return _server_engine(url, parsed)
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        # One shared connection, or every connection would see its own empty store.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        if parsed.query.get("uri") != "true" and not database.startswith("file:"):
            path = Path(database)
            path.parent.mkdir(parents=True, exist_ok=True)
            query = read_only_query(path)
            if query is not None:  # opened read-only: nothing tries to write what cannot be written
                url = f"sqlite:///{path.resolve().as_uri()}?{query}&uri=true"
        # Connections move between threads (an import writes on its own thread);
        # the pool hands each to one thread at a time.
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


#: The pip package of a driver module, where the two names differ (for the message when it is missing).
DRIVER_PACKAGES = {
    "psycopg2": "psycopg2-binary",
    "MySQLdb": "mysqlclient",
}


def _server_engine(url: str, parsed) -> Engine:
    """An engine for a database server URL, or a StoreError naming what is wrong with it."""
    shown = parsed.render_as_string(hide_password=True)
    try:
        return create_engine(url)
    except NoSuchModuleError:
        raise StoreError(
            f"{shown}: unsupported database kind {parsed.drivername!r}; use a SQLite file path "
            f"or a URL such as postgresql://user@host/db"
        ) from None
    except ModuleNotFoundError as exc:
        module = exc.name or "its driver"
        package = DRIVER_PACKAGES.get(module, module)
        raise StoreError(
            f"{shown}: the database driver {module!r} is not installed; install it with: pip install {package}"
        ) from None
    except ArgumentError as exc:
        raise StoreError(f"{shown}: {exc}") from None


def _initialise(engine: Engine) -> None:
    """Create a fresh store's schema, or migrate an existing one."""
    tables = set(inspect(engine).get_table_names())
    if is_read_only(engine):
        _check_read_only(engine, tables)
        return
    if "meta" not in tables and _create_schema(engine):
        return
    try:
        migrations.migrate(engine)
    except migrations.MigrationError as exc:
        raise StoreError(str(exc)) from exc
    _heal_event_indexes(engine)


def _check_read_only(engine: Engine, tables: set[str]) -> None:
    """A store opened read-only is read as it is: it must be a store of this program's schema."""
    shown = engine.url.render_as_string(hide_password=True)
    if "meta" not in tables:
        raise StoreError(f"{shown} is read-only and holds no store (no store metadata)")
    try:
        with engine.connect() as conn:
            version = migrations.stored_version(conn)
    except migrations.MigrationError as exc:
        raise StoreError(str(exc)) from exc
    if version < migrations.READABLE_FROM:
        raise StoreError(
            f"{shown} is read-only and was made by an older version of the program (schema {version}, "
            f"this program reads {migrations.READABLE_FROM} and later); open it once with write access to upgrade it"
        )
    if version > SCHEMA_VERSION:
        raise StoreError(f"the store has schema version {version}, newer than this program's {SCHEMA_VERSION}; "
                         "update the program to open it")


def _create_schema(engine: Engine) -> bool:
    """Create a new store's schema; False when another process created it meanwhile.

    Two processes may open a new store at once (two imports started together): the tables are
    created in one transaction under the write lock, and looked for again once it is held, so
    the second waits for the first and then finds a complete store.
    """
    from designer.store.checkpoints import creation_hold
    from designer.store.keys import new_store_key

    creation_hold("waiting")
    with engine.begin() as conn:
        write_lock(conn)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7531902)")  # the same rule on a server
        tables = set(inspect(conn).get_table_names())
        if "meta" in tables:
            return False
        if tables:
            raise StoreError(
                "the database has tables but no store metadata; it is not a Trigger Flow Designer store"
            )
        metadata.create_all(conn)
        conn.execute(
            meta.insert(),
            [
                {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                # The key itself is kept apart from the store (designer.store.keys).
                {"key": "key_id", "value": new_store_key()},
                {"key": "created", "value": str(int(time.time() * 1000))},
            ],
        )
        creation_hold("created")
    return True


def _heal_event_indexes(engine: Engine) -> None:
    """Recreate event indexes missing without a bulk load to explain it (reads only, unless one is missing)."""
    from designer.store.bulk import pending_rebuild, restore_indexes
    from designer.store.schema import events

    present = {i["name"] for i in inspect(engine).get_indexes("events")}
    if all(index.name in present for index in events.indexes):
        return
    with engine.begin() as conn:
        if pending_rebuild(conn) is None:
            restore_indexes(conn)


def open_store(url_or_path: str | os.PathLike | Engine) -> Engine:
    """The store at a path or URL, created (file, folders, schema) on first use.

    An :class:`~sqlalchemy.Engine` passed in is checked and returned, so
    functions can accept either.
    """
    if isinstance(url_or_path, Engine):
        engine = url_or_path
    else:
        engine = _create_engine(store_url(url_or_path))
    try:
        _initialise(engine)
    except (OperationalError, DatabaseError) as exc:
        engine.dispose()
        reason = str(exc.orig) if getattr(exc, "orig", None) is not None else str(exc)
        shown = engine.url.render_as_string(hide_password=True)
        raise StoreError(busy_message(shown, reason) or f"cannot open store {shown}: {reason}") from exc
    except StoreError:
        if not isinstance(url_or_path, Engine):
            engine.dispose()
        raise
    return engine


def is_sqlite(engine_or_conn) -> bool:
    return engine_or_conn.dialect.name == "sqlite"
