"""The compiled CSV path (Arrow) and the exact per-row path store the same events and rejects."""

from __future__ import annotations

import gzip
import json
import sqlite3
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.store import arrowcsv, csvtext
from designer.store.importer import ImportOptions, import_events, rollback_import
from designer.store.mapping import preset
from designer.store.sources import EventSource

from .conftest import fixture
from .reading import read_all

pytestmark = pytest.mark.skipif(not arrowcsv.AVAILABLE, reason="the compiled path needs pyarrow")

HEADER = "customer_id,event,timestamp,price,product_id,category"


def store_contents(db: Path) -> dict:
    """Everything an import leaves that the two paths must agree on."""
    con = sqlite3.connect(db)
    try:
        events = con.execute(
            "SELECT c.external_id, e.name, e.time, e.properties, e.dedupe_key FROM events e "
            "JOIN customers c ON c.id = e.customer_id ORDER BY e.id"
        ).fetchall()
        customers = con.execute("SELECT id, external_id FROM customers ORDER BY id").fetchall()
        imports = con.execute(
            "SELECT rows_read, rows_loaded, rows_rejected, rows_duplicate, status, rejects, reject_counts "
            "FROM imports ORDER BY id"
        ).fetchall()
    finally:
        con.close()
    return {"events": events, "customers": customers, "imports": imports}


def import_both(path: Path, tmp: Path, **options) -> tuple[dict, dict]:
    """The store after importing ``path`` the compiled way and the exact way (in this process)."""
    results = []
    for compiled in (True, False):
        db = tmp / f"store-{'compiled' if compiled else 'exact'}.db"
        import_events(db, path, ImportOptions(compiled=compiled, parallel=False, **options))
        results.append(store_contents(db))
    return results[0], results[1]


class Spy:
    """Counts the Arrow tables the compiled path converts (so a test knows it ran)."""

    def __init__(self) -> None:
        self.rows = 0
        self._real = arrowcsv.ArrowConverter.convert

    def __enter__(self) -> Spy:
        spy = self

        def convert(converter, table):
            spy.rows += table.num_rows
            return spy._real(converter, table)

        self._patch = mock.patch.object(arrowcsv.ArrowConverter, "convert", convert)
        self._patch.start()
        return self

    def __exit__(self, *exc) -> None:
        self._patch.stop()


@pytest.mark.parametrize(
    "name, mapping", [("rees46.csv", "rees46"), ("retailrocket.csv", "retailrocket"), ("taobao.csv", "taobao")]
)
def test_every_fixture_gives_the_same_store(tmp_path, name, mapping):
    compiled, exact = import_both(fixture(name), tmp_path, mapping=preset(mapping), batch_size=7)
    assert compiled == exact
    assert compiled["events"]


