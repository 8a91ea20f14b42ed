"""Every reject reason, with its line number; the import goes on after each."""

from __future__ import annotations

import json

import pytest

from designer.store.importer import ImportFailed, ImportOptions, import_events
from designer.store.mapping import mapping_from_json, preset

from .conftest import stored_events

HEADER = b"customer_id,event,timestamp,price\n"


def run(db, tmp_path, body: bytes, name="in.csv", **kw):
    path = tmp_path / name
    path.write_bytes(body)
    summary = import_events(db, path, ImportOptions(**kw))
    assert summary.read == summary.loaded + summary.rejected + summary.duplicates
    return summary, {r.line: r.reason for r in summary.rejects}


def test_each_csv_reject_reason_names_its_line(db, tmp_path):
    body = (
        HEADER
        + b"u1,view,2024-05-01T10:00:00Z,1\n"  # line 2 fine
        + b"u2,view,2024-05-01T10:00:00Z\n"  # 3 too few columns
        + b"u3,view,2024-05-01T10:00:00Z,1,extra\n"  # 4 too many
        + b"u4,view,yesterday at noon,1\n"  # 5 unparseable time
        + b",view,2024-05-01T10:00:00Z,1\n"  # 6 empty customer id
        + b"   ,view,2024-05-01T10:00:00Z,1\n"  # 7 blank customer id
        + b"u5,,2024-05-01T10:00:00Z,1\n"  # 8 empty event name
        + b"u6,view,2024-05-01T10:00:00Z,caf\xe9\n"  # 9 Latin-1, not UTF-8
        + b"u7,view,,1\n"  # 10 empty time
        + b"u8,view,1e30,1\n"  # 11 out of range
        + b"u9,view,2024-05-01T10:00:01Z,2\n"  # 12 fine
    )
    summary, reasons = run(db, tmp_path, body)
    assert summary.status == "done"
    assert (summary.read, summary.loaded, summary.rejected) == (11, 2, 9)
    assert reasons == {
        3: "wrong column count: expected 4, found 3",
        4: "wrong column count: expected 4, found 5",
        5: "unparseable time 'yesterday at noon'",
        6: "empty customer id",
        7: "empty customer id",
        8: "empty event name",
        9: "bad encoding: not valid UTF-8",
        10: "empty time",
        11: "time '1e30' is out of range (1970-2099)",
    }


@pytest.mark.parametrize("tail,cut", [
    (b"u3,view,2024-05-01T10:00:02Z,3", True),  # the file stops mid-row: right column count, clipped value
    (b"u3,view,2024-05-01T10:00:02Z,3\n", False),  # a complete file
    (b"u3,view,2024-05-01T10:00:02Z,3\r\n", False),
    # Quoted text sends the block through csv.reader: the same rule holds there.
    (b'u3,view,2024-05-01T10:00:02Z,"3"', True),
    (b'u3,view,2024-05-01T10:00:02Z,"3, with a comma"\n', False),
    (b'u3,view,2024-05-01T10:00:02Z,"two\nlines"', True),
])
def test_a_last_row_without_a_line_break_is_taken_for_a_cut_off_row(db, tmp_path, tail, cut):
    body = HEADER + b"u1,view,2024-05-01T10:00:00Z,1\n" + b"u2,view,2024-05-01T10:00:01Z,2\n" + tail
    summary, reasons = run(db, tmp_path, body)
    assert summary.read == 3
    if cut:
        assert summary.loaded == 2 and list(reasons) == [4] and "cut off" in reasons[4]
    else:
        assert summary.loaded == 3 and reasons == {}


def test_line_numbers_count_physical_lines_across_quoted_newlines_and_blank_lines(db, tmp_path):
    body = (
        HEADER
        + b'u1,view,2024-05-01T10:00:00Z,"a\nmulti-line\nvalue"\n'  # lines 2-4
        + b"\n"  # 5 blank: not a record
        + b"u2,view,bad time,1\n"  # 6
    )
    summary, reasons = run(db, tmp_path, body)
    assert (summary.read, summary.loaded, summary.rejected) == (2, 1, 1)
    assert reasons == {6: "unparseable time 'bad time'"}
    assert stored_events(db)[0]["properties"]["price"] == "a\nmulti-line\nvalue"


