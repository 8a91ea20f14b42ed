"""Opening a store: created on first use, WAL and foreign keys, schema version and migrations."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, inspect, text

from designer.store import migrations
from designer.store.db import StoreError, open_store, store_url
from designer.store.schema import SCHEMA_VERSION


def test_first_use_creates_file_folders_and_schema(tmp_path):
    path = tmp_path / "deep" / "er" / "shop.db"
    engine = open_store(path)
    assert path.exists()
    tables = set(inspect(engine).get_table_names())
    assert {"customers", "events", "imports", "runs", "meta", "erasures"} <= tables
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("events")}
    assert indexes["ix_events_customer_time"]["column_names"][:2] == ["customer_id", "time"]
    assert indexes["ix_events_customer_time"]["unique"]
    assert indexes["ix_events_name_time"]["column_names"] == ["name", "time"]
    engine.dispose()


def test_sqlite_connections_use_wal_and_foreign_keys(db):
    engine = open_store(db)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # An event pointing at no customer is refused.
        with pytest.raises(Exception):
            conn.exec_driver_sql(
                "INSERT INTO events (customer_id, name, time, properties, dedupe_key) VALUES (999, 'view', 1, '{}', x'00')"
            )
    engine.dispose()


def test_schema_version_and_key_id_are_recorded_and_the_key_is_kept_outside(db):
    from designer.store.keys import key_id, store_key

    engine = open_store(db)
    with engine.connect() as conn:
        meta = dict(conn.exec_driver_sql("SELECT key, value FROM meta").all())
        key = store_key(conn)
    assert meta["schema_version"] == str(SCHEMA_VERSION)
    assert "salt" not in meta and meta["key_id"] == key_id(key) != key
    engine.dispose()
    # Reopening finds the same key (pseudonyms stay stable).
    again = open_store(db)
    with again.connect() as conn:
        assert store_key(conn) == key
    again.dispose()


def test_migration_steps_run_in_order_and_bump_the_version(db):
    engine = open_store(db)
    steps = {
        SCHEMA_VERSION + 1: ["ALTER TABLE customers ADD COLUMN phone TEXT"],
        SCHEMA_VERSION + 2: lambda conn: conn.execute(text("CREATE INDEX ix_phone ON customers (phone)")),
    }
    applied = migrations.migrate(engine, target=SCHEMA_VERSION + 2, steps=steps)
    assert applied == [SCHEMA_VERSION + 1, SCHEMA_VERSION + 2]
    cols = {c["name"] for c in inspect(engine).get_columns("customers")}
    assert "phone" in cols
    with engine.connect() as conn:
        assert migrations.stored_version(conn) == SCHEMA_VERSION + 2
    # Nothing left to do the second time.
    assert migrations.migrate(engine, target=SCHEMA_VERSION + 2, steps=steps) == []
    engine.dispose()


def test_a_store_newer_than_the_program_is_refused(db):
    engine = open_store(db)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE meta SET value='{SCHEMA_VERSION + 5}' WHERE key='schema_version'")
    engine.dispose()
    with pytest.raises(StoreError, match="newer than this program"):
        open_store(db)


def test_a_database_that_is_not_a_store_is_refused(tmp_path):
    other = tmp_path / "other.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE something (x)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="not a Trigger Flow Designer store"):
        open_store(other)


def test_a_file_that_is_not_sqlite_gives_a_store_error(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="cannot open store"):
        open_store(bad)


def test_urls_and_paths_and_memory(tmp_path):
    path = tmp_path / "u.db"
    assert store_url(path) == "sqlite:///" + str(path.resolve())
    assert store_url("postgresql://u@h/db") == "postgresql://u@h/db"
    engine = open_store("sqlite:///" + str(path))
    assert path.exists()
    engine.dispose()
    memory = open_store("sqlite://")
    with memory.begin() as conn:
        conn.exec_driver_sql("INSERT INTO customers (external_id, properties) VALUES ('a', '{}')")
    with memory.connect() as conn:  # the same in-memory database on every connection
        assert conn.exec_driver_sql("SELECT count(*) FROM customers").scalar() == 1


def test_an_engine_passed_in_is_initialised_and_returned(tmp_path):
    engine = create_engine("sqlite:///" + str(tmp_path / "e.db"))
    assert open_store(engine) is engine
    assert "events" in inspect(engine).get_table_names()
