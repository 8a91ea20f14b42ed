"""The store commands as a user runs them: output, --json last line, exit codes."""

from __future__ import annotations

import json

import pytest

from designer.cli import main

from .conftest import fixture


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_import_prints_a_summary_and_json_counts(capsys, db):
    code, out, err = run(capsys, "import", str(fixture("rees46.csv")), "--db", str(db), "--preset", "rees46", "--json")
    assert code == 0  # finished, even with a rejected row
    last = json.loads(out.strip().splitlines()[-1])
    assert last == {
        "read": 11, "loaded": 10, "rejected": 1, "duplicates": 0,
        "rejects": [{"line": 12, "reason": "wrong column count: expected 9, found 4"}],
        "reject_counts": {"wrong column count": 1},
    }
    assert "line 12: wrong column count" in out
    assert "rows/s" in err  # the progress bar
    code, out, _ = run(capsys, "import", str(fixture("rees46.csv")), "--db", str(db), "--preset", "rees46", "--json")
    assert code == 0 and "already imported" in out
    assert json.loads(out.strip().splitlines()[-1])["loaded"] == 0


def test_import_with_a_mapping_and_zone(capsys, db, tmp_path):
    log = tmp_path / "shop.csv"
    log.write_text("who;what;when;amount\nann;BUY;2024-05-01 12:00:00;10\n")
    mapping = '{"customer": "who", "event": "what", "time": "when", "events": {"BUY": "purchase"}}'
    code, out, _ = run(capsys, "import", str(log), "--db", str(db), "--map", mapping, "--tz", "Europe/Paris", "--json")
    assert code == 0
    assert json.loads(out.strip().splitlines()[-1])["loaded"] == 1
    code, out, _ = run(capsys, "stats", "--db", str(db), "--json")
    stats = json.loads(out)
    assert stats["events_by_name"] == {"purchase": 1}
    assert stats["first_event"] == 1714557600000


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--preset", "rees46", "--tz", "Nowhere/Land"], "unknown time zone 'Nowhere/Land'"),
        (["--map", "{not json"], "mapping is not valid JSON"),
        (["--map", '{"customer": "nope", "event": "event_type", "time": "event_time"}'], "no customer column 'nope'"),
    ],
)
def test_import_that_cannot_run_exits_2_with_one_line(capsys, db, extra, message):
    code, out, err = run(capsys, "import", str(fixture("rees46.csv")), "--db", str(db), *extra)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_import_of_a_missing_file_exits_2(capsys, db, tmp_path):
    code, _, err = run(capsys, "import", str(tmp_path / "nope.csv"), "--db", str(db))
    assert code == 2 and "no such file" in err


def test_rollback_of_a_file_never_imported_exits_1(capsys, db):
    code, _, err = run(capsys, "import", str(fixture("taobao.csv")), "--db", str(db), "--rollback")
    assert code == 1 and "no import of this file" in err


def test_rollback_of_a_finished_import_removes_its_events(capsys, db):
    run(capsys, "import", str(fixture("taobao.csv")), "--db", str(db), "--preset", "taobao")
    code, out, _ = run(capsys, "import", str(fixture("taobao.csv")), "--db", str(db), "--rollback", "--json")
    assert code == 0
    assert json.loads(out.strip().splitlines()[-1]) == {"import_id": 1, "events_removed": 9, "customers_removed": 3, "customers_restored": 0}
    code, out, _ = run(capsys, "import", str(fixture("taobao.csv")), "--db", str(db), "--preset", "taobao", "--json")
    assert json.loads(out.strip().splitlines()[-1])["loaded"] == 9


def test_import_customers_stats_forget(capsys, db):
    code, out, _ = run(capsys, "import-customers", str(fixture("customers.csv")), "--db", str(db), "--json")
    assert code == 0
    assert json.loads(out.strip().splitlines()[-1])["loaded"] == 3
    run(capsys, "import", str(fixture("rees46.csv")), "--db", str(db), "--preset", "rees46")
    code, out, _ = run(capsys, "stats", "--db", str(db))
    assert code == 0
    assert "customers  8" in out and "view" in out and "done" in out
    code, out, _ = run(capsys, "forget", "541300001", "--db", str(db), "--json")
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["events_deleted"] == 2
    code, out, _ = run(capsys, "forget", "541300001", "--db", str(db))
    assert code == 0 and "customer '541300001' was already erased" in out  # a second erasure is not an error
    code, _, err = run(capsys, "forget", "541300999", "--db", str(db))
    assert code == 1 and "no customer '541300999'" in err
    stats = json.loads(run(capsys, "stats", "--db", str(db), "--json")[1])
    assert stats["erasures"] == 1 and stats["customers"] == 7


def test_sample_command(capsys, db):
    code, out, _ = run(capsys, "sample", "--db", str(db), "--customers", "40", "--days", "10", "--seed", "2", "--json")
    assert code == 0
    figures = json.loads(out.strip().splitlines()[-1])
    assert figures["customers"] == 40 and figures["events"] > 0
    code, _, err = run(capsys, "sample", "--db", str(db), "--customers", "40")
    assert code == 2 and "already has 40 customers" in err


def test_stats_of_a_missing_store_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "stats", "--db", str(tmp_path / "none.db"))
    assert code == 2 and "no such store" in err
    assert not (tmp_path / "none.db").exists()
