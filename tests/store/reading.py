"""Reading a whole file through an EventSource, for tests that compare two ways of reading it."""

from __future__ import annotations

from pathlib import Path

from designer.store.mapping import Mapping, MappingError, preset
from designer.store.sources import EventSource, SourceError


def read_all(path: Path, compiled: bool, batch: int, mapping: Mapping | None = None, **options) -> dict:
    """Every event and reject an EventSource hands out for ``path`` (or why it cannot read it)."""
    try:
        source = EventSource(path, mapping or preset("generic"), compiled=compiled, **options)
    except (SourceError, MappingError) as exc:
        return {"error": str(exc)}
    out: dict = {"events": [], "rejects": [], "read": 0}
    with source:
        while True:
            try:
                got = source.next_batch(batch)
            except SourceError as exc:
                out["error"] = str(exc)
                return out
            assert got.read <= batch
            out["events"] += zip(got.customers, got.names, got.times, got.properties, got.keys)
            out["rejects"] += got.rejects
            out["read"] += got.read
            if got.done:
                return out
