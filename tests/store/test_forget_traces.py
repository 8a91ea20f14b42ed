"""After forget, the customer's values are nowhere in the store's files: not in kept rejects, stored runs,
the write-ahead log or its index, and a reader holding old pages is named instead of success."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from designer.store.importer import ImportOptions, import_events
from designer.store.mapping import preset
from designer.store.privacy import forget
from designer.store.profiles import import_customers
from designer.store.redact import MARK

ROOT = Path(__file__).resolve().parents[2]
SECRETS = (b"dee.secret@example.com", b"+33 6 12 34 56 78", b"dee-7781", b"Deirdre")


def file_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))
                    if p.exists())


def left(db: Path) -> list[bytes]:
    data = file_bytes(db)
    return [s for s in SECRETS if s in data]


def shop(db: Path, tmp_path: Path) -> None:
    """Dee's profile, events, a reject quoting her email, and a stored run whose texts name her."""
    people = tmp_path / "people.csv"
    people.write_text("customer_id,email,first_name,phone,tier\n"
                      "dee-7781,dee.secret@example.com,Deirdre,+33 6 12 34 56 78,gold\n"
                      "ann-1,ann@example.com,Ann,+44 20 7946 0000,silver\n")
    import_customers(db, people)
    log = tmp_path / "events.csv"
    log.write_text("customer_id,event,timestamp,channel\n"
                   "dee-7781,view,1714557600,web\n"
                   "ann-1,view,1714557600,web\n"
                   "ann-1,view,dee.secret@example.com,dee-7781\n"  # a row with its columns mixed up
                   "ann-1,view,not a time,web\n")
    summary = import_events(db, log, ImportOptions(mapping=preset("generic")))
    assert summary.rejected == 2 and "dee.secret@example.com" in summary.rejects[0].reason
    con = sqlite3.connect(db)
    con.execute(
        "INSERT INTO runs (flow_id, flow_hash, flow_json, window_from, window_to, created, figures) "
        "VALUES ('f', 'h', '{}', 0, 1, 2, ?)",
        (json.dumps({"warnings": ["customer dee-7781 (Deirdre) left twice"], "entered": 5}),),
    )
    con.commit()
    con.close()
    assert left(db) == list(SECRETS)  # the test starts from a store that holds them all


def test_forget_takes_the_customer_out_of_rejects_runs_and_every_file(db, tmp_path):
    shop(db, tmp_path)
    forget(db, "dee-7781")
    assert left(db) == []
    con = sqlite3.connect(db)
    rejects = json.loads(con.execute("SELECT rejects FROM imports WHERE kind = 'events'").fetchone()[0])
    figures = json.loads(con.execute("SELECT figures FROM runs").fetchone()[0])
    kept = con.execute("SELECT email, properties FROM customers").fetchall()
    con.close()
    # The rejects keep their lines and what was wrong; only her values are gone.
    assert [r["line"] for r in rejects] == [4, 5] and MARK in rejects[0]["reason"]
    assert "not a time" in rejects[1]["reason"]
    assert figures == {"warnings": [f"customer {MARK} ({MARK}) left twice"], "entered": 5}
    # Ann is untouched, even her property values that look like Dee's kind of data.
    assert len(kept) == 1 and kept[0][0] == "ann@example.com"
    assert json.loads(kept[0][1]) == {"phone": "+44 20 7946 0000", "tier": "silver"}
    assert b"ann@example.com" in file_bytes(db) and b"+44 20 7946 0000" in file_bytes(db)


#: A reader in its own process (reading the store's files from this process would drop its locks:
#: POSIX locks belong to the process, and closing any handle on the file releases them all).
READER = """
import sqlite3, sys
reader = sqlite3.connect(sys.argv[1])
reader.execute("BEGIN")
print(reader.execute("SELECT count(*) FROM customers").fetchone()[0], flush=True)
sys.stdin.readline()  # held open until the test says
print(reader.execute("SELECT count(*) FROM customers").fetchone()[0], flush=True)
"""


def test_a_reader_holding_old_pages_is_named_and_forget_again_finishes(db, tmp_path):
    shop(db, tmp_path)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert reader.stdout.readline().strip() == "2"  # its snapshot, from before the erasure, is open

        run = lambda: subprocess.run([sys.executable, "main.py", "forget", "dee-7781", "--db", str(db)],  # noqa: E731
                                     cwd=ROOT, capture_output=True, text=True, timeout=120)
        held = run()
        assert held.returncode == 2, held.stderr
        assert "another program is reading it" in held.stderr and "run forget again" in held.stderr
        assert "Traceback" not in held.stderr
        assert left(db)  # what the message warned of: the old pages are still in the files
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "2"  # the reader's snapshot held to the end
    finally:
        reader.stdin.close()
        reader.wait(timeout=60)

    again = run()
    assert again.returncode == 0, again.stderr
    assert "already erased" in again.stdout
    assert left(db) == []
