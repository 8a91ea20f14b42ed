"""What a store holds: counts, event names, time span, imports (for ``stats`` and the GUI)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, inspect, select

from designer.store.bookkeeping import stored_counts
from designer.store.db import open_store
from designer.store.migrations import stored_version
from designer.store.schema import customers, erasures, events, imports, runs
from designer.store.settings import read_currency


@dataclass
class StoreStats:
    store: str
    schema_version: int
    customers: int
    events: int
    events_by_name: dict[str, int]
    first_event: int | None  # epoch ms UTC
    last_event: int | None
    imports: list[dict] = field(default_factory=list)
    runs: int = 0
    erasures: int = 0
    currency: str = "USD"

    def to_json(self) -> dict:
        return {
            "store": self.store,
            "schema_version": self.schema_version,
            "customers": self.customers,
            "events": self.events,
            "events_by_name": self.events_by_name,
            "first_event": self.first_event,
            "last_event": self.last_event,
            "imports": self.imports,
            "runs": self.runs,
            "erasures": self.erasures,
            "currency": self.currency,
        }


def store_stats(store: str | os.PathLike | Engine) -> StoreStats:
    engine = open_store(store)
    with engine.connect() as conn:
        by_name = dict(
            conn.execute(
                select(events.c.name, func.count()).group_by(events.c.name).order_by(func.count().desc(), events.c.name)
            ).all()
        )
        first, last = conn.execute(select(func.min(events.c.time), func.max(events.c.time))).one()
        wanted = [
            imports.c.id, imports.c.kind, imports.c.file, imports.c.status, imports.c.rows_read,
            imports.c.rows_loaded, imports.c.rows_rejected, imports.c.rows_duplicate,
            imports.c.started, imports.c.finished,
        ]
        # A store opened read-only may be of schema 3, from before the counts were kept.
        if "reject_counts" in {c["name"] for c in inspect(conn).get_columns("imports")}:
            wanted.append(imports.c.reject_counts)
        rows = conn.execute(select(*wanted).order_by(imports.c.id)).mappings()
        return StoreStats(
            store=engine.url.render_as_string(hide_password=True),
            schema_version=stored_version(conn),
            customers=conn.execute(select(func.count()).select_from(customers)).scalar(),
            events=sum(by_name.values()),
            events_by_name=by_name,
            first_event=first,
            last_event=last,
            imports=[
                {
                    "id": r["id"], "kind": r["kind"], "file": r["file"], "status": r["status"],
                    "read": r["rows_read"], "loaded": r["rows_loaded"], "rejected": r["rows_rejected"],
                    "duplicates": r["rows_duplicate"], "started": r["started"], "finished": r["finished"],
                    "reject_counts": stored_counts(r),
                }
                for r in rows
            ],
            runs=conn.execute(select(func.count()).select_from(runs)).scalar(),
            erasures=conn.execute(select(func.count()).select_from(erasures)).scalar(),
            currency=read_currency(conn),
        )
