"""Hostile cells: NUL characters, full-width digits, numbers past Python's int-conversion limit.

Each is a reject by line (or, for a huge number in a text column, kept as exact text), never a
traceback or a stuck import.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from designer.cli import main

HUGE = "9" * 5000  # past sys.get_int_max_str_digits() (4,300)


def imported(capsys, db, path) -> dict:
    code = main(["import", str(path), "--db", str(db), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Traceback" not in err
    return json.loads(out.strip().splitlines()[-1])


def stored(db) -> list[tuple[str, str, int, str]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(
            "SELECT c.external_id, e.name, e.time, e.properties FROM events e JOIN customers c ON c.id = e.customer_id"
        ).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("clean_rows", [0, 3])  # the line-by-line path and the block path with a bad line in it
def test_nul_characters_and_full_width_digits_in_csv_are_rejects_by_line(capsys, db, tmp_path, clean_rows):
    log = tmp_path / "odd.csv"
    extra = "".join(f"k{i},view,1714557600\n" for i in range(clean_rows))
    log.write_text(
        "customer_id,event,timestamp\n"
        "u1,view,\uff12\uff10\uff12\uff15-01-01 10:00:00\n"
        "u\x002,view,1714557600\n"
        "u3,vi\x00ew,1714557600\n"
        "u4,view,\uff11\uff17\uff11\uff14\uff15\uff15\uff17\uff16\uff10\uff10\n"
        "u5,view,1714557600\n" + extra
    )
    report = imported(capsys, db, log)
    assert [(r["line"], r["reason"].split(":")[0].split(" '")[0]) for r in report["rejects"]] == [
        (2, "unparseable time"), (3, "NUL character in the record"), (4, "NUL character in the record"),
        (5, "unparseable time"),
    ]
    rows = stored(db)
    assert sorted(r[0] for r in rows) == sorted(["u5"] + [f"k{i}" for i in range(clean_rows)])
    assert not any("\x00" in r[0] or "\x00" in r[1] for r in rows)


def test_nul_characters_and_full_width_digits_in_json_lines_are_rejects_by_line(capsys, db, tmp_path):
    log = tmp_path / "odd.jsonl"
    log.write_text(
        '{"customer_id": "u\\u00001", "event": "view", "timestamp": 1714557600}\n'
        '{"customer_id": "u2", "event": "view", "timestamp": "\uff11\uff17\uff11\uff14\uff15\uff15\uff17\uff16\uff10\uff10"}\n'
        '{"customer_id": "u3", "event": "view", "timestamp": 1714557600}\n'
    )
    report = imported(capsys, db, log)
    assert [r["line"] for r in report["rejects"]] == [1, 2]
    assert report["rejects"][0]["reason"] == "NUL character in the record"
    assert [r[0] for r in stored(db)] == ["u3"]


def test_a_number_past_the_int_conversion_limit_is_a_reject_or_exact_text(capsys, db, tmp_path):
    log = tmp_path / "big.csv"
    log.write_text(
        "customer_id,event,timestamp,price\n"
        f"u1,view,1714557600,{HUGE}\n"
        f"{HUGE},view,1714557600,1\n"
        f"u2,view,{HUGE},1\n"
        "u3,view,1714557600,1\n"
    )
    report = imported(capsys, db, log)
    assert report["loaded"] == 3 and [r["line"] for r in report["rejects"]] == [4]
    rows = {r[0]: json.loads(r[3]) for r in stored(db)}
    assert rows["u1"]["price"] == HUGE  # a text value, exact
    assert HUGE in rows and "u3" in rows
    # The store is not left stuck: the import is done, and another file imports.
    con = sqlite3.connect(db)
    assert con.execute("SELECT status FROM imports").fetchall() == [("done",)]
    con.close()


def test_a_number_past_the_int_conversion_limit_in_json_lines_is_a_reject(capsys, db, tmp_path):
    log = tmp_path / "big.jsonl"
    log.write_text(
        '{"customer_id": "u1", "event": "view", "timestamp": 1714557600, "price": ' + HUGE + "}\n"
        '{"customer_id": "u3", "event": "view", "timestamp": 1714557600}\n'
    )
    report = imported(capsys, db, log)
    assert report["rejects"] == [{"line": 1, "reason": "invalid JSON: a number too long"}]
    assert [r[0] for r in stored(db)] == ["u3"]
