"""Time forms and zones; CSV delimiters, line endings, headers, BOM, mappings by index."""

from __future__ import annotations

import time

import pytest

from designer.store.importer import ImportOptions, import_events
from designer.store.mapping import mapping_from_json, preset
from designer.store.timeparse import TimeError, TimeParser

from .conftest import stored_events

UTC_10H = 1714557600000  # 2024-05-01T10:00:00Z


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1714557600", UTC_10H),  # epoch seconds
        ("1714557600000", UTC_10H),  # epoch milliseconds
        ("1714557600000000", UTC_10H),  # microseconds
        ("1714557600.25", UTC_10H + 250),
        ("2024-05-01T10:00:00Z", UTC_10H),
        ("2024-05-01T12:00:00+02:00", UTC_10H),
        ("2024-05-01 05:00:00-05:00", UTC_10H),
        ("2024-05-01 10:00:00 UTC", UTC_10H),  # REES46 form
        ("2024-05-01T10:00:00.123Z", UTC_10H + 123),
        ("  2024-05-01T10:00:00Z ", UTC_10H),
    ],
)
def test_time_forms_with_a_zone_or_epoch(text, expected):
    assert TimeParser("Asia/Tokyo")(text) == expected  # the default zone plays no part here


def test_naive_times_take_the_zone_given_never_the_machines(monkeypatch):
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:
        assert TimeParser("UTC")("2024-05-01 10:00:00") == UTC_10H
        assert TimeParser()("2024-05-01T10:00:00") == UTC_10H
        assert TimeParser("Europe/Paris")("2024-05-01 12:00:00") == UTC_10H  # CEST, +2
        assert TimeParser("Europe/Paris")("2024-01-15 11:00:00") == 1705312800000  # CET, +1
        assert TimeParser("Europe/Paris")("2024-05-01") == UTC_10H - 12 * 3600_000  # local midnight
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_a_repeated_wall_time_at_the_autumn_change_takes_the_first_reading():
    # 2024-10-27 02:30 happens twice in Paris; the first is still CEST (+2).
    assert TimeParser("Europe/Paris")("2024-10-27 02:30:00") == 1729989000000


def test_unit_can_be_forced():
    assert TimeParser(unit="s")("1714557600") == UTC_10H
    assert TimeParser(unit="ms")("1714557600000") == UTC_10H
    assert TimeParser(unit="ms")("1714557600") == 1714557600  # told ms: taken as ms (January 1970)
    with pytest.raises(TimeError, match="out of range"):
        TimeParser(unit="s")("1714557600000")  # told seconds: year 56000


def test_unknown_zone_and_bad_times_raise():
    with pytest.raises(TimeError, match="unknown time zone 'Mars/Olympus'"):
        TimeParser("Mars/Olympus")
    for bad in ("", "soon", "2024-13-01T00:00:00Z", "nan", "-5", "99999999999999999999999"):
        with pytest.raises(TimeError):
            TimeParser()(bad)


def test_import_tz_option_applies_to_naive_times_only(db, tmp_path):
    path = tmp_path / "local.csv"
    path.write_text(
        "customer_id,event,timestamp\n"
        "a,view,2024-05-01 12:00:00\n"
        "b,view,2024-05-01T10:00:00Z\n"
        "c,view,1714557600\n"
    )
    import_events(db, path, ImportOptions(mapping=preset("generic"), tz="Europe/Paris"))
    assert [e["time"] for e in stored_events(db)] == [UTC_10H, UTC_10H, UTC_10H]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_sniffed_delimiters_and_line_endings(db, tmp_path, delimiter, newline):
    rows = [["customer_id", "event", "timestamp", "price"], ["a", "view", "1714557600", "1.5"], ["b", "purchase", "1714557601", "20"]]
    path = tmp_path / "in.csv"
    path.write_bytes(newline.join(delimiter.join(r) for r in rows).encode() + newline.encode())
    summary = import_events(db, path, ImportOptions(mapping=preset("generic")))
    assert (summary.read, summary.loaded, summary.rejected) == (2, 2, 0)
    assert [e["properties"] for e in stored_events(db)] == [{"price": 1.5}, {"price": 20}]


def test_byte_order_mark_and_quoted_delimiters(db, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes('\ufeffcustomer_id,event,timestamp,note\na,view,1714557600,"x, y"\n'.encode("utf-8"))
    import_events(db, path, ImportOptions(mapping=preset("generic")))
    [event] = stored_events(db)
    assert event["customer"] == "a"
    assert event["properties"] == {"note": "x, y"}


def test_headerless_file_mapped_by_index_with_renames_and_event_names(db, tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("x1,BUY,1714557600000,9.99,keep\nx2,look,1714557601000,1,keep\n")
    mapping = mapping_from_json(
        {
            "customer": 0, "event": 1, "time": 2, "properties": [3], "header": False,
            "events": {"BUY": "purchase", "look": "view"}, "rename": {"column_3": "price"},
        }
    )
    summary = import_events(db, path, ImportOptions(mapping=mapping))
    assert (summary.read, summary.loaded) == (2, 2)
    events = stored_events(db)
    assert [(e["customer"], e["name"], e["properties"]) for e in events] == [
        ("x1", "purchase", {"price": 9.99}),
        ("x2", "view", {"price": 1}),
    ]


def test_header_detected_for_index_mappings(db, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("who,what,when\na,view,1714557600\n")
    summary = import_events(db, path, ImportOptions(mapping=mapping_from_json({"customer": 0, "event": 1, "time": 2})))
    assert (summary.read, summary.loaded, summary.rejected) == (1, 1, 0)


def test_mapping_json_file_extending_a_preset(db, tmp_path):
    from designer.store.mapping import load_mapping

    spec = tmp_path / "map.json"
    spec.write_text('{"preset": "retailrocket", "exclude": ["transactionid"], "events": {"view": "product_view"}}')
    mapping = load_mapping(str(spec))
    src = tmp_path / "rr.csv"
    src.write_text("timestamp,visitorid,event,itemid,transactionid\n1433221332117,1,view,5,\n1433221332118,1,transaction,5,77\n")
    import_events(db, src, ImportOptions(mapping=mapping))
    assert [(e["name"], e["properties"]) for e in stored_events(db)] == [
        ("product_view", {"product_id": 5}),
        ("purchase", {"product_id": 5}),
    ]


def test_value_typing_rules():
    from designer.store.codec import typed_value

    assert typed_value("123") == 123
    assert typed_value("-7") == -7
    assert typed_value("12.50") == 12.5
    assert typed_value("0.00") == 0.0
    assert typed_value("1e3") == 1000.0
    assert typed_value("007") == "007"  # leading zeros: an id, kept as text
    assert typed_value("9007199254740993") == "9007199254740993"  # > 2**53
    assert typed_value("2103807459595387723") == "2103807459595387723"
    assert typed_value("9007199254740992") == 9007199254740992  # 2**53 itself is exact
    assert typed_value("1e400") == "1e400"
    assert typed_value("abc") == "abc"
    assert typed_value("١٢") == "١٢"  # non-ASCII digits stay text

