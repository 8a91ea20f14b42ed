"""An import killed mid-way (SIGKILL, or Ctrl-C) leaves a consistent store that resumes or rolls back."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from designer.store.checkpoints import ENV

ROOT = Path(__file__).resolve().parents[2]
ROWS = 100_000  # enough that an import is still running when the test interrupts it


def write_log(path: Path) -> tuple[int, int, int]:
    """A generic log with known rejects and duplicates; returns (loaded, rejected, duplicates) of a clean import."""
    rejected = duplicates = 0
    with open(path, "w") as f:
        f.write("customer_id,event,timestamp,price\n")
        last = ""
        for i in range(ROWS):
            if i % 1000 == 999:
                line = f"u{i % 5000},view,not-a-time,{i}\n"
                rejected += 1
            elif i % 500 == 499:
                line = last  # the previous row again
                duplicates += 1
            else:
                line = f"u{i % 5000},view,{1714557600 + i},{i}\n"
            f.write(line)
            last = line
    return ROWS - rejected - duplicates, rejected, duplicates


def start(db: Path, log: Path, *extra: str, hold_at: int | None = 3000) -> subprocess.Popen:
    """The import command; with ``hold_at`` it waits after the first checkpoint past that many records."""
    env = dict(os.environ)
    if hold_at is not None:
        env[ENV] = f"{hold_at}:{db.with_name(db.name + '.held')}"
    else:
        env.pop(ENV, None)
    return subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "import", str(log), "--db", str(db), "--batch", "1000", "--json", *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for_checkpoint(db: Path, proc: subprocess.Popen, at_least: int = 3000) -> None:
    """Until the import holds at its checkpoint (see designer.store.checkpoints): no race with its end."""
    marker = db.with_name(db.name + ".held")
    while not marker.exists():
        if proc.poll() is not None:
            pytest.fail(f"the import ended without reaching its checkpoint: {proc.stderr.read()}")
        time.sleep(0.01)
    assert int(marker.read_text()) >= at_least  # and it stays held until the test's signal


def check_consistent(db: Path) -> dict:
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    row = con.execute(
        "SELECT status, rows_read, rows_loaded, rows_rejected, rows_duplicate, checkpoint, id FROM imports "
        "ORDER BY id DESC LIMIT 1"
    ).fetchone()
    status, read, loaded, rejected, dups, checkpoint, import_id = row
    stored = con.execute("SELECT count(*) FROM events WHERE import_id = ?", (import_id,)).fetchone()[0]
    orphans = con.execute(
        "SELECT count(*) FROM customers c WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.customer_id = c.id)"
    ).fetchone()[0]
    con.close()
    # Whole batches only: the counters match what is stored, no customer without events.
    assert stored == loaded
    assert read == loaded + rejected + dups == checkpoint
    assert orphans == 0
    return {"status": status, "read": read, "loaded": loaded}


@pytest.mark.parametrize("prefilled", [False, True], ids=["bulk-into-empty-store", "row-by-row-into-filled-store"])
def test_killed_import_is_consistent_and_resumes_to_the_same_result(tmp_path, prefilled):
    log, db = tmp_path / "log.csv", tmp_path / "store.db"
    loaded, rejected, duplicates = write_log(log)
    if prefilled:
        first = tmp_path / "first.csv"
        first.write_text("customer_id,event,timestamp\nsomeone,signup,1600000000\n")
        subprocess.run([sys.executable, "main.py", "import", str(first), "--db", str(db)], cwd=ROOT, check=True,
                       capture_output=True)
    proc = start(db, log)
    wait_for_checkpoint(db, proc)
    proc.kill()  # SIGKILL: no clean-up code runs
    proc.wait()
    state = check_consistent(db)
    assert state["status"] == "running"  # never marked done
    assert 0 < state["read"] < ROWS

    stats = subprocess.run([sys.executable, "main.py", "stats", "--db", str(db), "--json"], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    assert json.loads(stats.stdout)["imports"][-1]["status"] == "interrupted"

    again = start(db, log, hold_at=None)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert "resumed after" in out
    summary = json.loads(out.strip().splitlines()[-1])
    assert (summary["read"], summary["loaded"], summary["rejected"], summary["duplicates"]) == (
        ROWS, loaded, rejected, duplicates,
    )
    state = check_consistent(db)
    assert state["status"] == "done"
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM events WHERE import_id = 2" if prefilled else
                       "SELECT count(*) FROM events").fetchone()[0] == loaded
    assert con.execute("SELECT count(DISTINCT time) FROM events").fetchone()[0] == loaded + prefilled
    con.close()


def test_killed_import_can_be_rolled_back_then_imported_afresh(tmp_path):
    log, db = tmp_path / "log.csv", tmp_path / "store.db"
    loaded, _, _ = write_log(log)
    proc = start(db, log)
    wait_for_checkpoint(db, proc)
    proc.kill()
    proc.wait()
    rollback = subprocess.run([sys.executable, "main.py", "import", str(log), "--db", str(db), "--rollback"],
                              cwd=ROOT, capture_output=True, text=True)
    assert rollback.returncode == 0, rollback.stderr
    assert "rolled back import 1" in rollback.stdout
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    assert con.execute("SELECT status FROM imports").fetchone()[0] == "rolled_back"
    con.close()
    fresh = start(db, log, hold_at=None)
    out, err = fresh.communicate(timeout=300)
    assert fresh.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["loaded"] == loaded


def test_ctrl_c_stops_cleanly_and_marks_the_import_interrupted(tmp_path):
    log, db = tmp_path / "log.csv", tmp_path / "store.db"
    write_log(log)
    proc = start(db, log)
    wait_for_checkpoint(db, proc)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    state = check_consistent(db)
    assert state["status"] == "interrupted"
