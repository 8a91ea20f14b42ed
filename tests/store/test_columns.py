"""Column-at-a-time values agree with the per-value rules (codec.json_value, TimeParser, codec.dedupe_key)."""

from __future__ import annotations

from json.encoder import encode_basestring

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer.store.codec import dedupe_key, dedupe_keys, json_value
from designer.store.columns import PropertyColumn, TimeColumn, _plain_numbers, properties_json
from designer.store.timeparse import TimeError, TimeParser

SETTINGS = settings(max_examples=80, deadline=None)

digits = st.text("0123456789", min_size=1, max_size=22)
number_like = st.one_of(
    st.integers(min_value=0, max_value=10**16).map(str),
    st.integers(min_value=-(10**16), max_value=10**16).map(str),
    st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 10**6), digits),
    st.builds(lambda a, b: f"{a}.{b}", digits, digits),  # leading zeros, long integer parts
    digits,  # "007", 19-digit ids, 2**53 + 1
    st.sampled_from(["0", "00", "-0", "1.", ".5", "1..2", "1.2.3", "1e3", "-1.5E-7", "1e400", "9007199254740992",
                     "9007199254740993", "2103807459595387723", "١٢", "12\x003", "+5", " 5", "5 "]),
)
cell = st.one_of(number_like, st.text(max_size=8), st.just(""))


def reference_json(columns: list[tuple[str, list[str]]], rows: int) -> list[str]:
    """The canonical JSON of each row, one value at a time (what the importers wrote before)."""
    out = []
    for r in range(rows):
        parts = [encode_basestring(key) + ":" + json_value(cells[r]) for key, cells in sorted(columns) if cells[r]]
        out.append("{" + ",".join(parts) + "}")
    return out


@SETTINGS
@given(st.lists(number_like, min_size=1, max_size=30))
def test_plain_numbers_only_says_yes_when_every_cell_stays_as_written(cells):
    if _plain_numbers(cells):
        assert all(json_value(c) == c for c in cells)


def test_plain_numbers_recognises_the_common_columns():
    assert _plain_numbers(["108271", "0", "99"])
    assert _plain_numbers(["168.16", "0.00", "12.50", "3"])
    assert not _plain_numbers(["2103807459595387723"])  # not exact in a float: text
    assert not _plain_numbers(["007"])


@SETTINGS
@given(
    st.integers(min_value=1, max_value=40).flatmap(
        lambda rows: st.lists(
            st.tuples(
                st.text(min_size=1, max_size=6),
                st.one_of(
                    st.lists(cell, min_size=rows, max_size=rows),
                    st.lists(number_like, min_size=rows, max_size=rows),  # numeric columns take the fast path
                    st.lists(st.text(alphabet="abc%\"\\é", min_size=1, max_size=5), min_size=rows, max_size=rows),
                ),
            ),
            min_size=0,
            max_size=4,
            unique_by=lambda c: c[0],
        ).map(lambda columns: (rows, columns))
    )
)
def test_properties_json_matches_the_per_value_rule(case):
    rows, columns = case
    ordered = sorted(columns)
    made = properties_json([(PropertyColumn(i, key), cells) for i, (key, cells) in enumerate(ordered)], rows)
    assert made == reference_json(columns, rows)


def test_properties_json_memo_and_unique_columns():
    # A mixed column read in several batches: the memo serves repeats, and is dropped for unique values.
    column = PropertyColumn(0, "id")
    for batch in range(3):
        cells = [f"{i}x" if i % 2 else str(-i) for i in range(batch * 10_000, (batch + 1) * 10_000)]
        assert properties_json([(column, cells)], len(cells)) == reference_json([("id", cells)], len(cells))
    assert column.memo is None


#: Just inside and just outside the accepted range (1970 to 2099), with and without zones.
EDGES = ["1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999Z", "1970-01-01T00:30:00+01:00", "2099-12-31T23:59:59Z",
         "2100-01-01T00:00:00Z", "2099-12-31T23:00:00-05:00", "1970-01-01 00:00:00", "4102444799", "4102444800",
         "4102444799999", "4102444800000"]