def test_a_field_too_large_is_a_bad_csv_row_and_the_import_goes_on(db, tmp_path):
    body = HEADER + b"u1,view,2024-05-01T10:00:00Z," + b'"' + b"x" * (1 << 21) + b'"\n' + b"u2,view,2024-05-01T10:00:00Z,1\n"
    summary, reasons = run(db, tmp_path, body)
    assert summary.loaded == 1
    assert summary.rejected == 1
    assert next(iter(reasons.values())).startswith("bad CSV: field larger than field limit")


def test_each_json_lines_reject_reason(db, tmp_path):
    good = {"customer_id": "a", "event": "view", "timestamp": 1714557600}
    lines = [
        json.dumps(good),  # 1
        "{not json",  # 2
        "[1, 2]",  # 3
        json.dumps({**good, "customer_id": None}),  # 4
        json.dumps({**good, "event": ""}),  # 5
        json.dumps({**good, "timestamp": "soon"}),  # 6
        json.dumps({**good, "timestamp": True}),  # 7
        json.dumps({**good, "customer_id": 1.5}),  # 8
    ]
    body = ("\n".join(lines) + "\n").encode() + b'{"customer_id": "\xff", "event": "view", "timestamp": 1}\n'  # 9
    summary, reasons = run(db, tmp_path, body, name="in.jsonl")
    assert (summary.read, summary.loaded, summary.rejected) == (9, 1, 8)
    assert reasons[2].startswith("invalid JSON")
    assert reasons[3] == "not a JSON object"
    assert reasons[4] == "empty customer id"
    assert reasons[5] == "empty event name"
    assert reasons[6] == "unparseable time 'soon'"
    assert reasons[7] == "empty time"
    assert reasons[8] == "customer id 1.5 is not text or an integer"
    assert reasons[9] == "bad encoding: not valid UTF-8"


def test_an_over_long_json_line_is_rejected_without_reading_it_into_memory(db, tmp_path):
    from designer.store.sources import MAX_LINE

    big = b'{"customer_id": "a", "event": "view", "timestamp": 1, "x": "' + b"y" * (MAX_LINE + 10) + b'"}\n'
    ok = b'{"customer_id": "b", "event": "view", "timestamp": 1714557600}\n'
    summary, reasons = run(db, tmp_path, ok + big + ok.replace(b'"b"', b'"c"'), name="in.jsonl")
    assert (summary.read, summary.loaded, summary.rejected) == (3, 2, 1)
    assert reasons[2].startswith("line too long")


@pytest.mark.parametrize(
    "mapping, message",
    [
        ({"customer": "who", "event": "event", "time": "timestamp"}, "no customer column 'who'"),
        ({"customer": 9, "event": 1, "time": 2, "header": True}, "customer column index 9 is beyond"),
        ({"preset": "nope"}, "unknown preset 'nope'"),
        ({"customer": "a", "event": "b"}, "missing 'time'"),
        ({"customer": "a", "event": "b", "time": "c", "colour": 1}, "unknown mapping key(s) 'colour'"),
    ],
)
def test_a_mapping_that_does_not_fit_the_file_stops_before_anything_is_written(db, tmp_path, mapping, message):
    path = tmp_path / "in.csv"
    path.write_bytes(HEADER + b"u1,view,2024-05-01T10:00:00Z,1\n")
    with pytest.raises((ImportFailed, ValueError), match=message.replace("(", r"\(").replace(")", r"\)")):
        import_events(db, path, ImportOptions(mapping=mapping_from_json(mapping)))
    if db.exists():
        assert stored_events(db) == []


def test_missing_file_cannot_run(db, tmp_path):
    with pytest.raises(ImportFailed, match="no such file"):
        import_events(db, tmp_path / "absent.csv", ImportOptions(mapping=preset("generic")))


def test_bad_bytes_far_into_the_file_are_still_found(db, tmp_path):
    clean = b"".join(b"u%d,view,%d,1\n" % (i, 1714557600 + i) for i in range(60_000))  # > 1 MB read chunk
    body = HEADER + clean + b"u9,view,1714557600,caf\xe9\n" + b"u10,view,1714557601,ok\n"
    summary, reasons = run(db, tmp_path, body)
    assert summary.loaded == 60_001
    assert reasons == {60_002: "bad encoding: not valid UTF-8"}
