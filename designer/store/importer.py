"""Importing an event log into the store: streamed, batched, resumable, idempotent.

``import_events(store, path, options)`` reads the file through an
:class:`~designer.store.sources.EventSource` and writes one batch per
transaction. With each batch the ``imports`` row records the counters and a
checkpoint (records of the file processed), so:

* a crash or Ctrl-C loses at most the batch in flight; the store holds whole
  batches only, and the import stays ``running``/``interrupted``, never
  ``done``;
* running the same import again (same file bytes, same mapping and options)
  resumes after the checkpoint, or :func:`rollback_import` removes what it
  loaded;
* importing a file already imported with the same mapping adds nothing and
  says so; any event already in the store (same customer, name, time and
  properties) is counted as a duplicate, not stored twice.

The invariant ``loaded + rejected + duplicates == read`` holds at every
checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, and_, delete, exists, select

from designer.store.db import StoreError, open_store, store_salt
from designer.store.mapping import PRESETS, Mapping, MappingError
from designer.store.schema import customers, events, imports
from designer.store.sources import EventSource, SourceError, file_digest
from designer.store.timeparse import TimeError
from designer.store.writer import StoreWriter

#: Rejects kept in the summary and in the ``imports`` row (the count is always exact).
REJECTS_KEPT = 100


class ImportFailed(Exception):
    """The import could not run (file, mapping, store); nothing was marked done."""


@dataclass(frozen=True)
class ImportOptions:
    mapping: Mapping = PRESETS["generic"]
    tz: str = "UTC"  # zone for times written without one
    pseudonymise: tuple[str, ...] = ()  # columns replaced by a keyed hash before storing
    drop: tuple[str, ...] = ()  # columns never stored
    batch_size: int = 50_000
    force: bool = False  # read the file even if it was imported already (duplicates still skipped)

    def fingerprint(self) -> str:
        """Same file + same fingerprint = the same import (resumable, or already done)."""
        data = {
            "mapping": self.mapping.to_json(),
            "tz": self.tz,
            "pseudonymise": sorted(p.lower() for p in self.pseudonymise),
            "drop": sorted(d.lower() for d in self.drop),
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Reject:
    line: int
    reason: str


@dataclass(frozen=True)
class Progress:
    """Where an import is; passed to the progress callback after each batch."""

    bytes_done: int
    bytes_total: int
    read: int
    loaded: int
    rejected: int
    duplicates: int
    seconds: float

    @property
    def fraction(self) -> float:
        return min(1.0, self.bytes_done / self.bytes_total) if self.bytes_total else 1.0

    @property
    def rows_per_s(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ImportSummary:
    import_id: int | None
    file: str
    sha256: str
    status: str  # "done", "interrupted", "already imported"
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    rejects: list[Reject] = field(default_factory=list)
    seconds: float = 0.0
    resumed_at: int = 0  # records skipped because an earlier run had stored them
    customers_created: int = 0

    def counts_json(self) -> dict:
        """The machine-readable summary the CLI prints with ``--json``."""
        return {
            "read": self.read,
            "loaded": self.loaded,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "rejects": [{"line": r.line, "reason": r.reason} for r in self.rejects[:REJECTS_KEPT]],
        }


def _now_ms() -> int:
    return int(time.time() * 1000)


def _pid_alive(pid: int | None, host: str | None) -> bool:
    if not pid or host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tune_for_import(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-65536")  # 64 MB while importing
    conn.commit()  # end the transaction the statement began


def _prior(conn, sha: str, fingerprint: str, kind: str):
    return (
        conn.execute(
            select(imports)
            .where(imports.c.sha256 == sha, imports.c.mapping_hash == fingerprint, imports.c.kind == kind)
            .order_by(imports.c.id.desc())
        )
        .mappings()
        .all()
    )


def _summary_from_row(row, status: str, path: str) -> ImportSummary:
    return ImportSummary(
        import_id=row["id"],
        file=path,
        sha256=row["sha256"],
        status=status,
        read=row["rows_read"],
        loaded=row["rows_loaded"],
        rejected=row["rows_rejected"],
        duplicates=row["rows_duplicate"],
        rejects=[Reject(r["line"], r["reason"]) for r in json.loads(row["rejects"] or "[]")],
    )


def import_events(
    store: str | os.PathLike | Engine,
    path: str | os.PathLike,
    options: ImportOptions = ImportOptions(),
    progress: Callable[[Progress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ImportSummary:
    """Import an event file (CSV or JSON Lines, plain or gzip) into the store.

    ``progress`` is called after every committed batch. ``should_stop`` is
    polled between batches; when it returns true the import stops cleanly,
    resumable, with status ``interrupted``. Raises :class:`ImportFailed` when
    the import cannot run at all.
    """
    began = time.perf_counter()
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"no such file: {path}")
    try:
        engine = open_store(store)
    except StoreError as exc:
        raise ImportFailed(str(exc)) from exc
    try:
        sha, size = file_digest(path)
    except SourceError as exc:
        raise ImportFailed(str(exc)) from exc
    fingerprint = options.fingerprint()
    with engine.connect() as conn:
        salt = store_salt(conn)
        prior = _prior(conn, sha, fingerprint, "events")
    done = next((r for r in prior if r["status"] == "done"), None)
    if done is not None and not options.force:
        summary = _summary_from_row(done, "already imported", str(path))
        # Nothing new: every record counts again as rejected or duplicate.
        summary.duplicates = done["rows_loaded"] + done["rows_duplicate"]
        summary.loaded = 0
        summary.seconds = time.perf_counter() - began
        return summary
    unfinished = next((r for r in prior if r["status"] in ("running", "interrupted")), None)
    if unfinished is not None and _pid_alive(unfinished["pid"], unfinished["host"]):
        raise ImportFailed(f"this file is being imported by process {unfinished['pid']}; wait for it or stop it")
    try:
        source = EventSource(path, options.mapping, options.tz, options.pseudonymise, options.drop, salt)
    except (MappingError, SourceError, TimeError) as exc:
        raise ImportFailed(str(exc)) from exc
    with source:
        return _run(engine, source, path, sha, size, fingerprint, options, unfinished, progress, should_stop, began)


def _run(engine, source, path, sha, size, fingerprint, options, unfinished, progress, should_stop, began) -> ImportSummary:
    mapping_json = json.dumps(
        {
            "mapping": options.mapping.to_json(),
            "tz": options.tz,
            "pseudonymise": list(options.pseudonymise),
            "drop": list(options.drop),
            "format": source.format,
        },
        sort_keys=True,
    )
    if unfinished is not None:
        summary = _summary_from_row(unfinished, "running", str(path))
        import_id = summary.import_id
        with engine.begin() as conn:
            conn.execute(
                imports.update()
                .where(imports.c.id == import_id)
                .values(status="running", pid=os.getpid(), host=socket.gethostname())
            )
        summary.resumed_at = source.skip(unfinished["checkpoint"])
    else:
        with engine.begin() as conn:
            import_id = conn.execute(
                imports.insert().values(
                    kind="events",
                    file=str(path),
                    sha256=sha,
                    size=size,
                    mapping=mapping_json,
                    mapping_hash=fingerprint,
                    started=_now_ms(),
                    status="running",
                    pid=os.getpid(),
                    host=socket.gethostname(),
                    checkpoint=0,
                    rejects="[]",
                )
            ).inserted_primary_key[0]
        summary = ImportSummary(import_id=import_id, file=str(path), sha256=sha, status="running")
    rejects = summary.rejects
    status = "interrupted"
    try:
        with engine.connect() as conn:
            _tune_for_import(conn)
            writer = StoreWriter(conn, import_id)
            while True:
                batch = source.next_batch(options.batch_size)
                rows = batch.rows
                with conn.begin():
                    inserted = 0
                    if rows:
                        ids = writer.customer_ids([r[0] for r in rows])
                        inserted = writer.insert_events(
                            [(ids[r[0]], r[1], r[2], r[3], import_id, r[4]) for r in rows]
                        )
                    summary.read += batch.read
                    summary.loaded += inserted
                    summary.duplicates += len(rows) - inserted
                    summary.rejected += len(batch.rejects)
                    room = REJECTS_KEPT - len(rejects)
                    if room > 0:
                        rejects.extend(Reject(line, reason) for line, reason in batch.rejects[:room])
                    values = dict(
                        rows_read=summary.read,
                        rows_loaded=summary.loaded,
                        rows_rejected=summary.rejected,
                        rows_duplicate=summary.duplicates,
                        checkpoint=summary.read,  # records consumed from the start of the file
                    )
                    if room > 0 and batch.rejects:
                        values["rejects"] = json.dumps([{"line": r.line, "reason": r.reason} for r in rejects])
                    if batch.done:
                        values.update(status="done", finished=_now_ms())
                    conn.execute(imports.update().where(imports.c.id == import_id).values(**values))
                summary.customers_created = writer.customers_created
                if progress is not None:
                    progress(
                        Progress(
                            source.position() if not batch.done else source.size,
                            source.size,
                            summary.read,
                            summary.loaded,
                            summary.rejected,
                            summary.duplicates,
                            time.perf_counter() - began,
                        )
                    )
                if batch.done:
                    status = "done"
                    break
                if should_stop is not None and should_stop():
                    break
    except SourceError as exc:
        _mark(engine, import_id, "interrupted")
        raise ImportFailed(f"{exc} (the import can be resumed or rolled back)") from exc
    except BaseException:
        _mark(engine, import_id, "interrupted")
        raise
    if status != "done":
        _mark(engine, import_id, "interrupted")
    summary.status = status
    summary.seconds = time.perf_counter() - began
    return summary


def _mark(engine: Engine, import_id: int, status: str) -> None:
    """Best effort: record that an import stopped (a crash leaves it 'running' instead)."""
    try:
        with engine.begin() as conn:
            conn.execute(
                imports.update()
                .where(imports.c.id == import_id, imports.c.status == "running")
                .values(status=status, pid=None)
            )
    except Exception:  # noqa: BLE001 - the original error matters more
        pass


@dataclass(frozen=True)
class Rollback:
    import_id: int
    events_removed: int
    customers_removed: int


def rollback_import(store: str | os.PathLike | Engine, import_id: int) -> Rollback:
    """Remove everything an import stored: its events, and customers that only it brought in.

    The ``imports`` row stays, with status ``rolled_back``, so history shows
    what happened; the same file can then be imported afresh.
    """
    engine = open_store(store)
    with engine.begin() as conn:
        row = conn.execute(select(imports).where(imports.c.id == import_id)).mappings().first()
        if row is None:
            raise ImportFailed(f"no import with id {import_id}")
        if row["status"] == "running" and _pid_alive(row["pid"], row["host"]):
            raise ImportFailed(f"import {import_id} is still running (process {row['pid']}); stop it first")
        removed = conn.execute(delete(events).where(events.c.import_id == import_id)).rowcount
        orphans = conn.execute(
            delete(customers).where(
                and_(
                    customers.c.import_id == import_id,
                    ~exists().where(events.c.customer_id == customers.c.id),
                )
            )
        ).rowcount
        conn.execute(
            imports.update().where(imports.c.id == import_id).values(status="rolled_back", finished=_now_ms(), pid=None)
        )
    return Rollback(import_id, removed, orphans)


def imports_of_file(store: str | os.PathLike | Engine, path: str | os.PathLike) -> list[dict]:
    """Every import recorded for this file's bytes, newest first."""
    engine = open_store(store)
    try:
        sha, _ = file_digest(path)
    except SourceError as exc:
        raise ImportFailed(str(exc)) from exc
    with engine.connect() as conn:
        rows = conn.execute(select(imports).where(imports.c.sha256 == sha).order_by(imports.c.id.desc())).mappings().all()
    return [dict(r) for r in rows]

