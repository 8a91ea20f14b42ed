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

Speed: files of :data:`PARALLEL_MIN_BYTES` or more are parsed in a child
process (:mod:`designer.store.parallel`) while this process stores. CSV and
Parquet are parsed and converted a batch and a column at a time by Apache
Arrow (:mod:`designer.store.arrowcsv`, :mod:`designer.store.arrowrecords`),
with the exact per-row rules (:mod:`designer.store.csvtext`,
:mod:`designer.store.columns`) for whatever Arrow cannot prove it reads the
same; the writer inserts each batch with multi-row statements
(:mod:`designer.store.writer`). An import into a store without events is a
bulk load (:mod:`designer.store.bulk`): the event indexes are built once at
the end, where duplicates inside the file are found; until then they count
as loaded, and the final counts move them. Customer ids cross from the
parser with file-wide codes (:class:`~designer.store.parallel.CustomerCodebook`),
so the storing side resolves a customer's text once per file, not once per
batch. On the benchmark's generic log (``benchmarks/import.py``, a million
rows) the two sides are now about even: the parser takes 3-4 s of CPU (the
dedupe keys and the customer codes about 0.5 s each), the storing side about
1.2 s of CPU in SQLite's inserts and their parameters and 0.2 s in commits;
then 1.5-2 s go to building the two event indexes at the end, which nothing
overlaps. ``ImportSummary.phases`` says where a run's time went.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select

from designer.store.bookkeeping import (
    REJECTS_KEPT,
    DamagedInput,
    ImportFailed,
    ImportSummary,
    Progress,
    Reject,
    mark,
    now_ms,
    options_of,
    pid_alive,
    prior_imports,
    same_bytes_other_options,
    summary_from_row,
)
from designer.store.bulk import finish_bulk_load, pending_rebuild, start_bulk_load
from designer.store.checkpoints import CheckpointHold
from designer.store.db import StoreError, write_lock, writable_store
from designer.store.keys import store_key
from designer.store.erased import ERASED
from designer.store.mapping import PRESETS, Mapping, MappingError
from designer.store.parallel import ParseSpec, ParserProcess
from designer.store.rollback import Rollback, imports_of_file, rollback_import
from designer.store.schema import imports
from designer.store.parquet import is_parquet
from designer.store.sources import DamagedStream, EventSource, SourceError, file_digest
from designer.store.timeparse import TimeError
from designer.store.writer import StoreWriter

#: Files from this size on are parsed in a child process beside the writer
#: (below it, starting the process costs more than it saves).
PARALLEL_MIN_BYTES = 8 << 20


