"""The bulk writer's customer id cache: bounded, and always agreeing with the store."""

from __future__ import annotations

from sqlalchemy import select

from designer.store.db import open_store
from designer.store.schema import customers


def stored_ids(conn) -> dict[str, int]:
    return dict(conn.execute(select(customers.c.external_id, customers.c.id)).all())


def test_ids_match_the_store_through_cache_clears_and_existing_customers(tmp_path):
    from designer.store.writer import StoreWriter

    engine = open_store(tmp_path / "w.db")
    with engine.begin() as conn:
        conn.execute(customers.insert(), [{"external_id": "old-1", "properties": "{}"}, {"external_id": "old-2", "properties": "{}"}])
    with engine.connect() as conn:
        writer = StoreWriter(conn, None, cache_limit=10)
        batches = [
            [f"c{i}" for i in range(8)] + ["old-1"],
            [f"c{i}" for i in range(4, 14)] + ["old-2", "c1"],  # more than the cache holds: it starts afresh
            ["c2", "c13", "new", "old-1"],
        ]
        for batch in batches:
            with conn.begin():
                ids = writer.customer_ids(batch)
                truth = stored_ids(conn)
                assert {e: ids[e] for e in batch} == {e: truth[e] for e in batch}
                assert len(writer.cache) <= 12
        assert writer.customers_created == 15  # c0..c13 and "new"
        assert len(stored_ids(conn)) == 17


def test_a_fresh_store_needs_no_lookups(tmp_path):
    from designer.store.writer import StoreWriter

    engine = open_store(tmp_path / "w.db")
    with engine.connect() as conn:
        writer = StoreWriter(conn, None)
        with conn.begin():
            ids = writer.customer_ids(["a", "b", "a", "c"])
        assert writer.complete is True
        assert ids == stored_ids(conn) == {"a": 1, "b": 2, "c": 3}


def test_other_databases_row_by_row_store_what_sqlite_statements_store(tmp_path):
    """The generic path (PostgreSQL and others) and the SQLite statements agree on events, ids and counts."""
    import json

    from designer.store.codec import dedupe_key
    from designer.store.codec import dedupe_keys as keys
    from designer.store.schema import events
    from designer.store.writer import StoreWriter

    customers_col = ["a", "b", "a", "c", "b"]
    names = ["view", "view", "purchase", "view", "view"]
    times = [1000, 1000, 2000, 3000, 1000]
    props = ['{"x":1}', "{}", '{"price":9.5}', "{}", "{}"]
    results = []
    for generic in (False, True):
        engine = open_store(tmp_path / f"w{generic}.db")
        with engine.connect() as conn:
            writer = StoreWriter(conn, None)
            writer.sqlite = not generic
            with conn.begin():
                first = writer.insert_columns(customers_col, names, times, props, keys(names, props))
            with conn.begin():
                more = (customers_col[:2] + ["d"], names[:3], times[:3], props[:3])
                again = writer.insert_columns(*more, keys(more[1], more[3]))
            rows = conn.execute(
                select(customers.c.external_id, events.c.name, events.c.time, events.c.properties, events.c.dedupe_key)
                .join(customers, customers.c.id == events.c.customer_id)
                .order_by(events.c.id)
            ).all()
            results.append((first, again, writer.customers_created, [tuple(r) for r in rows], stored_ids(conn)))
        engine.dispose()
    assert results[0] == results[1]
    first, again, created, rows, ids = results[0]
    assert (first, again, created) == (4, 1, 4)  # "b" viewing at 1000 is stored once; "d" is new
    assert ids == {"a": 1, "b": 2, "c": 3, "d": 4}
    assert all(key == dedupe_key(n, p) for c, n, t, p, key in rows)
    assert json.loads(rows[2][3]) == {"price": 9.5}


def test_file_wide_customer_codes_store_the_same_ids_through_epochs_and_deletions(tmp_path):
    """Batches carrying the parser's file-wide customer codes link every event to the customer of
    its id, as batches without them do: across batches, when the codebook starts afresh (a new
    epoch) and when a customer is deleted between batches (the writer forgets what it knew)."""
    from sqlalchemy import delete

    from designer.store.batch import Batch
    from designer.store.codec import dedupe_keys as keys
    from designer.store.erased import bump_deleted
    from designer.store.parallel import CustomerCodebook, _pack, _unpack
    from designer.store.schema import events
    from designer.store.writer import StoreWriter

    plan = [["a", "b", "a"], ["b", "c", "d", "a"], ["e", "a", "f"], ["b", "g"], ["a", "b"]]
    book = CustomerCodebook(limit=5)  # the third batch brings the sixth id: epoch 1
    engine = open_store(tmp_path / "w.db")
    epochs = []
    with engine.connect() as conn:
        writer = StoreWriter(conn, None)
        for n, ids in enumerate(plan):
            names = ["view"] * len(ids)
            props = [f'{{"n":{n}}}'] * len(ids)
            packed = _unpack(_pack(Batch(ids, names, [1000 * n + i for i in range(len(ids))], props,
                                         keys(names, props), lines=list(range(len(ids)))), book))
            assert packed.customer_globals is not None
            epochs.append(packed.customer_epoch)
            with conn.begin():
                if n == 3:  # "a", known by its code, goes between batches (as an erasure would take it)
                    conn.execute(delete(events).where(events.c.customer_id == stored_ids(conn)["a"]))
                    conn.execute(delete(customers).where(customers.c.external_id == "a"))
                    bump_deleted(conn)
                writer.revalidate()
                writer.insert_columns([], packed.names, packed.times, packed.properties, packed.keys,
                                      packed.customer_values, packed.customer_codes, packed.customer_globals,
                                      packed.customer_epoch)
        rows = conn.execute(select(customers.c.external_id, events.c.time)
                            .join(customers, customers.c.id == events.c.customer_id).order_by(events.c.time)).all()
    assert epochs == [0, 0, 1, 1, 1]
    expected = [(c, 1000 * n + i) for n, ids in enumerate(plan) for i, c in enumerate(ids) if n >= 3 or c != "a"]
    assert [tuple(r) for r in rows] == expected
