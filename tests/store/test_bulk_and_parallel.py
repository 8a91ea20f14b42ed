"""Bulk loads into an empty store, row-by-row loads into a filled one, and parsing in a child process."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import inspect

from designer.store.bulk import PENDING_KEY
from designer.store.db import open_store
from designer.store.importer import ImportFailed, ImportOptions, import_events, rollback_import
from designer.store.mapping import preset

from .conftest import fixture, stored_events

INDEXES = {"ix_events_customer_time", "ix_events_name_time"}


def write_log(path, rows: int, start: int = 1714557600, dup_every: int = 0) -> None:
    lines = ["customer_id,event,timestamp,price"]
    for i in range(rows):
        lines.append(f"u{i % 97},view,{start + i},{i}")
        if dup_every and i % dup_every == dup_every - 1:
            lines.append(lines[-1])
    path.write_text("\n".join(lines) + "\n")


def event_indexes(db) -> set[str]:
    con = sqlite3.connect(db)
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='events'")}
    con.close()
    return names & INDEXES


def pending(db):
    con = sqlite3.connect(db)
    row = con.execute("SELECT value FROM meta WHERE key = ?", (PENDING_KEY,)).fetchone()
    con.close()
    return row[0] if row else None


def stop_after(n: int):
    calls = {"n": 0}

    def should_stop() -> bool:
        calls["n"] += 1
        return calls["n"] >= n

    return should_stop


def test_a_bulk_load_removes_in_file_duplicates_and_builds_the_indexes(db, tmp_path):
    log = tmp_path / "log.csv"
    write_log(log, 1000, dup_every=10)
    summary = import_events(db, log, ImportOptions(batch_size=128))
    assert (summary.read, summary.loaded, summary.duplicates) == (1100, 1000, 100)
    assert event_indexes(db) == INDEXES and pending(db) is None
    assert len(stored_events(db)) == 1000


def test_an_unfinished_bulk_load_blocks_other_imports_until_resumed(db, tmp_path):
    log, other = tmp_path / "log.csv", tmp_path / "other.csv"
    write_log(log, 1000, dup_every=10)
    write_log(other, 10, start=1800000000)
    first = import_events(db, log, ImportOptions(batch_size=200), should_stop=stop_after(2))
    assert first.status == "interrupted" and 0 < first.read < 1100
    # Both event indexes wait for the end of the load.
    assert event_indexes(db) == set() and pending(db) == str(first.import_id)
    open_store(db).dispose()  # opening does not rebuild what the unfinished load will build
    assert event_indexes(db) == set()
    with pytest.raises(ImportFailed, match="unfinished; resume it"):
        import_events(db, other)
    resumed = import_events(db, log, ImportOptions(batch_size=200))
    assert resumed.resumed_at == first.read
    assert (resumed.read, resumed.loaded, resumed.duplicates) == (1100, 1000, 100)
    assert event_indexes(db) == INDEXES and pending(db) is None
    assert import_events(db, other).loaded == 10


def test_rolling_back_an_unfinished_bulk_load_restores_the_indexes(db, tmp_path):
    log = tmp_path / "log.csv"
    write_log(log, 500)
    first = import_events(db, log, ImportOptions(batch_size=100), should_stop=stop_after(1))
    result = rollback_import(db, first.import_id)
    assert result.events_removed == 100 and result.customers_removed == 97
    assert event_indexes(db) == INDEXES and pending(db) is None
    assert stored_events(db) == []


def test_a_store_with_events_loads_row_by_row_and_counts_duplicates_at_once(db, tmp_path):
    import_events(db, fixture("taobao.csv"), ImportOptions(mapping=preset("taobao")))
    log = tmp_path / "log.csv"
    write_log(log, 300, dup_every=3)
    seen = []
    summary = import_events(db, log, ImportOptions(batch_size=50), progress=seen.append)
    assert (summary.read, summary.loaded, summary.duplicates) == (400, 300, 100)
    assert all(p.phase == "reading" for p in seen)  # no index build at the end
    assert seen[-1].duplicates == 100 and seen[-1].fraction == 1.0


def test_missing_indexes_are_healed_when_no_load_is_pending(db):
    import_events(db, fixture("taobao.csv"), ImportOptions(mapping=preset("taobao")))
    con = sqlite3.connect(db)
    con.execute("DROP INDEX ix_events_name_time")
    con.commit()
    con.close()
    engine = open_store(db)
    assert {i["name"] for i in inspect(engine).get_indexes("events")} >= INDEXES
    engine.dispose()


def test_parsing_in_a_child_process_gives_the_same_result(tmp_path):
    plain, parallel = tmp_path / "a.db", tmp_path / "b.db"
    for db, flag in ((plain, False), (parallel, True)):
        for name, preset_name in (("rees46.csv", "rees46"), ("events.jsonl", "generic"), ("retailrocket.csv", "retailrocket")):
            summary = import_events(db, fixture(name), ImportOptions(mapping=preset(preset_name), parallel=flag))
            assert summary.read == summary.loaded + summary.rejected + summary.duplicates
    assert stored_events(plain) == stored_events(parallel)


def test_child_process_reports_mapping_errors_and_resumes_from_the_checkpoint(db, tmp_path):
    log = tmp_path / "log.csv"
    write_log(log, 600)
    bad = ImportOptions(mapping=preset("rees46"), parallel=True)
    with pytest.raises(ImportFailed, match="no customer column 'user_id'"):
        import_events(db, log, bad)
    first = import_events(db, log, ImportOptions(batch_size=100, parallel=True), should_stop=stop_after(2))
    assert first.status == "interrupted" and first.read == 200
    rest = import_events(db, log, ImportOptions(batch_size=100, parallel=True))
    assert rest.resumed_at == 200 and (rest.read, rest.loaded) == (600, 600)
    assert sorted(e["time"] for e in stored_events(db)) == [1714557600 * 1000 + i * 1000 for i in range(600)]
