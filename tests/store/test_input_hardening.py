"""Hostile input files: damaged compressed streams, unclosed quotes, values of every JSON type.

Each case is read with the shipped importer (or the command line) and checked against a second,
simpler reading of the same bytes: the records a user counts, the rows plain SQL finds stored.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys

import pytest

from designer import ROOT
from designer.store.importer import DamagedInput, ImportOptions, import_events
from designer.store.mapping import preset
from designer.store.sources import Pseudonymiser


def store_text(db) -> str:
    """Everything the store file and its write-ahead log hold, as text (for grepping raw values)."""
    wal = db.parent / (db.name + "-wal")
    raw = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    return raw.decode("latin-1")


def salt_of(db) -> str:
    """The store's pseudonymisation key (kept outside the store)."""
    from designer.store.db import open_store
    from designer.store.keys import store_key

    engine = open_store(db)
    try:
        with engine.connect() as conn:
            return store_key(conn)
    finally:
        engine.dispose()


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


def damaged_gzip(tmp_path, name: str, rows: int = 60_000, where: str = "middle"):
    """A gzip log whose compressed bytes are damaged: 50 flipped in the middle, or a wrong checksum."""
    import gzip

    if name.endswith(".jsonl.gz"):
        text = "".join(json.dumps({"customer_id": f"c{i % 700}", "event": "view", "timestamp": 1714557600 + i,
                                   "price": i % 97 + 0.5}) + "\n" for i in range(rows))
    else:
        text = "customer_id,event,timestamp,price\n" + "".join(
            f"c{i % 700},view,{1714557600 + i},{i % 97}.5\n" for i in range(rows))
    data = bytearray(gzip.compress(text.encode(), compresslevel=6))
    if where == "middle":
        middle = len(data) // 2
        for k in range(50):
            data[middle + k] ^= 0xFF
    else:  # the CRC-32 in the trailer: every byte decodes, the check at the end fails
        data[-8] ^= 0xFF
    path = tmp_path / name
    path.write_bytes(bytes(data))
    return path, len(data)


def stored_rows(db) -> tuple[int, int, list[tuple[str, int]]]:
    con = sqlite3.connect(db)
    try:
        return (con.execute("SELECT count(*) FROM events").fetchone()[0],
                con.execute("SELECT count(*) FROM customers").fetchone()[0],
                con.execute("SELECT status, rows_loaded FROM imports").fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("name", ["log.csv.gz", "log.jsonl.gz"])
@pytest.mark.parametrize("where", ["middle", "checksum"])
@pytest.mark.parametrize("parallel", [False, True])
def test_a_damaged_compressed_stream_fails_the_import_and_stores_nothing(db, tmp_path, name, where, parallel):
    path, size = damaged_gzip(tmp_path, name, where=where)
    with pytest.raises(DamagedInput) as caught:
        import_events(db, path, ImportOptions(batch_size=5_000, parallel=parallel))
    message = str(caught.value)
    assert "damaged" in message and str(path) in message
    offset = int(re.search(r"byte ([\d,]+)", message).group(1).replace(",", ""))
    assert 0 < offset <= size
    events, customers, recorded = stored_rows(db)
    assert (events, customers) == (0, 0)
    assert recorded == [("failed", 0)]  # never "done"
    # The same damaged file again fails again: nothing was taken for done or resumable.
    with pytest.raises(DamagedInput):
        import_events(db, path, ImportOptions(batch_size=5_000, parallel=parallel))
    assert stored_rows(db)[0] == 0


def test_the_command_line_names_the_damage_with_exit_1_and_no_traceback(tmp_path):
    path, _ = damaged_gzip(tmp_path, "log.csv.gz")
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "import", str(path), "--db", str(tmp_path / "s.db")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert "damaged" in last and re.search(r"byte [\d,]+", last)
    assert "done" not in proc.stdout


def unclosed_quote_log(tmp_path, after: int, note_bytes: int = 0, end_newline: bool = True):
    """Six good rows, a row whose note opens a quote that never closes (line 8), ``after`` good rows."""
    note = "x" * note_bytes
    lines = ["customer_id,event,timestamp,note"]
    lines += [f"a{i},view,{1714557600 + i},n{i}{note}" for i in range(6)]
    lines.append('bad,view,1714557600,"this quote is never closed')
    lines += [f"b{i},view,{1714557700 + i},m{i}{note}" for i in range(after)]
    log = tmp_path / "quote.csv"
    log.write_text("\n".join(lines) + ("\n" if end_newline else ""))
    return log, len(lines) - 1  # the records a user counts: one a line after the header


@pytest.mark.parametrize("after, note_bytes", [
    (30, 0),  # the quote runs to the end of the file
    (3_000, 0),  # past the lines a field may span
    (400, 4_000),  # past the 1 MiB a field may hold, in fewer lines
    (0, 0),  # the last line opens it
])
def test_an_unclosed_quote_is_one_reject_by_its_line_and_the_rows_after_it_are_read(db, tmp_path, after, note_bytes):
    log, records = unclosed_quote_log(tmp_path, after, note_bytes)
    summary = import_events(db, log, ImportOptions(batch_size=1_000))
    assert summary.status == "done"
    assert summary.read == records  # every line after the header, as a user counts them
    assert [r.line for r in summary.rejects] == [8]
    assert "quote" in summary.rejects[0].reason or "field" in summary.rejects[0].reason
    assert summary.loaded == records - 1
    con = sqlite3.connect(db)
    stored = {r[0] for r in con.execute("SELECT external_id FROM customers")}
    longest = con.execute("SELECT max(length(properties)) FROM events").fetchone()[0]
    con.close()
    assert stored == {f"a{i}" for i in range(6)} | {f"b{i}" for i in range(after)}
    assert longest < note_bytes + 100  # no row swallowed the ones after it
