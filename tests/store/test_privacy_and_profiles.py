"""Customer profiles, consent as given, pseudonymised and dropped columns, the right to erasure."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from designer.store.db import open_store
from designer.store.importer import ImportFailed, ImportOptions, import_events
from designer.store.mapping import preset
from designer.store.privacy import NotFound, forget
from designer.store.profiles import consent_value, import_customers
from designer.store.schema import customers, erasures, events

from .conftest import fixture, stored_events


def store_bytes(db) -> bytes:
    """The store file and its write-ahead log, as bytes on disk."""
    wal = db.parent / (db.name + "-wal")
    return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def profiles(db) -> dict[str, dict]:
    engine = open_store(db)
    with engine.connect() as conn:
        rows = conn.execute(select(customers)).mappings().all()
    engine.dispose()
    return {r["external_id"]: {**r, "properties": json.loads(r["properties"])} for r in rows}


def test_profile_import_counts_rejects_and_fields(db):
    summary = import_customers(db, fixture("customers.csv"))
    assert (summary.read, summary.loaded, summary.rejected, summary.duplicates) == (7, 3, 4, 0)
    assert {r.line: r.reason for r in summary.rejects} == {
        5: "unknown timezone 'Mars/Olympus' (use an IANA name such as 'Europe/Paris')",
        6: "unrecognised consent value 'maybe' (use yes/no, true/false or 1/0)",
        7: "empty customer id",
        8: "wrong column count: expected 8, found 7",
    }
    people = profiles(db)
    ann = people["541300001"]
    assert (ann["email"], ann["first_name"], ann["timezone"], ann["consent"]) == ("Ann.Lee@Example.com", "Ann", "Europe/Paris", 1)
    assert ann["properties"] == {"loyalty_tier": "gold", "country": "FR", "lifetime_orders": 12}
    assert people["541300002"]["consent"] == 0
    # An empty consent cell stays unknown: nothing is invented.
    assert people["541300003"]["consent"] is None
    assert people["541300003"]["timezone"] is None


def test_profiles_join_customers_created_by_events_and_empty_cells_never_erase(db, tmp_path):
    import_events(db, fixture("rees46.csv"), ImportOptions(mapping=preset("rees46")))
    before = profiles(db)
    assert before["541300001"]["email"] is None and before["541300001"]["consent"] is None  # events carry no consent
    import_customers(db, fixture("customers.csv"))
    after = profiles(db)
    assert after["541300001"]["id"] == before["541300001"]["id"]
    assert after["541300001"]["consent"] == 1
    partial = tmp_path / "partial.csv"
    partial.write_text("customer_id,email,consent,loyalty_tier\n541300001,,,platinum\n")
    summary = import_customers(db, partial)
    assert summary.loaded == 1
    ann = profiles(db)["541300001"]
    assert ann["email"] == "Ann.Lee@Example.com" and ann["consent"] == 1  # empty cells left them alone
    assert ann["properties"]["loyalty_tier"] == "platinum" and ann["properties"]["country"] == "FR"


def test_profile_reimport_changes_nothing(db):
    import_customers(db, fixture("customers.csv"))
    again = import_customers(db, fixture("customers.csv"))
    assert again.status == "already imported" and again.loaded == 0
    forced = import_customers(db, fixture("customers.csv"), force=True)
    assert (forced.read, forced.loaded, forced.rejected, forced.duplicates) == (7, 0, 4, 3)


@pytest.mark.parametrize(
    "text, value",
    [("yes", 1), ("Y", 1), ("TRUE", 1), ("1", 1), ("subscribed", 1), ("no", 0), ("false", 0), ("0", 0),
     ("unsubscribed", 0), ("", None), ("  ", None)],
)
def test_consent_values(text, value):
    assert consent_value(text) == value


def test_consent_that_is_neither_yes_nor_no_is_refused():
    with pytest.raises(ValueError, match="unrecognised consent value 'pending'"):
        consent_value("pending")


def test_pseudonymised_columns_never_reach_the_store(db, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text(
        "customer_id,event,timestamp,email,coupon\n"
        "alice-77,view,1714557600,Alice@Example.com,SAVE10\n"
        "alice-77,purchase,1714557700,alice@example.com,SAVE10\n"
        "bob-12,view,1714557800,bob@example.com,\n"
    )
    options = ImportOptions(mapping=preset("generic"), pseudonymise=("customer_id", "email"), drop=("coupon",))
    summary = import_events(db, log, options)
    assert summary.loaded == 3
    rows = stored_events(db)
    # The same person keeps one pseudonym (events still group), case of the email does not matter.
    assert rows[0]["customer"] == rows[1]["customer"] != rows[2]["customer"]
    assert rows[0]["customer"].startswith("p_")
    assert rows[0]["properties"]["email"] == rows[1]["properties"]["email"]
    assert all("coupon" not in r["properties"] for r in rows)
    raw = store_bytes(db)
    for secret in (b"alice-77", b"Alice@Example.com", b"alice@example.com", b"SAVE10", b"bob@example.com"):
        assert secret not in raw


def test_pseudonyms_depend_on_the_store_salt(tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp\nalice,view,1714557600\n")
    options = ImportOptions(mapping=preset("generic"), pseudonymise=("customer_id",))
    import_events(tmp_path / "a.db", log, options)
    import_events(tmp_path / "b.db", log, options)
    assert stored_events(tmp_path / "a.db")[0]["customer"] != stored_events(tmp_path / "b.db")[0]["customer"]


def test_dropping_the_customer_column_is_refused(db, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp\nalice,view,1714557600\n")
    with pytest.raises(ImportFailed, match="cannot drop 'customer_id'"):
        import_events(db, log, ImportOptions(mapping=preset("generic"), drop=("customer_id",)))
    with pytest.raises(ImportFailed, match="no column 'colour'"):
        import_events(db, log, ImportOptions(mapping=preset("generic"), drop=("colour",)))


def test_profile_emails_can_be_pseudonymised(db):
    import_customers(db, fixture("customers.csv"), pseudonymise=("email",))
    ann = profiles(db)["541300001"]
    assert ann["email"].startswith("p_") and "@" not in ann["email"]


def test_forget_erases_profile_and_events_and_keeps_only_a_count(db):
    import_events(db, fixture("rees46.csv"), ImportOptions(mapping=preset("rees46")))
    import_customers(db, fixture("customers.csv"))
    assert sum(e["customer"] == "541300004" for e in stored_events(db)) == 2
    erasure = forget(db, "541300004")
    assert erasure.events_deleted == 2
    assert all(e["customer"] != "541300004" for e in stored_events(db))
    assert "541300004" not in profiles(db)
    engine = open_store(db)
    with engine.connect() as conn:
        log = conn.execute(select(erasures)).mappings().all()
        remaining = conn.execute(select(events.c.id)).all()
    engine.dispose()
    assert [(r["events_deleted"]) for r in log] == [2]
    assert set(log[0].keys()) == {"id", "time", "events_deleted"}  # nothing that identifies the person
    assert len(remaining) == 8
    # The bytes are gone from the file too (secure delete, WAL folded in and emptied).
    data = store_bytes(db)
    assert b"dee@example.com" not in data
    assert b"541300004" not in data


def test_forget_finds_a_pseudonymised_customer_by_the_original_id(db, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp\nalice,view,1714557600\nbob,view,1714557600\n")
    import_events(db, log, ImportOptions(mapping=preset("generic"), pseudonymise=("customer_id",)))
    assert forget(db, "alice").events_deleted == 1
    assert len(stored_events(db)) == 1
    again = forget(db, "alice")  # by the original id, though the store holds only its pseudonym
    assert again.already_erased and again.events_deleted == 0
    with pytest.raises(NotFound):
        forget(db, "carol")


def write_profiles(path, *rows: str):
    path.write_text("customer_id,email,first_name,consent,tier\n" + "\n".join(rows) + "\n")
    return path


def rollback_latest(db, path):
    from designer.store.importer import imports_of_file, rollback_import

    return rollback_import(db, imports_of_file(db, path)[0]["id"])


def test_rolling_back_a_profile_import_gives_changed_customers_their_values_back(db, tmp_path):
    first = write_profiles(tmp_path / "first.csv", "ann,ann@old.example,Ann,yes,silver", "bob,bob@example.com,Bob,no,")
    second = write_profiles(tmp_path / "second.csv", "ann,ann@new.example,,no,gold", "cy,cy@example.com,Cy,yes,")
    import_customers(db, first)
    created_by = {k: v["import_id"] for k, v in profiles(db).items()}
    import_customers(db, second)
    changed = profiles(db)["ann"]
    assert (changed["email"], changed["consent"], changed["properties"]) == ("ann@new.example", 0, {"tier": "gold"})
    assert changed["import_id"] == created_by["ann"]  # who created a customer never changes
    result = rollback_latest(db, second)
    assert (result.customers_removed, result.customers_restored) == (1, 1)  # cy was new; ann changed
    people = profiles(db)
    assert set(people) == {"ann", "bob"}  # the first import's customers all survive
    ann = people["ann"]
    assert (ann["email"], ann["first_name"], ann["consent"], ann["properties"]) == ("ann@old.example", "Ann", 1, {"tier": "silver"})


def test_a_rollback_keeps_what_a_later_import_changed_again(db, tmp_path):
    import_customers(db, write_profiles(tmp_path / "a.csv", "ann,ann@a.example,Ann,yes,"))
    middle = write_profiles(tmp_path / "b.csv", "ann,ann@b.example,Annie,no,")
    import_customers(db, middle)
    import_customers(db, write_profiles(tmp_path / "c.csv", "ann,ann@c.example,,,"))  # email changed again later
    result = rollback_latest(db, middle)
    assert result.customers_restored == 1
    ann = profiles(db)["ann"]
    # The later email stays; what only the rolled-back import set goes back.
    assert (ann["email"], ann["first_name"], ann["consent"]) == ("ann@c.example", "Ann", 1)


def test_forget_also_erases_values_kept_for_rollbacks(db, tmp_path):
    import_customers(db, write_profiles(tmp_path / "a.csv", "zed,zed.secret@example.com,Zed,yes,"))
    import_customers(db, write_profiles(tmp_path / "b.csv", "zed,zed.other@example.com,,,"))
    forget(db, "zed")
    data = store_bytes(db)
    assert b"zed.secret@example.com" not in data and b"zed.other@example.com" not in data
