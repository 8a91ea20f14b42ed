"""Hostile input files: damaged compressed streams, unclosed quotes, values of every JSON type.

Each case is read with the shipped importer (or the command line) and checked against a second,
simpler reading of the same bytes: the records a user counts, the rows plain SQL finds stored.
"""

from __future__ import annotations

import json
import sqlite3

from designer.store.importer import ImportOptions, import_events
from designer.store.mapping import preset
from designer.store.sources import Pseudonymiser


def store_text(db) -> str:
    """Everything the store file and its write-ahead log hold, as text (for grepping raw values)."""
    wal = db.parent / (db.name + "-wal")
    raw = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    return raw.decode("latin-1")


def salt_of(db) -> str:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
    finally:
        con.close()


def test_pseudonymise_on_json_lines_covers_numbers_lists_and_objects(db, tmp_path):
    log = tmp_path / "people.jsonl"
    record = {
        "customer_id": "u1", "event": "view", "timestamp": 1714557600,
        "phone": 33612345678, "emails": ["Ann@Example.com", "b@y.org"], "who": {"id": "secret-id-77"},
        "score": 12.5, "kept": "plain",
    }
    log.write_text(json.dumps(record) + "\n")
    options = ImportOptions(mapping=preset("generic"), pseudonymise=("phone", "emails", "who", "score"))
    summary = import_events(db, log, options)
    assert (summary.loaded, summary.rejected) == (1, 0)
    con = sqlite3.connect(db)
    props = json.loads(con.execute("SELECT properties FROM events").fetchone()[0])
    con.close()
    pseudonym = Pseudonymiser(salt_of(db))
    # A number gets the pseudonym its digits get as text (as in a CSV), a list one per item,
    # an object one for the whole of it: nothing of the raw value is left.
    assert props["phone"] == pseudonym("33612345678")
    assert props["emails"] == [pseudonym("ann@example.com"), pseudonym("b@y.org")]
    assert props["who"] == pseudonym('{"id":"secret-id-77"}')
    assert props["score"] == pseudonym("12.5")
    assert props["kept"] == "plain"
    text = store_text(db)
    for raw in ("33612345678", "Ann@Example.com", "ann@example.com", "b@y.org", "secret-id-77"):
        assert raw not in text


def many_rejects_log(tmp_path):
    """130 rows with a column missing, then 40 with a bad time, then 5 good ones: 170 rejects."""
    lines = ["customer_id,event,timestamp,price"]
    lines += [f"a{i},view,1714557600" for i in range(130)]
    lines += [f"b{i},view,not a time {i},1" for i in range(40)]
    lines += [f"c{i},view,{1714557600 + i},1" for i in range(5)]
    log = tmp_path / "rejects.csv"
    log.write_text("\n".join(lines) + "\n")
    return log


EXPECTED_COUNTS = {"wrong column count": 130, "unparseable time": 40}


def test_every_reject_reason_is_counted_though_only_the_first_rows_are_kept(db, tmp_path):
    summary = import_events(db, many_rejects_log(tmp_path), ImportOptions(batch_size=50))
    assert (summary.loaded, summary.rejected, len(summary.rejects)) == (5, 170, 100)
    assert summary.reject_counts == EXPECTED_COUNTS
    # The kept rows alone would have shown no bad time at all.
    assert {r.reason.split(":")[0] for r in summary.rejects} == {"wrong column count"}
    con = sqlite3.connect(db)
    row = con.execute("SELECT rows_rejected, reject_counts FROM imports").fetchone()
    con.close()
    assert row[0] == sum(json.loads(row[1]).values()) and json.loads(row[1]) == EXPECTED_COUNTS


def test_reject_counts_are_shown_by_import_and_by_stats(capsys, db, tmp_path):
    from designer.cli import main

    log = many_rejects_log(tmp_path)
    assert main(["import", str(log), "--db", str(db), "--json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out.strip().splitlines()[-1])["reject_counts"] == EXPECTED_COUNTS
    assert "rejected by reason: wrong column count 130, unparseable time 40" in out
    assert main(["stats", "--db", str(db), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["imports"][0]["reject_counts"] == EXPECTED_COUNTS
    assert main(["stats", "--db", str(db)]) == 0
    assert "rejected by reason: wrong column count 130, unparseable time 40" in capsys.readouterr().out