def time_texts():
    iso = st.datetimes(
        min_value=__import__("datetime").datetime(1969, 12, 31), max_value=__import__("datetime").datetime(2100, 1, 2)
    )
    return st.one_of(
        iso.map(lambda d: d.isoformat()),
        iso.map(lambda d: d.isoformat() + "Z"),
        iso.map(lambda d: d.isoformat(sep=" ", timespec="seconds") + " UTC"),
        iso.map(lambda d: d.isoformat(timespec="milliseconds") + "+05:30"),
        st.integers(min_value=0, max_value=5 * 10**12).map(str),
        st.integers(min_value=-10, max_value=10**18).map(str),
        st.sampled_from(["", " ", "soon", "2024-02-30T00:00:00Z", "2024-05-01T10:00:00Z ", "20240501", "1714557600.5",
                         "2024-05-01", "0001714557600", "2024-13-01T00:00:00Z", "2024-05-01T24:00:00"]),
        st.sampled_from(EDGES),
    )


def per_value(parser: TimeParser, text: str):
    try:
        return parser(text)
    except TimeError as exc:
        return str(exc)


@SETTINGS
@given(
    st.sampled_from(["UTC", "Europe/Paris", "America/New_York"]),
    st.sampled_from(["auto", "s", "ms", "us"]),
    st.one_of(
        st.lists(time_texts(), max_size=30),
        # One shape per column, as real files have: the fast paths get their chance.
        time_texts().flatmap(lambda t: st.lists(st.just(t), min_size=1, max_size=5)),
        st.lists(st.integers(10**9, 4 * 10**9).map(str), min_size=1, max_size=30),
        st.lists(st.sampled_from(EDGES), min_size=1, max_size=3),
        st.lists(st.integers(10**11, 4 * 10**12).map(str), min_size=1, max_size=30),
        st.lists(
            st.datetimes(min_value=__import__("datetime").datetime(1971, 1, 1),
                         max_value=__import__("datetime").datetime(2098, 1, 1)).map(lambda d: d.isoformat() + "Z"),
            min_size=1, max_size=30,
        ),
        st.lists(
            st.datetimes(min_value=__import__("datetime").datetime(1971, 1, 1),
                         max_value=__import__("datetime").datetime(2098, 1, 1)).map(lambda d: d.isoformat(sep=" ")),
            min_size=1, max_size=30,
        ),
        st.lists(  # the REES46 form, zone word and all
            st.datetimes(min_value=__import__("datetime").datetime(1969, 12, 31),
                         max_value=__import__("datetime").datetime(2100, 1, 2)).map(
                lambda d: d.isoformat(sep=" ", timespec="seconds") + (" UTC" if d.second % 3 else " GMT")),
            min_size=1, max_size=30,
        ),
    ),
)
def test_time_column_matches_the_time_parser(zone, unit, texts):
    column = TimeColumn(TimeParser(zone, unit))
    assert column.values(texts) == [per_value(TimeParser(zone, unit), t) for t in texts]


TRICKY = EDGES + ["20240501", "2024-05-01T10:00:00", "2024-05-01", "2024-05-01T10:00:00.123456+02:00",
                  "2024-05-01 10:00:00 UTC", "2024-05-01T10:00:00Z ", "1714557600", "1714557600000", "1714557600000000",
                  "0001714557600", "99999999999", "100000000000"]


@pytest.mark.parametrize("unit", ["auto", "s", "ms"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
@pytest.mark.parametrize("text", TRICKY)
def test_time_column_alone_or_repeated_matches_the_time_parser(text, zone, unit):
    """A column of one shape is what the fast paths see; each tricky value must come out as TimeParser says."""
    expected = per_value(TimeParser(zone, unit), text)
    for cells in ([text], [text] * 3, [text, "2024-05-01T10:00:00Z"], [text, "1714557600"]):
        got = TimeColumn(TimeParser(zone, unit)).values(cells)
        assert got == [per_value(TimeParser(zone, unit), t) for t in cells]
        assert got[0] == expected


@SETTINGS
@given(st.lists(st.tuples(st.text(min_size=1), st.text()), max_size=20))
def test_dedupe_keys_match_the_single_key(events):
    names, properties = (list(c) for c in zip(*events)) if events else ([], [])
    expected = [dedupe_key(n, p) for n, p in events]
    try:
        keys = dedupe_keys(names, properties)
    except UnicodeEncodeError:
        # Lone surrogates never reach the batch function: the importers refuse such rows first.
        assert any(not s.isascii() for e in events for s in e)
    else:
        assert keys.tolist() == expected
        assert all(-(2**63) <= k < 2**63 for k in keys)  # what a signed 64-bit column holds
