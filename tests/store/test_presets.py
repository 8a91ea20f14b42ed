"""Every preset on a small file in its dataset's real format; JSON Lines; gzip."""

from __future__ import annotations

import gzip
import shutil

from designer.store.importer import ImportOptions, import_events
from designer.store.mapping import preset

from .conftest import fixture, stored_events


def options(name: str, **kw) -> ImportOptions:
    return ImportOptions(mapping=preset(name), **kw)


def test_rees46_counts_names_exact_ids_and_the_cut_off_last_row(db):
    summary = import_events(db, fixture("rees46.csv"), options("rees46"))
    assert (summary.read, summary.loaded, summary.rejected, summary.duplicates) == (11, 10, 1, 0)
    assert summary.status == "done"
    # The file ends mid-row, on line 12, without a newline.
    assert [(r.line, r.reason) for r in summary.rejects] == [(12, "wrong column count: expected 9, found 4")]
    rows = stored_events(db)
    assert [r["name"] for r in rows].count("add_to_cart") == 2
    assert {r["name"] for r in rows} == {"view", "add_to_cart", "purchase", "remove_from_cart"}
    first = rows[0]
    assert first["customer"] == "541300001"
    assert first["time"] == 1569888000000  # 2019-10-01 00:00:00 UTC
    # A 19-digit category id does not fit a float: kept as exact text.
    assert first["properties"]["category_id"] == "2103807459595387723"
    assert first["properties"]["product_id"] == 44600061
    assert first["properties"]["price"] == 35.79
    assert first["properties"]["session_id"] == "5a1f0c2e-1b7d-4c55-9f0e-0a8d3e7c1001"
    assert "category" not in first["properties"]  # empty category_code is left out, not null
    sofa = rows[2]
    assert sofa["properties"]["category"] == "furniture.living_room.sofa"
    assert "brand" not in sofa["properties"]
    removed = next(r for r in rows if r["name"] == "remove_from_cart")
    assert removed["properties"]["price"] == 0.0


def test_rees46_second_import_of_the_same_file_loads_nothing(db):
    import_events(db, fixture("rees46.csv"), options("rees46"))
    again = import_events(db, fixture("rees46.csv"), options("rees46"))
    assert again.loaded == 0
    assert again.status == "already imported"
    assert again.read == again.loaded + again.rejected + again.duplicates
    assert len(stored_events(db)) == 10
    # Reading it all again anyway still stores nothing new.
    forced = import_events(db, fixture("rees46.csv"), options("rees46", force=True))
    assert (forced.read, forced.loaded, forced.rejected, forced.duplicates) == (11, 0, 1, 10)
    assert len(stored_events(db)) == 10


def test_retailrocket_maps_events_and_counts_a_repeated_row_as_duplicate(db):
    summary = import_events(db, fixture("retailrocket.csv"), options("retailrocket"))
    assert (summary.read, summary.loaded, summary.rejected, summary.duplicates) == (10, 9, 0, 1)
    rows = stored_events(db)
    assert [r["name"] for r in rows].count("purchase") == 2
    assert [r["name"] for r in rows].count("add_to_cart") == 2
    purchase = next(r for r in rows if r["name"] == "purchase")
    assert purchase["time"] == 1433221955914  # epoch milliseconds as they are
    assert purchase["properties"] == {"product_id": 253180, "order_id": 4001}
    view = rows[0]
    assert view["properties"] == {"product_id": 355901}  # empty transactionid left out


def test_taobao_has_no_header_and_epoch_seconds(db):
    summary = import_events(db, fixture("taobao.csv"), options("taobao"))
    assert (summary.read, summary.loaded, summary.rejected, summary.duplicates) == (9, 9, 0, 0)
    rows = stored_events(db)
    assert rows[0]["customer"] == "1"
    assert rows[0]["time"] == 1511544070000
    assert rows[0]["properties"] == {"product_id": 2268310, "category_id": 2520370}
    assert [r["name"] for r in rows] == ["view", "view", "view", "add_to_cart", "favorite", "purchase", "view", "purchase", "view"]


def test_taobao_file_with_a_header_row_is_recognised(db, tmp_path):
    with_header = tmp_path / "UserBehavior.csv"
    with_header.write_text("user_id,item_id,category_id,behavior_type,timestamp\n" + fixture("taobao.csv").read_text())
    summary = import_events(db, with_header, options("taobao"))
    assert (summary.read, summary.loaded, summary.rejected) == (9, 9, 0)


def test_generic_jsonl_keeps_types_and_reports_bad_lines(db):
    summary = import_events(db, fixture("events.jsonl"), options("generic"))
    assert (summary.read, summary.loaded, summary.rejected, summary.duplicates) == (8, 4, 4, 0)
    reasons = {r.line: r.reason for r in summary.rejects}
    assert reasons[5] == "unparseable time 'not a time'"
    assert reasons[6] == "empty customer id"
    assert reasons[8] == "not a JSON object"
    assert reasons[9].startswith("invalid JSON")
    rows = {(r["customer"], r["name"]): r for r in stored_events(db)}
    assert rows[("42", "purchase")]["time"] == 1714557600000  # 12:00+02:00 is 10:00Z
    assert rows[("42", "purchase")]["properties"] == {"price": 99, "cart_id": "k1", "items": [1001]}
    assert rows[("c-1", "add_to_cart")]["time"] == 1714557660000
    assert rows[("c-3", "view")]["properties"]["category_id"] == "2053013555631882656"


def test_gzip_input_is_read_directly(db, tmp_path):
    packed = tmp_path / "rees46.csv.gz"
    with open(fixture("rees46.csv"), "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    summary = import_events(db, packed, options("rees46"))
    assert (summary.read, summary.loaded, summary.rejected) == (11, 10, 1)
    assert summary.rejects[0].line == 12


def test_a_gzip_file_cut_short_keeps_what_came_before_and_reports_the_cut(db, tmp_path):
    body = "".join(f"u{i},view,{1714557600 + i},{i}\n" for i in range(2000))
    data = gzip.compress(("customer_id,event,timestamp,product_id\n" + body).encode())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(data[: len(data) // 2])
    summary = import_events(db, cut, options("generic"))
    assert summary.status == "done"
    assert summary.rejects[-1].reason.startswith("file is cut off")
    assert 0 < summary.loaded < 2000
    assert summary.read == summary.loaded + summary.rejected + summary.duplicates


def test_same_rows_from_a_second_file_are_duplicates(db, tmp_path):
    import_events(db, fixture("retailrocket.csv"), options("retailrocket"))
    overlap = tmp_path / "more.csv"
    lines = fixture("retailrocket.csv").read_text().splitlines()
    overlap.write_text("\n".join(lines[:4] + ["1433300000000,1,view,2,"]) + "\n")
    summary = import_events(db, overlap, options("retailrocket"))
    assert (summary.read, summary.loaded, summary.duplicates) == (4, 1, 3)


def test_csv_and_json_lines_give_the_same_dedupe_key_as_the_codec(db, tmp_path):
    import sqlite3

    from designer.store.codec import dedupe_key

    import_events(db, fixture("rees46.csv"), options("rees46"))
    import_events(db, fixture("events.jsonl"), options("generic"))
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT c.external_id, e.name, e.time, e.properties, e.dedupe_key FROM events e JOIN customers c ON c.id = e.customer_id"
    ).fetchall()
    con.close()
    assert len(rows) == 14
    assert all(key == dedupe_key(n, p) for c, n, t, p, key in rows)
