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
