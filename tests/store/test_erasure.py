"""An erased customer stays erased: against a running import, later imports, and earlier damage."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from designer.store.erased import ERASED
from designer.store.importer import ImportOptions, import_events
from designer.store.mapping import preset
from designer.store.privacy import NotFound, forget
from designer.store.profiles import import_customers

from .conftest import stored_events
from .test_interrupted import ROOT, ROWS, start, wait_for_checkpoint, write_log

import pytest


def cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "main.py", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("prefilled", [False, True], ids=["bulk-into-empty-store", "into-filled-store"])
def test_forget_during_an_import_is_not_undone_by_it(tmp_path, prefilled):
    log, db = tmp_path / "log.csv", tmp_path / "store.db"
    write_log(log)  # customers u0 .. u4999, each every 5000 rows
    if prefilled:
        first = tmp_path / "first.csv"
        first.write_text("customer_id,event,timestamp\nsomeone,signup,1600000000\n")
        assert cli("import", str(first), "--db", str(db)).returncode == 0
    proc = start(db, log)  # held after its batch ending at record 3000, with u7 in its id cache
    wait_for_checkpoint(db, proc)
    held_at = int(db.with_name(db.name + ".held").read_text())
    erased = cli("forget", "u7", "--db", str(db), "--json")
    assert erased.returncode == 0, erased.stderr
    assert json.loads(erased.stdout.splitlines()[-1])["events_deleted"] == 1  # record 7, in the first batch
    db.with_name(db.name + ".held").unlink()  # let the import go on
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])

    # The rows of u7 the import read after the erasure, counted from the file itself.
    later = [i for i in range(held_at, ROWS) if i % 5000 == 7]
    assert summary["reject_counts"].get(ERASED) == len(later) == 19
    kept = {r["line"] for r in summary["rejects"] if r["reason"] == ERASED}  # of the first 100 rejects kept
    assert kept and kept <= {i + 2 for i in later}  # the header is line 1

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    orphans = con.execute(
        "SELECT count(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.id = e.customer_id)"
    ).fetchone()[0]
    assert orphans == 0
    assert con.execute("SELECT count(*) FROM customers WHERE external_id = 'u7'").fetchone()[0] == 0
    # Every other customer's events are all there: the import lost nothing else.
    read, loaded, rejected, duplicates = (summary[k] for k in ("read", "loaded", "rejected", "duplicates"))
    assert read == ROWS and read == loaded + rejected + duplicates
    expected = set()  # every distinct event of the file but u7's, worked out from the file alone
    for row in log.read_text().splitlines()[1:]:
        customer, _, ts, _ = row.split(",")
        if customer != "u7" and ts.isdigit():
            expected.add((customer, int(ts)))
    assert loaded == len(expected) + 1  # u7's first event was loaded, then erased
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == len(expected) + prefilled
    con.close()

    again = cli("forget", "u7", "--db", str(db))
    assert again.returncode == 0 and "already erased" in again.stdout


LATER = {
    "csv": "customer_id,event,timestamp\nbob,view,1714557700\nann,purchase,1714557700\ncy,view,1714557700\n",
    "jsonl": "\n".join(json.dumps({"customer_id": c, "event": e, "timestamp": 1714557700})
                       for c, e in (("bob", "view"), ("ann", "purchase"), ("cy", "view"))) + "\n\n",
}


def write_later(path, kind: str) -> None:
    if kind != "parquet":
        path.write_text(LATER[kind])
        return
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"customer_id": ["bob", "ann", "cy"], "event": ["view", "purchase", "view"],
                             "timestamp": [1714557700] * 3}), path)


@pytest.mark.parametrize("kind, parallel", [("csv", False), ("csv", True), ("jsonl", False), ("jsonl", True),
                                            ("parquet", False)])
def test_an_erased_id_is_refused_by_later_imports_of_events_and_profiles(db, tmp_path, kind, parallel):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp\nann,view,1714557600\nbob,view,1714557600\n")
    import_events(db, log, ImportOptions(mapping=preset("generic")))
    forget(db, "ann")
    later = tmp_path / f"later.{kind}"
    write_later(later, kind)
    summary = import_events(db, later, ImportOptions(mapping=preset("generic"), parallel=parallel))
    assert (summary.loaded, summary.rejected) == (2, 1)
    line = 3 if kind == "csv" else 2  # JSON Lines and Parquet rows have no header
    assert [(r.line, r.reason) for r in summary.rejects] == [(line, ERASED)]
    assert sorted(e["customer"] for e in stored_events(db)) == ["bob", "bob", "cy"]

    people = tmp_path / "people.csv"
    people.write_text("customer_id,email\nbob,bob@example.com\nann,ann@example.com\n")
    profiles = import_customers(db, people)
    assert (profiles.loaded, profiles.rejected) == (1, 1)
    assert [(r.line, r.reason) for r in profiles.rejects] == [(3, ERASED)]
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM customers WHERE external_id = 'ann'").fetchone()[0] == 0
    # The id is kept only as a keyed hash.
    hashes = [h for (h,) in con.execute("SELECT hash FROM erased_ids")]
    con.close()
    assert len(hashes) == 1 and "ann" not in hashes[0]


def test_an_erased_pseudonymised_id_is_refused_when_imported_pseudonymised_again(db, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp\nann,view,1714557600\nbob,view,1714557600\n")
    options = ImportOptions(mapping=preset("generic"), pseudonymise=("customer_id",))
    import_events(db, log, options)
    forget(db, "ann")  # the id as the shop knows it; the store holds its pseudonym
    later = tmp_path / "later.csv"
    later.write_text("customer_id,event,timestamp\nann,view,1714557700\n")
    summary = import_events(db, later, options)
    assert (summary.loaded, summary.rejected) == (0, 1)
    assert summary.rejects[0].reason == ERASED


def test_forget_removes_events_left_without_their_customer(db, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp\nann,view,1714557600\nbob,view,1714557600\nbob,view,1714557601\n")
    import_events(db, log, ImportOptions(mapping=preset("generic")))
    # What an older version could leave: bob's row deleted while an import still wrote his events.
    con = sqlite3.connect(db)
    con.execute("DELETE FROM customers WHERE external_id = 'bob'")
    con.commit()
    con.close()
    with pytest.raises(NotFound, match="removed 2 events left without their customer"):
        forget(db, "bob")
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 1  # ann's only
    con.close()
