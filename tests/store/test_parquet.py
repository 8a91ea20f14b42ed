"""Parquet import: the same events and rejects as the same rows given as JSON Lines, every column
type (zoned and naive timestamps, dates, decimals, 19-digit integers, nulls, lists, dictionary
strings), folders of files, dedupe on re-import, rollback, resuming, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from designer.store.importer import ImportOptions, import_events, imports_of_file, rollback_import  # noqa: E402
from designer.store.mapping import preset  # noqa: E402

from .conftest import stored_events  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
UTC = timezone.utc


def _rows():
    return [
        {"customer_id": "c-1", "event": "view", "timestamp": datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
         "product_id": 1001, "price": Decimal("12.50"), "tags": ["a", "b"], "category_id": 2103807459595387723},
        {"customer_id": "c-1", "event": "add_to_cart", "timestamp": datetime(2024, 5, 1, 10, 1, tzinfo=UTC),
         "product_id": 1001, "price": Decimal("12.50"), "tags": None, "category_id": None},
        {"customer_id": None, "event": "view", "timestamp": datetime(2024, 5, 1, 10, 2, tzinfo=UTC),
         "product_id": 7, "price": None, "tags": [], "category_id": None},
        {"customer_id": "c-2", "event": "", "timestamp": datetime(2024, 5, 1, 10, 3, tzinfo=UTC),
         "product_id": 8, "price": Decimal("0.00"), "tags": None, "category_id": None},
        {"customer_id": "c-2", "event": "purchase", "timestamp": datetime(2024, 5, 2, 9, 30, tzinfo=UTC),
         "product_id": 9, "price": Decimal("80.10"), "tags": ["x"], "category_id": 5},
    ]


def _table(rows):
    schema = pa.schema([("customer_id", pa.string()), ("event", pa.dictionary(pa.int32(), pa.string())),
                        ("timestamp", pa.timestamp("us", tz="UTC")), ("product_id", pa.int64()),
                        ("price", pa.decimal128(10, 2)), ("tags", pa.list_(pa.string())),
                        ("category_id", pa.int64())])
    cols = {k: [r[k] for r in rows] for k in schema.names}
    return pa.table({k: pa.array(v, type=schema.field(k).type) if k != "event"
                     else pa.array(v).dictionary_encode() for k, v in cols.items()})


def _as_jsonl(rows, path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            obj = {k: v for k, v in r.items() if v is not None}
            obj["timestamp"] = int(r["timestamp"].timestamp() * 1000)
            if "price" in obj:
                obj["price"] = float(obj["price"])
            fh.write(json.dumps(obj) + "\n")
    return path


def _events(db):
    return [{k: e[k] for k in ("customer", "name", "time", "properties")} for e in stored_events(db)]


def test_parquet_gives_the_store_json_lines_gives(tmp_path):
    rows = _rows()
    pq.write_table(_table(rows), tmp_path / "events.parquet", row_group_size=2)
    a = import_events(tmp_path / "a.db", tmp_path / "events.parquet")
    b = import_events(tmp_path / "b.db", _as_jsonl(rows, tmp_path / "events.jsonl"))
    assert (a.read, a.loaded, a.rejected) == (b.read, b.loaded, b.rejected) == (5, 3, 2)
    assert [(r.line, r.reason) for r in a.rejects] == [(r.line, r.reason) for r in b.rejects] \
        == [(3, "empty customer id"), (4, "empty event name")]
    assert _events(tmp_path / "a.db") == _events(tmp_path / "b.db")
    first = _events(tmp_path / "a.db")[0]
    assert first["properties"]["category_id"] == "2103807459595387723"  # exact, past a float's digits
    assert first["properties"]["price"] == 12.5 and first["properties"]["tags"] == ["a", "b"]
    again = import_events(tmp_path / "a.db", tmp_path / "events.parquet", ImportOptions(force=True))
    assert (again.loaded, again.duplicates) == (0, 3)


def test_naive_timestamps_and_dates_are_read_in_the_import_zone(tmp_path):
    t = pa.table({"user": ["u1", "u2"], "action": ["view", "view"],
                  "at": pa.array([datetime(2024, 7, 1, 12, 0), datetime(2024, 7, 1, 13, 0)], pa.timestamp("s")),
                  "day": pa.array([date(2024, 7, 1), date(2024, 7, 2)], pa.date32())})
    pq.write_table(t, tmp_path / "naive.parquet")
    mapping = preset("generic").__class__(customer="user", event="action", time="at", preset=None)
    import_events(tmp_path / "s.db", tmp_path / "naive.parquet", ImportOptions(mapping=mapping, tz="Europe/Lisbon"))
    events = _events(tmp_path / "s.db")
    assert events[0]["time"] == int(datetime(2024, 7, 1, 11, 0, tzinfo=UTC).timestamp() * 1000)  # WEST is UTC+1
    assert events[0]["properties"]["day"] == int(datetime(2024, 7, 1, tzinfo=UTC).timestamp() * 1000)


def test_a_folder_of_parquet_files_counts_rows_on_across_files(tmp_path):
    rows = _rows()
    folder = tmp_path / "export"
    (folder / "dt=2024-05-01").mkdir(parents=True)
    (folder / "dt=2024-05-02").mkdir()
    pq.write_table(_table(rows[:3]), folder / "dt=2024-05-01" / "part-0.parquet")
    pq.write_table(_table(rows[3:]), folder / "dt=2024-05-02" / "part-0.parquet")
    (folder / "_SUCCESS").write_text("")
    summary = import_events(tmp_path / "f.db", folder)
    assert (summary.read, summary.loaded) == (5, 3)
    assert [(r.line, r.reason) for r in summary.rejects] == [(3, "empty customer id"), (4, "empty event name")]
    imports = imports_of_file(tmp_path / "f.db", folder)
    assert imports and rollback_import(tmp_path / "f.db", imports[0]["id"]).events_removed == 3
    assert _events(tmp_path / "f.db") == []


def test_an_interrupted_parquet_import_resumes_where_it_stopped(tmp_path):
    rows = [{**_rows()[0], "customer_id": f"c{i}", "timestamp": datetime(2024, 5, 1, tzinfo=UTC).replace(minute=i % 60, hour=i // 60)}
            for i in range(500)]
    pq.write_table(_table(rows), tmp_path / "big.parquet", row_group_size=64)
    calls = {"n": 0}

    def stop() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    first = import_events(tmp_path / "r.db", tmp_path / "big.parquet", ImportOptions(batch_size=100), should_stop=stop)
    assert first.status == "interrupted" and 0 < first.loaded < 500
    rest = import_events(tmp_path / "r.db", tmp_path / "big.parquet", ImportOptions(batch_size=100))
    assert rest.resumed_at == first.loaded and rest.loaded == 500  # counts cover the whole file
    assert len(_events(tmp_path / "r.db")) == 500


def test_cli_imports_parquet(tmp_path):
    pq.write_table(_table(_rows()), tmp_path / "events.parquet")
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "import", str(tmp_path / "events.parquet"),
                          "--db", str(tmp_path / "c.db"), "--json"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout.splitlines()[-1])
    assert data["loaded"] == 3 and data["rejected"] == 2
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"PAR1 not really")
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "import", str(bad), "--db", str(tmp_path / "c.db")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "broken.parquet" in run.stderr and "Traceback" not in run.stderr
