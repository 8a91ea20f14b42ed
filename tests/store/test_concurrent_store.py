"""Two processes at one store: creating a new store at once, a store another program holds locked.

Real processes, held at checkpoints (designer.store.checkpoints), never timed.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from designer import ROOT
from designer.store import db as store_db
from designer.store.checkpoints import CREATE_ENV
from designer.store.db import StoreError, open_store


def log(tmp_path: Path, name: str, prefix: str, rows: int) -> Path:
    path = tmp_path / name
    path.write_text("customer_id,event,timestamp\n"
                    + "".join(f"{prefix}{i},view,{1714557600 + i}\n" for i in range(rows)))
    return path


def start(db: Path, path: Path, hold: Path) -> subprocess.Popen:
    env = {**os.environ, CREATE_ENV: str(hold)}
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), "import", str(path), "--db", str(db)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for(marker: Path, proc: subprocess.Popen) -> None:
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"the process ended before {marker.name}: {proc.stderr.read()}")
        time.sleep(0.01)


def test_two_imports_into_a_new_store_at_once_neither_crashes(tmp_path):
    db = tmp_path / "new.db"
    first_log, second_log = log(tmp_path, "a.csv", "a", 300), log(tmp_path, "b.csv", "b", 200)
    first_hold, second_hold = tmp_path / "a.hold", tmp_path / "b.hold"
    first = start(db, first_log, first_hold)
    wait_for(first_hold, first)  # it holds the write lock, its tables made and not committed
    second = start(db, second_log, second_hold)
    wait_for(second_hold.with_name("b.hold.waiting"), second)  # about to ask for the lock
    first_hold.unlink()
    results = [(p.wait(), p.stdout.read(), p.stderr.read()) for p in (first, second)]
    for code, out, err in results:
        assert "Traceback" not in out + err
        assert code in (0, 2), err
        if code == 2:  # the other one's bulk load was under way: said so, nothing half-done
            assert "the store is busy" in err.strip().splitlines()[-1]
    assert 0 in [r[0] for r in results]
    assert not second_hold.exists()  # the second found the store made: it created nothing
    for (code, _out, _err), path in zip(results, (first_log, second_log)):
        if code:
            again = subprocess.run([sys.executable, str(ROOT / "main.py"), "import", str(path), "--db", str(db)],
                                   cwd=ROOT, capture_output=True, text=True)
            assert again.returncode == 0, again.stderr
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 500
        assert con.execute("SELECT count(*) FROM meta WHERE key = 'schema_version'").fetchone()[0] == 1
        assert {r[0] for r in con.execute("SELECT status FROM imports")} == {"done"}
    finally:
        con.close()


def test_a_store_held_locked_by_another_program_is_reported_busy(tmp_path, monkeypatch):
    path = tmp_path / "locked.db"
    open_store(path).dispose()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_S", 0.2)
    try:
        with pytest.raises(StoreError, match="is busy: another program is writing to it"):
            engine = open_store(path)
            with engine.begin() as conn:
                store_db.write_lock(conn)
    finally:
        holder.rollback()
        holder.close()
