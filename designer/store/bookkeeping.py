"""What the store records about each import, shared by the event and the profile importers.

The ``imports`` row's bookkeeping (earlier imports of the same bytes, marking
a stopped import, whether its process still runs) and the summary types both
importers return. Kept apart so :mod:`designer.store.profiles` builds on it
without importing :mod:`designer.store.importer`, which imports profiles back
for rollbacks.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from dataclasses import dataclass, field

import psutil
from sqlalchemy import Engine, select

from designer.store.schema import imports

#: Rejects kept in the summary and in the ``imports`` row (the count is always exact, and so is
#: the count of each reason: :func:`reject_kind`).
REJECTS_KEPT = 100

#: A quoted value inside a reason (``'not a time'``, ``"it's"``): the data, not the kind.
_QUOTED = re.compile(r"""\s*(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")(?:\.\.\.)?""")

#: A bare number inside a reason (``customer id 1.5 is not text``): the data too.
_NUMBER = re.compile(r"\s-?\d[\w.+-]*")


def reject_kind(reason: str) -> str:
    """The kind of a reject reason, without the row's values: what the per-reason counts group by.

    ``unparseable time 'x'`` and ``unparseable time 'y': digits other than 0-9`` are both
    ``unparseable time``; ``wrong column count: expected 4, found 5`` is ``wrong column count``.
    The kind never holds a value from the file (quoted values and what follows a colon go),
    so the counts can be shown and kept without repeating the data.
    """
    text = _NUMBER.sub("", _QUOTED.sub("", reason))
    for stop in (":", ";", " ("):
        text = text.split(stop, 1)[0]
    return " ".join(text.split())[:80] or "rejected"


class ImportFailed(Exception):
    """The import could not run (file, mapping, store); nothing was marked done."""


class DamagedInput(ImportFailed):
    """The file turned out damaged part-way (its compressed data): the import removed what it
    had stored from it and is recorded as ``failed``. A problem of the input, not of the program."""


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
    phase: str = "reading"  # then "indexing" while a bulk load builds its indexes

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
    #: Rejected rows by kind (:func:`reject_kind`), every one counted, not only those kept.
    reject_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    resumed_at: int = 0  # records skipped because an earlier run had stored them
    customers_created: int = 0
    # When the same bytes were imported before with other options: when (epoch ms) and which options.
    earlier_started: int | None = None
    earlier_options: dict | None = None
    #: Where this run's time went, seconds, as the storing side sees it: ``waiting`` for the
    #: parser's next batch, ``storing`` the batches, ``indexing`` at the end of a bulk load.
    phases: dict[str, float] = field(default_factory=dict)

    def add_rejects(self, rejects: list[tuple[int, str]]) -> dict:
        """Count a batch's rejects and keep the first :data:`REJECTS_KEPT`; returns the
        ``imports`` row's columns to update with them (nothing when the batch had none)."""
        if not rejects:
            return {}
        self.rejected += len(rejects)
        counts = self.reject_counts
        for _line, reason in rejects:
            kind = reject_kind(reason)
            counts[kind] = counts.get(kind, 0) + 1
        values = {"reject_counts": json.dumps(counts, sort_keys=True)}
        room = REJECTS_KEPT - len(self.rejects)
        if room > 0:
            self.rejects.extend(Reject(line, reason) for line, reason in rejects[:room])
            values["rejects"] = json.dumps([{"line": r.line, "reason": r.reason} for r in self.rejects])
        return values

    def reasons_text(self) -> str:
        """``wrong column count 130, unparseable time 40``: the counts, most frequent first."""
        return counts_text(self.reject_counts)

    def counts_json(self) -> dict:
        """The machine-readable summary the CLI prints with ``--json``."""
        out = {
            "read": self.read,
            "loaded": self.loaded,
            "rejected": self.rejected,
            "duplicates": self.duplicates,
            "rejects": [{"line": r.line, "reason": r.reason} for r in self.rejects[:REJECTS_KEPT]],
            "reject_counts": dict(self.reject_counts),
        }
        if self.earlier_options is not None:
            out["earlier"] = {"import_id": self.import_id, "started": self.earlier_started, "options": self.earlier_options}
        return out


def ordered_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Reject counts most frequent first (ties by name), as every display lists them."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def counts_text(counts: dict[str, int]) -> str:
    """Reject counts as one line: ``wrong column count 130, unparseable time 40``."""
    return ", ".join(f"{kind} {count:,}" for kind, count in ordered_counts(counts))


def stored_counts(row) -> dict[str, int]:
    """The per-reason counts an ``imports`` row holds (empty for imports recorded before they were kept)."""
    try:
        counts = json.loads(row["reject_counts"] or "{}")
    except (KeyError, ValueError):
        return {}
    return counts if isinstance(counts, dict) else {}


def now_ms() -> int:
    return int(time.time() * 1000)


def pid_alive(pid: int | None, host: str | None) -> bool:
    """Whether the process that recorded an import is still running on this machine.

    ``psutil.pid_exists`` asks the OS the same question on Windows, macOS and
    Linux; ``os.kill(pid, 0)`` would *terminate* the process on Windows.
    """
    if not pid or host != socket.gethostname() or pid == os.getpid():
        return False
    return psutil.pid_exists(pid)


def prior_imports(conn, sha: str, fingerprint: str, kind: str):
    return (
        conn.execute(
            select(imports)
            .where(imports.c.sha256 == sha, imports.c.mapping_hash == fingerprint, imports.c.kind == kind)
            .order_by(imports.c.id.desc())
        )
        .mappings()
        .all()
    )


def same_bytes_other_options(conn, sha: str, fingerprint: str, kind: str):
    """A finished import of the same file bytes made with other options, if any (newest first)."""
    return (
        conn.execute(
            select(imports)
            .where(imports.c.sha256 == sha, imports.c.kind == kind, imports.c.status == "done",
                   imports.c.mapping_hash != fingerprint)
            .order_by(imports.c.id.desc())
        )
        .mappings()
        .first()
    )


def options_of(row) -> dict:
    """The options an import row was made with (tz, pseudonymised and dropped columns, mapping)."""
    try:
        recorded = json.loads(row["mapping"] or "{}")
    except ValueError:
        return {}
    return {k: recorded[k] for k in ("tz", "pseudonymise", "drop", "mapping") if k in recorded}


def summary_from_row(row, status: str, path: str) -> ImportSummary:
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
        reject_counts=stored_counts(row),
    )


def mark(engine: Engine, import_id: int, status: str) -> None:
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