@dataclass(frozen=True)
class ImportOptions:
    mapping: Mapping = PRESETS["generic"]
    tz: str = "UTC"  # zone for times written without one
    pseudonymise: tuple[str, ...] = ()  # columns replaced by a keyed hash before storing
    drop: tuple[str, ...] = ()  # columns never stored
    batch_size: int = 50_000
    force: bool = False  # read the file even if it was imported already (duplicates still skipped)
    # Parse in a child process beside the writer: None decides by file size.
    parallel: bool | None = None
    # Into an empty store, build the event indexes once at the end (designer.store.bulk).
    bulk: bool = True
    # CSV: plain blocks parsed and converted by Arrow (designer.store.arrowcsv); False: the exact
    # per-row path alone. Both store the same events and rejects, so it is no part of the fingerprint.
    compiled: bool = True

    def fingerprint(self) -> str:
        """Same file + same fingerprint = the same import (resumable, or already done)."""
        data = {
            "mapping": self.mapping.to_json(),
            "tz": self.tz,
            "pseudonymise": sorted(p.lower() for p in self.pseudonymise),
            "drop": sorted(d.lower() for d in self.drop),
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


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
    if not (path.is_file() or (path.is_dir() and is_parquet(path))):
        raise ImportFailed(f"no such file: {path}" if not path.is_dir() else f"{path}: a folder holding no Parquet files")
    try:
        engine = writable_store(store, "an import")
    except StoreError as exc:
        raise ImportFailed(str(exc)) from exc
    try:
        sha, size = file_digest(path)
    except SourceError as exc:
        raise ImportFailed(str(exc)) from exc
    fingerprint = options.fingerprint()
    with engine.connect() as conn:
        try:
            salt = store_key(conn)
        except StoreError as exc:  # the key is lost, or the key file given is not this store's
            raise ImportFailed(str(exc)) from None
        prior = prior_imports(conn, sha, fingerprint, "events")
        other = same_bytes_other_options(conn, sha, fingerprint, "events")
    done = next((r for r in prior if r["status"] == "done"), None)
    if done is None and other is not None and not options.force:
        # Other options (a pseudonymised column, another zone) would store every event again under
        # other ids or times: the same content is imported once unless the first is rolled back.
        summary = summary_from_row(other, "already imported", str(path))
        summary.duplicates = other["rows_loaded"] + other["rows_duplicate"]
        summary.loaded = 0
        summary.earlier_started = other["started"]
        summary.earlier_options = options_of(other)
        summary.seconds = time.perf_counter() - began
        return summary
    if done is not None and not options.force:
        summary = summary_from_row(done, "already imported", str(path))
        # Nothing new: every record counts again as rejected or duplicate.
        summary.duplicates = done["rows_loaded"] + done["rows_duplicate"]
        summary.loaded = 0
        summary.seconds = time.perf_counter() - began
        return summary
    unfinished = next((r for r in prior if r["status"] in ("running", "interrupted")), None)
    if unfinished is not None and pid_alive(unfinished["pid"], unfinished["host"]):
        raise ImportFailed(f"this file is being imported by process {unfinished['pid']}; wait for it or stop it")
    with engine.connect() as conn:
        pending = pending_rebuild(conn) if conn.dialect.name == "sqlite" else None
        if pending is not None and (unfinished is None or unfinished["id"] != pending):
            _refuse_if_taken(conn, pending, pending)
    parallel = options.parallel if options.parallel is not None else size >= PARALLEL_MIN_BYTES
    try:
        if parallel:
            spec = ParseSpec(
                str(path), options.mapping, options.tz, tuple(options.pseudonymise), tuple(options.drop), salt,
                unfinished["checkpoint"] if unfinished is not None else 0, options.batch_size, options.compiled,
            )
            source = ParserProcess(spec)
        else:
            source = EventSource(path, options.mapping, options.tz, options.pseudonymise, options.drop, salt,
                                 compiled=options.compiled)
    except (MappingError, SourceError, TimeError) as exc:
        raise ImportFailed(str(exc)) from exc
    with source:
        return _run(engine, source, path, sha, size, fingerprint, options, unfinished, progress, should_stop, began,
                    salt)


def _run(engine, source, path, sha, size, fingerprint, options, unfinished, progress, should_stop, began,
         salt: str) -> ImportSummary:
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
    # One transaction under the store's write lock: recording this import and deciding on a bulk
    # load see what another import committed a moment before (two imports into a new store).
    with engine.begin() as conn:
        write_lock(conn)
        if unfinished is not None:
            import_id = unfinished["id"]
            _refuse_if_taken(conn, import_id, None)  # another process may have resumed it meanwhile
            conn.execute(
                imports.update()
                .where(imports.c.id == import_id)
                .values(status="running", pid=os.getpid(), host=socket.gethostname())
            )
        else:
            import_id = conn.execute(
                imports.insert().values(
                    kind="events",
                    file=str(path),
                    sha256=sha,
                    size=size,
                    mapping=mapping_json,
                    mapping_hash=fingerprint,
                    started=now_ms(),
                    status="running",
                    pid=os.getpid(),
                    host=socket.gethostname(),
                    checkpoint=0,
                    rejects="[]",
                )
            ).inserted_primary_key[0]
        bulk = False
        if conn.dialect.name == "sqlite":
            pending = pending_rebuild(conn)
            if pending is not None and pending != import_id:
                _refuse_if_taken(conn, pending, pending)  # raises: the transaction, this row included, is undone
            if unfinished is not None:
                bulk = pending == import_id
            elif options.bulk:
                bulk = start_bulk_load(conn, import_id)
    if unfinished is not None:
        summary = summary_from_row(unfinished, "running", str(path))
        summary.resumed_at = source.skip(unfinished["checkpoint"])
    else:
        summary = ImportSummary(import_id=import_id, file=str(path), sha256=sha, status="running")
    status = "interrupted"
    hold = CheckpointHold.from_env()
    try:
        with engine.connect() as conn:
            _tune_for_import(conn)
            try:
                writer = StoreWriter(conn, import_id, bulk=bulk)
                phases = summary.phases
                phases.update(waiting=0.0, storing=0.0)
                while True:
                    tick = time.perf_counter()
                    batch = source.next_batch(options.batch_size)
                    tock = time.perf_counter()
                    phases["waiting"] += tock - tick
                    with conn.begin():
                        # Under the write lock: an erasure commits before this batch or after it,
                        # never between the check of erased customers and the inserts.
                        write_lock(conn)
                        writer.revalidate()
                        ids = batch.customer_values if batch.customer_codes is not None else batch.customers
                        refused = writer.erased_among(ids, salt)
                        if refused:
                            batch = batch.without(refused, ERASED)
                        inserted = writer.insert_columns(batch.customers, batch.names, batch.times, batch.properties,
                                                         batch.keys, batch.customer_values, batch.customer_codes,
                                                         batch.customer_globals, batch.customer_epoch)
                        summary.read += batch.read
                        summary.loaded += inserted
                        summary.duplicates += len(batch.times) - inserted
                        values = summary.add_rejects(batch.rejects)
                        values.update(
                            rows_read=summary.read,
                            rows_loaded=summary.loaded,
                            rows_rejected=summary.rejected,
                            rows_duplicate=summary.duplicates,
                            checkpoint=summary.read,  # records consumed from the start of the file
                        )
                        if batch.done and not bulk:
                            values.update(status="done", finished=now_ms(), pid=None)
                        conn.execute(imports.update().where(imports.c.id == import_id).values(**values))
                    phases["storing"] += time.perf_counter() - tock
                    summary.customers_created = writer.customers_created
                    hold.reached(summary.read)
                    if progress is not None:
                        progress(
                            Progress(
                                source.size if batch.done else source.position(),
                                source.size,
                                summary.read,
                                summary.loaded,
                                summary.rejected,
                                summary.duplicates,
                                time.perf_counter() - began,
                            )
                        )
                    if batch.done:
                        if bulk:
                            tick = time.perf_counter()
                            _finish_bulk(conn, import_id, summary, progress, source.size, began)
                            phases["indexing"] = time.perf_counter() - tick
                        status = "done"
                        break
                    if should_stop is not None and should_stop():
                        break
            finally:
                _untune(conn)
    except DamagedStream as exc:
        raise DamagedInput(_fail_damaged(engine, import_id, exc)) from None
    except SourceError as exc:
        mark(engine, import_id, "interrupted")
        raise ImportFailed(f"{exc} (the import can be resumed or rolled back)") from exc
    except BaseException:
        mark(engine, import_id, "interrupted")
        raise
    if status != "done":
        mark(engine, import_id, "interrupted")
    summary.status = status
    summary.seconds = time.perf_counter() - began
    return summary


def _refuse_if_taken(conn, import_id: int, pending: int | None) -> None:
    """Raise :class:`ImportFailed` when import ``import_id`` is running in another process, or is
    a bulk load into the empty store (``pending``) that this import would get in the way of."""
    row = conn.execute(select(imports.c.file, imports.c.status, imports.c.pid, imports.c.host)
                       .where(imports.c.id == import_id)).first()
    if row is None:
        return
    if row.status == "running" and pid_alive(row.pid, row.host):
        raise ImportFailed(
            f"the store is busy: import {import_id} ({row.file}) is running in process {row.pid}; "
            "wait for it to finish, then import again"
        )
    if pending == import_id:
        raise ImportFailed(
            f"import {import_id} ({row.file}) into this empty store is unfinished; "
            "resume it (import the same file again) or roll it back (--rollback) first"
        )


def _fail_damaged(engine: Engine, import_id: int, exc: DamagedStream) -> str:
    """Remove what an import stored from a file found damaged, record it ``failed``; the message.

    The damage is found some way after it, so rows committed before it may be garbage: none of
    the file's rows is kept. ``failed`` is neither done nor resumable, so importing the same
    bytes again reads them afresh (and fails again) instead of skipping or resuming.
    """
    try:
        removed = rollback_import(engine, import_id).events_removed
    except Exception:  # noqa: BLE001 - the damage is the news; say what may be left
        mark(engine, import_id, "interrupted")
        return f"{exc}; removing what was stored failed: roll it back with --rollback"
    with engine.begin() as conn:
        conn.execute(imports.update().where(imports.c.id == import_id).values(status="failed", rows_loaded=0))
    kept = f"the {removed:,} events stored from it were removed" if removed else "nothing was stored from it"
    return f"{exc}; the import failed and {kept}"


def _finish_bulk(conn, import_id: int, summary: ImportSummary, progress, size: int, began: float) -> None:
    """Build the indexes of a bulk load; the duplicates it finds move from loaded to duplicates."""
    if progress is not None:
        progress(Progress(size, size, summary.read, summary.loaded, summary.rejected, summary.duplicates,
                          time.perf_counter() - began, phase="indexing"))
    with conn.begin():
        removed = finish_bulk_load(conn)
        summary.loaded -= removed
        summary.duplicates += removed
        conn.execute(
            imports.update()
            .where(imports.c.id == import_id)
            .values(rows_loaded=summary.loaded, rows_duplicate=summary.duplicates, status="done",
                    finished=now_ms(), pid=None)
        )


def _tune_for_import(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA cache_size=-65536")  # 64 MB while importing
        # Index builds sort through temporary files, not memory: flat at any size.
        conn.exec_driver_sql("PRAGMA temp_store=FILE")
        conn.exec_driver_sql("PRAGMA threads=2")  # the sorter may use a helper thread
        # The writer links events only to customers it has just looked up or
        # created and to its own import row; checking each reference again
        # would cost two B-tree searches per row.
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    conn.commit()


def _untune(conn) -> None:
    """Back to the pool as it came: foreign keys on, normal cache."""
    if conn.dialect.name == "sqlite":
        conn.rollback()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.exec_driver_sql("PRAGMA cache_size=-32768")
        conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
        conn.exec_driver_sql("PRAGMA threads=0")
        conn.commit()


__all__ = [
    "REJECTS_KEPT", "DamagedInput", "ImportFailed", "ImportOptions", "ImportSummary", "Progress", "Reject", "Rollback",
    "import_events", "imports_of_file", "options_of", "rollback_import",
]
