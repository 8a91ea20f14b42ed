"""Fixtures for the store tests: a fresh store file per test and the sample-format files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from designer.store.db import open_store
from designer.store.schema import customers, events

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


def fixture(name: str) -> Path:
    return FIXTURES / name


def stored_events(db_path) -> list[dict]:
    """Every stored event with its customer's external id and parsed properties, in id order."""
    import json

    engine = open_store(db_path)
    with engine.connect() as conn:
        rows = conn.execute(
            select(customers.c.external_id, events.c.name, events.c.time, events.c.properties, events.c.import_id)
            .join(customers, customers.c.id == events.c.customer_id)
            .order_by(events.c.id)
        ).all()
    engine.dispose()
    return [
        {"customer": r[0], "name": r[1], "time": r[2], "properties": json.loads(r[3]), "import_id": r[4]}
        for r in rows
    ]
