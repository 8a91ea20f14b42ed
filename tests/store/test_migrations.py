"""Older stores open migrated: version 1 (blob dedupe keys) keeps every event and still dedupes them;
version 3 adds the table profile rollbacks need."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sqlalchemy import inspect

from designer.store import migrations
from designer.store.bulk import PENDING_KEY
from designer.store.codec import dedupe_key
from designer.store.db import open_store
from designer.store.importer import ImportOptions, import_events
from designer.store.mapping import preset
from designer.store.schema import SCHEMA_VERSION
from designer.store.stats import store_stats

FIXTURES = Path(__file__).parent / "fixtures"


def v1_store(path: Path, *, pending: bool = False) -> Path:
    con = sqlite3.connect(path)
    con.executescript((FIXTURES / "store_v1.sql").read_text())
    if pending:  # a bulk import whose indexes were dropped and not rebuilt yet
        con.executescript(
            "DROP INDEX ix_events_customer_time; DROP INDEX ix_events_name_time;"
            f"INSERT INTO meta VALUES ('{PENDING_KEY}', '1');"
        )
    con.close()
    return path


def test_a_version_1_store_gets_integer_keys_and_keeps_every_event(tmp_path):
    path = v1_store(tmp_path / "old.db")
    before = sqlite3.connect(path).execute("SELECT id, customer_id, name, time, properties, import_id FROM events ORDER BY id").fetchall()
    assert before, "the fixture has events"
    engine = open_store(path)
    with engine.connect() as conn:
        assert migrations.stored_version(conn) == SCHEMA_VERSION == 6
        after = conn.exec_driver_sql(
            "SELECT id, customer_id, name, time, properties, import_id, dedupe_key FROM events ORDER BY id"
        ).all()
        types = set(conn.exec_driver_sql("SELECT typeof(dedupe_key) FROM events").scalars())
    assert [tuple(r[:6]) for r in after] == before
    assert types == {"integer"}
    assert all(r[6] == dedupe_key(r[2], r[4]) for r in after)
    columns = {c["name"]: str(c["type"]) for c in inspect(engine).get_columns("events")}
    assert columns["dedupe_key"] == "BIGINT"
    indexes = {i["name"]: i for i in inspect(engine).get_indexes("events")}
    assert indexes["ix_events_customer_time"]["column_names"] == ["customer_id", "time", "dedupe_key"]
    assert "ix_events_name_time" in indexes
    assert "profile_changes" in inspect(engine).get_table_names()
    assert "erased_ids" in inspect(engine).get_table_names()  # version 5
    # Version 4: per-reason reject counts; imports recorded before have none (and show none).
    assert "reject_counts" in {c["name"] for c in inspect(engine).get_columns("imports")}
    assert all(i["reject_counts"] == {} for i in store_stats(engine).imports)
    engine.dispose()


def test_after_migration_the_same_file_imported_again_adds_nothing(tmp_path):
    path = v1_store(tmp_path / "old.db")
    again = tmp_path / "copy.csv"  # another file name, same events: found by key, not by the file's hash
    shutil.copy(FIXTURES / "rees46.csv", again)
    summary = import_events(path, again, ImportOptions(mapping=preset("rees46"), force=True))
    assert summary.loaded == 0
    assert summary.duplicates == summary.read - summary.rejected > 0


def test_a_pending_bulk_import_keeps_its_indexes_for_the_resume(tmp_path):
    path = v1_store(tmp_path / "pending.db", pending=True)
    engine = open_store(path)
    assert {i["name"] for i in inspect(engine).get_indexes("events")} == set()
    with engine.connect() as conn:
        assert set(conn.exec_driver_sql("SELECT typeof(dedupe_key) FROM events").scalars()) == {"integer"}
    engine.dispose()


def test_keys_rewritten_in_place_match_the_codec(tmp_path):
    """The path other databases take (an UPDATE per chunk), run here on SQLite, whose columns take any value."""
    path = v1_store(tmp_path / "old.db")
    engine = open_store(path)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX ix_events_customer_time")
        conn.exec_driver_sql("UPDATE events SET dedupe_key = 0")
        migrations._KEY_CHUNK, chunk = 3, migrations._KEY_CHUNK  # several chunks over the fixture's rows
        try:
            migrations.rewrite_dedupe_keys(conn)
        finally:
            migrations._KEY_CHUNK = chunk
        rows = conn.exec_driver_sql("SELECT name, properties, dedupe_key FROM events").all()
    assert len(rows) > 3
    assert all(key == dedupe_key(name, props) for name, props, key in rows)
    engine.dispose()