def test_a_clean_log_goes_through_arrow_and_matches_by_hand(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(
        HEADER + "\n"
        "u1,view,2024-05-01T10:00:00Z,12.50,1234567890123456789,shoes\n"
        "u2,Purchase,2024-05-01 12:00:00+02:00,007,42,home.kitchen\n"
        "u1,view,2024-05-01T10:00:00Z,12.50,1234567890123456789,shoes\n"
        "u3,view,2024-05-01 10:00:01 UTC,1e3,,back\\slash\n",
        encoding="utf-8",
    )
    with Spy() as spy:
        compiled, exact = import_both(log, tmp_path)
    assert spy.rows == 4  # the compiled path read every row
    assert compiled == exact
    events = [(c, n, t, json.loads(p)) for c, n, t, p, _ in compiled["events"]]
    assert events == [
        ("u1", "view", 1714557600000, {"category": "shoes", "price": 12.5, "product_id": "1234567890123456789"}),
        ("u2", "Purchase", 1714557600000, {"category": "home.kitchen", "price": "007", "product_id": 42}),
        ("u3", "view", 1714557601000, {"category": "back\\slash", "price": 1e3}),
    ]
    assert compiled["imports"][0][:4] == (4, 3, 0, 1)


def test_rejects_keep_their_lines_and_reasons_between_clean_blocks(tmp_path):
    rows = [HEADER]
    for i in range(300):
        if i == 100:
            rows.append('u1,view,"2024-05-01T10:00:00Z\nstill the time",1,2,x')  # a quoted line break
        elif i == 150:
            rows.append("u1,view,2024-05-01T10:00:00Z,1,2")  # a cell short
        elif i == 200:
            rows.append(f"u{i},view,not-a-time,1,2,x")
        elif i == 250:
            rows.append(f" ,view,2024-05-01T10:00:00Z,1,2,x")
        else:
            rows.append(f"u{i % 7},view,2024-05-01T10:{i // 60:02d}:{i % 60:02d}Z,{i},{i * 7},c{i % 3}")
    log = tmp_path / "log.csv"
    log.write_text("\n".join(rows) + "\n2024", encoding="utf-8")  # ends in a cut-off row
    with mock.patch.object(csvtext, "READ_CHUNK", 512), Spy() as spy:
        compiled, exact = import_both(log, tmp_path, batch_size=40)
    assert spy.rows > 200
    assert compiled == exact
    rejects = [(r["line"], r["reason"]) for r in json.loads(compiled["imports"][0][5])]
    expected = [
        (102, "unparseable time '2024-05-01T10:00:00Z\\nstill the time'"),
        (153, "wrong column count: expected 6, found 5"),
        (203, "unparseable time 'not-a-time'"),
        (253, "empty customer id"),
        (303, "wrong column count: expected 6, found 1"),
    ]
    assert rejects == expected


def test_an_interrupted_compiled_import_resumes_and_rolls_back(tmp_path):
    log = tmp_path / "log.csv"
    lines = [HEADER] + [f"u{i % 50},view,2024-05-01T10:00:{i % 60:02d}Z,{i},{i % 9},c" for i in range(2000)]
    lines[700] = "u1,view,never,1,2,c"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "store.db"
    batches = []
    with mock.patch.object(csvtext, "READ_CHUNK", 4096), Spy() as spy:
        first = import_events(db, log, ImportOptions(batch_size=300, parallel=False),
                              should_stop=lambda: len(batches) >= 2, progress=batches.append)
        assert first.status == "interrupted" and first.read == 600
        resumed = import_events(db, log, ImportOptions(batch_size=300, parallel=False))
    assert spy.rows >= 2000
    assert resumed.status == "done" and resumed.resumed_at == 600
    exact_db = tmp_path / "exact.db"
    import_events(exact_db, log, ImportOptions(compiled=False, parallel=False))
    ours, theirs = store_contents(db), store_contents(exact_db)
    assert ours["events"] == theirs["events"] and ours["customers"] == theirs["customers"]
    assert ours["imports"][0][:5] == theirs["imports"][0][:5] == (2000, 1999, 1, 0, "done")
    assert json.loads(ours["imports"][0][5]) == [{"line": 701, "reason": "unparseable time 'never'"}]
    removed = rollback_import(db, resumed.import_id)
    assert removed.events_removed == 1999
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 0
    con.close()


# -- generated files -------------------------------------------------------------------------

CUSTOMERS = st.one_of(
    st.from_regex(r"u[0-9]{1,3}", fullmatch=True),
    st.integers(10**18, 10**19 - 1).map(str),  # 19-digit ids stay exact text
    st.sampled_from(["", " ", " u1", "u1 ", "\tu2", "\ufeffu3"]),
)
EVENTS = st.sampled_from(["view", "Purchase", "add_to_cart", "", " ", "custom é", "cart"])
TIMES = st.one_of(
    st.datetimes(
        min_value=__import__("datetime").datetime(1969, 12, 30), max_value=__import__("datetime").datetime(2100, 1, 2)
    ).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S") + "Z"),
    st.sampled_from([
        "2024-05-01T10:00:00Z", "2024-05-01 10:00:00+02:00", "2024-05-01T10:00:00", "2024-05-01 00:00:00 UTC",
        "2024-05-01T10:00:00.123Z", "1714557600", "1714557600123", "not-a-time", "", "2024-02-30T00:00:00Z",
        "2024-05-01T24:00:00Z", "2024-05-01T10:00:60Z", "２０２４-05-01T10:00:00Z", "2024-05-01T10:00:00+24:00",
        "2024-13-01T10:00:00Z", "0000-01-01T00:00:00Z", "2024-05-01t10:00:00z", "2024-05-01 10:00:00 utc",
    ]),
)
VALUES = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["", "007", "12.50", "-0", "1e3", "0.00", "１２", " 5", "a\\b", "x\ty", "-", "1.", "shoes", "é"]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.text(alphabet=st.characters(blacklist_characters=',"\r\n', blacklist_categories=("Cs",)), max_size=6),
)
ROW = st.tuples(CUSTOMERS, EVENTS, TIMES, VALUES, VALUES, VALUES).map(",".join)
ODD_LINES = st.sampled_from([
    "", "u1,view", "u1,view,2024-05-01T10:00:00Z,1,2,3,4", 'u1,"view\nmore",2024-05-01T10:00:00Z,1,2,3',
    'u1,view,"2024-05-01T10:00:00Z",1,"a,b",3', "u1,view,2024-05-01T10:00:00Z,\x00,2,3", 'u1,"open', "u1\r",
])
LINES = st.lists(st.one_of(ROW, ROW, ROW, ODD_LINES), max_size=40)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    lines=LINES,
    ending=st.sampled_from(["\n", "\r\n"]),
    cut=st.booleans(),
    packed=st.sampled_from(["plain", "gzip", "gzip-cut"]),
    chunk=st.integers(16, 400),
    batch=st.integers(1, 30),
)
def test_generated_files_give_the_same_store(lines, ending, cut, packed, chunk, batch):
    text = HEADER + ending + ending.join(lines) + ("" if cut or not lines else ending)
    data = text.encode("utf-8", "surrogatepass")
    if packed != "plain":
        data = gzip.compress(data)
        if packed == "gzip-cut":
            data = data[: max(10, len(data) * 2 // 3)]
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(csvtext, "READ_CHUNK", chunk):
        path = Path(tmp) / ("log.csv.gz" if packed != "plain" else "log.csv")
        path.write_bytes(data)
        compiled, exact = read_all(path, True, batch), read_all(path, False, batch)
    assert compiled == exact


def test_an_empty_file_and_a_header_alone_give_nothing(tmp_path):
    for text in ("", HEADER + "\n"):
        log = tmp_path / "log.csv"
        log.write_text(text, encoding="utf-8")
        with EventSource(log, preset("generic")) as source:
            batch = source.next_batch(10)
        assert batch.done and batch.read == 0 and batch.customers == []


def test_pseudonymised_and_dropped_columns_agree(tmp_path):
    log = tmp_path / "log.csv"
    rows = [HEADER] + [f"u{i % 9},view,2024-05-01T10:00:{i % 60:02d}Z,{i},{i % 4},c{i % 3}" for i in range(200)]
    rows[50] = " ,view,2024-05-01T10:00:00Z,1,2,x"
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    options = dict(pseudonymise=("customer_id", "category"), drop=("product_id",), salt="store salt")
    with Spy() as spy:
        compiled = read_all(log, True, 64, **options)
    assert spy.rows == 200
    assert compiled == read_all(log, False, 64, **options)
    assert all(c.startswith("p_") and "product_id" not in p for c, _, _, p, _ in compiled["events"])
    assert compiled["rejects"] == [(51, "empty customer id")]


def test_a_byte_order_mark_inside_the_file_stays_part_of_its_cell(tmp_path):
    # Arrow drops a BOM at the start of what it reads; mid-file it is data, kept as the exact path keeps it.
    log = tmp_path / "log.csv"
    log.write_text(HEADER + "\n\ufeffu1,view,2024-05-01T10:00:00Z,1,2,x\nu2,view,2024-05-01T10:00:00Z,1,2,x\n",
                   encoding="utf-8")
    compiled = read_all(log, True, 10)
    assert compiled == read_all(log, False, 10)
    assert [e[0] for e in compiled["events"]] == ["\ufeffu1", "u2"]
