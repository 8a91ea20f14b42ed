"""CSV read a block and a column at a time gives what reading row by row gives, wherever the blocks end."""

from __future__ import annotations

import csv
import io
from json.encoder import encode_basestring
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from designer.store import csvtext
from designer.store.codec import dedupe_key, json_value
from designer.store.csvtext import TextStream
from designer.store.importer import ImportOptions, import_events
from designer.store.mapping import mapping_from_json
from designer.store.parallel import _pack, _unpack
from designer.store.sources import NUL_BYTE, EventSource
from designer.store.timeparse import TimeError, TimeParser

from .conftest import stored_events

HEADER = ["customer_id", "event", "timestamp", "price", "brand"]
MAPPING = mapping_from_json({"preset": "generic", "delimiter": ","})


def reference(text: str) -> tuple[list[tuple], list[tuple[int, str]], int]:
    """(events, rejects, records) of a generic CSV with a header, one row at a time with the csv module."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    header = next(reader)
    prev = reader.line_num
    ncols = len(header)
    keys = sorted((name, i) for i, name in enumerate(header) if i > 2)
    parser = TimeParser()
    events, rejects, records = [], [], 0
    for row in reader:
        line = prev + 1
        prev = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip() and ncols != 1):
            continue
        records += 1
        if len(row) != ncols:
            rejects.append((line, f"wrong column count: expected {ncols}, found {len(row)}"))
            continue
        if any("\x00" in cell for cell in row):
            rejects.append((line, NUL_BYTE))
            continue
        customer = row[0]
        if not customer or customer[0] == " " or customer[-1] == " ":
            customer = customer.strip()
        if not customer:
            rejects.append((line, "empty customer id"))
            continue
        name = row[1].strip()
        if not name:
            rejects.append((line, "empty event name"))
            continue
        try:
            ms = parser(row[2])
        except TimeError as exc:
            rejects.append((line, str(exc)))
            continue
        body = "{" + ",".join(encode_basestring(k) + ":" + json_value(row[i]) for k, i in keys if row[i]) + "}"
        events.append((customer, name, ms, body, dedupe_key(name, body)))
    return events, rejects, records


def read_all(path, batch: int) -> tuple[list[tuple], list[tuple[int, str]], int]:
    events, rejects, records = [], [], 0
    with EventSource(path, MAPPING) as source:
        while True:
            b = _unpack(_pack(source.next_batch(batch)))  # through the child process's packing too
            events += zip(b.external_ids(), b.names, b.times, b.properties, b.keys)
            rejects += b.rejects
            records += b.read
            assert b.rejects == sorted(b.rejects)
            if b.done:
                return events, rejects, records


cells = st.one_of(
    st.sampled_from(["", " ", "12.50", "0", "007", "2103807459595387723", "-3", "1e3", "x", "a,b", 'say "hi"', "two\nlines",
                     "cr\ronly", "crlf\r\n", "é", "tab\t", "nul\x00"]),
    st.text(max_size=5),
)
customers = st.sampled_from(["u1", "u2", " u3 ", "", " ", "\tu4", "u,5", 'u"6'])
names = st.sampled_from(["view", " purchase ", "", " ", "add,to,cart"])
times = st.sampled_from(["2024-05-01T10:00:00Z", "2024-05-01T10:00:01Z", "1714557600", "1714557600123", "soon", "",
                         "2024-02-30T00:00:00Z", "2024-05-01 10:00:00 UTC"])
good_row = st.tuples(customers, names, times, cells, cells).map(list)
rows = st.lists(
    st.one_of(good_row, good_row, good_row, st.lists(cells, max_size=7), st.just([]), st.just([" "])), max_size=40
)


@settings(max_examples=100, deadline=None)
@given(rows, st.sampled_from(["\n", "\r\n"]), st.integers(1, 80), st.integers(1, 7))
def test_blocks_and_columns_read_what_rows_read(tmp_path_factory, rows, newline, read_size, batch):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(HEADER)
    writer.writerows(rows)
    text = out.getvalue()
    path = tmp_path_factory.mktemp("csv") / "log.csv"
    path.write_bytes(text.encode("utf-8"))
    with mock.patch.object(csvtext, "READ_CHUNK", read_size):
        got = read_all(path, batch)
    assert got == reference(text)


def test_text_stream_lines_and_blocks_follow_universal_newlines():
    text = "a\r\nb\rc\n\nd\re"
    stream = TextStream(io.BytesIO(text.encode()))
    with mock.patch.object(csvtext, "READ_CHUNK", 3):
        lines = []
        while line := stream.readline():
            lines.append(line)
    assert lines == list(io.StringIO(text, newline=""))
    with mock.patch.object(csvtext, "READ_CHUNK", 2):
        stream = TextStream(io.BytesIO(("\ufeff" + text).encode()))
        blocks = []
        while (block := stream.block()) is not None:
            blocks.append(block)
    assert "".join(blocks) == text  # the byte order mark is dropped
    assert all(b.endswith(("\n", "\r")) for b in blocks[:-1])


def test_plain_lines_only_for_text_without_quotes_or_lone_carriage_returns():
    from designer.store.csvtext import plain_lines

    assert plain_lines("a,b\r\nc,d\r\n", 100) == ["a,b", "c,d"]
    assert plain_lines("a,b\nc", 100) == ["a,b", "c"]
    assert plain_lines('a,"b"\n', 100) is None
    assert plain_lines("a\rb\n", 100) is None
    assert plain_lines("a,\udcff\n", 100) is None  # undecodable bytes are found row by row
    assert plain_lines("x" * 11 + "\n", 10) is None  # csv reports the over-long field


def write(path, lines: list[str]) -> None:
    path.write_text("customer_id,event,timestamp,category_id,price\n" + "".join(lines))


def test_long_ids_stay_exact_and_bad_rows_mid_batch_keep_their_lines(db, tmp_path):
    """Plain text, so the fast path: 19-digit ids stay text, prices numbers, bad rows anywhere in a batch."""
    lines = []
    bad = {}
    for i in range(3000):
        line_no = i + 2
        if i % 401 == 7:
            lines.append(f"u{i},view,{1714557600 + i}\n")
            bad[line_no] = "wrong column count: expected 5, found 3"
        elif i % 401 == 9:
            lines.append(f"u{i},view,{1714557600 + i},1,2,3\n")
            bad[line_no] = "wrong column count: expected 5, found 6"
        elif i % 401 == 11:
            lines.append("\n")  # a blank line: not a record, but it counts as a line
        elif i % 401 == 13:
            lines.append(f"u{i},view,not a time,1,2\n")
            bad[line_no] = "unparseable time 'not a time'"
        else:
            lines.append(f"u{i},view,{1714557600 + i},{2103807459595387723 + i},{i % 500}.{i % 100:02d}\n")
    log = tmp_path / "log.csv"
    write(log, lines)
    blank = sum(1 for i in range(3000) if i % 401 == 11)
    summary = import_events(db, log, ImportOptions(mapping=MAPPING, batch_size=700))
    assert {r.line: r.reason for r in summary.rejects} == bad
    assert summary.read == 3000 - blank
    assert summary.loaded == 3000 - blank - len(bad)
    events = stored_events(db)
    first = events[0]["properties"]
    assert first == {"category_id": "2103807459595387723", "price": 0.0}
    assert all(isinstance(e["properties"]["category_id"], str) for e in events)
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)  # stored in file order


def test_quoted_rows_between_plain_ones_keep_file_order_across_block_ends(db, tmp_path):
    lines = []
    for i in range(400):
        if i % 37 == 5:
            lines.append(f'u{i},view,{1714557600 + i},"quoted, with a comma","multi\nline"\n')
        else:
            lines.append(f"u{i},view,{1714557600 + i},{i},plain\n")
    log = tmp_path / "log.csv"
    write(log, lines)
    with mock.patch.object(csvtext, "READ_CHUNK", 64):
        summary = import_events(db, log, ImportOptions(mapping=MAPPING, batch_size=50))
    assert (summary.read, summary.loaded, summary.rejected) == (400, 400, 0)
    events = stored_events(db)
    assert [e["customer"] for e in events] == [f"u{i}" for i in range(400)]
    assert events[5]["properties"] == {"category_id": "quoted, with a comma", "price": "multi\nline"}


def test_packing_for_the_child_process_keeps_every_value(tmp_path):
    from designer.store.parallel import pack_texts, unpack_texts

    for values in ([], [""], ["a", "", "b"], ["with\x00nul", "x"], ["é", "\udcff"]):
        assert unpack_texts(pack_texts(values), len(values)) == values


def test_customer_ids_are_trimmed_only_when_they_start_or_end_with_a_space(db, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp\n u3 ,view,1714557600\n\tu4,view,1714557601\nu5\t,view,1714557602\n"
                   ",view,1714557603\n \t ,view,1714557604\n")
    summary = import_events(db, log, ImportOptions(mapping=MAPPING))
    assert [e["customer"] for e in stored_events(db)] == ["u3", "\tu4", "u5\t"]
    assert {r.line: r.reason for r in summary.rejects} == {5: "empty customer id", 6: "empty customer id"}
