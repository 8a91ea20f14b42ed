"""Autosave to a recovery file, and finding such files again after a crash.

While a flow has unsaved changes it is written every minute, and a few
seconds after editing pauses, to a file in the app data folder (overridable
with TRIGGER_FLOW_RECOVERY_DIR). A normal save or close deletes the file; so a
recovery file that is still there on the next start means the program did not
end cleanly, and its content is offered back.

A window holds a ``QLockFile`` beside its recovery file while it works on it, so
another window (or a second editor) leaves that file alone. Qt's lock records
the holder's pid, host and program name and tells a dead holder from a live one
on every platform (``os.kill(pid, 0)`` is a termination request on Windows).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer

from designer import identity
from designer.model import io
from designer.model.flow import Flow
from designer.ui.document import Document

ENV_DIR = "TRIGGER_FLOW_RECOVERY_DIR"
AUTOSAVE_MS = 60_000
IDLE_MS = 5_000
FORMAT = "trigger-flow-recovery"


def recovery_dir() -> Path:
    override = os.environ.get(ENV_DIR)
    if override:
        return Path(override)
    return identity.data_dir() / "recovery"


@dataclass(frozen=True)
class Recovery:
    """A recovery file: which flow file it belongs to (None: never saved) and when it was written."""

    file: Path
    source: str | None
    saved_at: float
    name: str

    def load(self) -> Flow:
        """The recovered flow; raises FlowFormatError if the file is damaged."""
        data = json.loads(self.file.read_text(encoding="utf-8"))
        return io.from_json(data["flow"])

    def discard(self) -> None:
        try:
            self.file.unlink()
        except OSError:
            pass


def _key(source: str) -> str:
    return hashlib.sha1(os.path.abspath(source).encode("utf-8")).hexdigest()[:16]


def _lock_for(file: Path) -> QLockFile:
    lock = QLockFile(str(file) + ".lock")
    lock.setStaleLockTime(0)  # a live holder is never stale, however long it has worked
    return lock


def _in_use(file: Path) -> bool:
    """Whether a running window holds this recovery file (a dead holder's lock is cleared)."""
    lock = _lock_for(file)
    if not lock.tryLock(0):
        return lock.error() == QLockFile.LockError.LockFailedError
    lock.unlock()
    return False


def _read(file: Path) -> Recovery | None:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("flow"), dict):
        return None
    if _in_use(file):
        return None  # another open window is still working on it
    name = data["flow"].get("name") if isinstance(data["flow"].get("name"), str) else file.stem
    source = data.get("source") if isinstance(data.get("source"), str) else None
    return Recovery(file, source, float(data.get("saved_at") or file.stat().st_mtime), name)


def find_recovery(source: str | None) -> list[Recovery]:
    """Recovery files left by a crash: for a flow file, the one newer than that file;
    for ``None``, every recovery of a flow that was never saved."""
    folder = recovery_dir()
    if not folder.is_dir():
        return []
    if source is not None:
        found = _read(folder / f"{_key(source)}.json") if (folder / f"{_key(source)}.json").is_file() else None
        if found is None:
            return []
        try:
            saved = os.path.getmtime(source)
        except OSError:
            saved = 0.0
        return [found] if found.saved_at > saved else []
    out = [r for f in sorted(folder.glob("untitled-*.json")) if (r := _read(f)) is not None]
    return sorted(out, key=lambda r: r.saved_at, reverse=True)


class Autosaver(QObject):
    """Writes the document's unsaved state to its recovery file on a timer and on idle."""

    def __init__(self, document: Document, parent: QObject | None = None, *,
                 interval_ms: int = AUTOSAVE_MS, idle_ms: int = IDLE_MS) -> None:
        super().__init__(parent)
        self.document = document
        self.session = uuid.uuid4().hex[:12]
        self._written: Path | None = None
        self._lock: QLockFile | None = None
        self._dirty = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.save_if_dirty)
        self.timer.start()
        self.idle = QTimer(self)
        self.idle.setSingleShot(True)
        self.idle.setInterval(idle_ms)
        self.idle.timeout.connect(self.save_if_dirty)
        document.changed.connect(self._changed)
        document.undo_stack.cleanChanged.connect(self._clean_changed)

    def path(self) -> Path:
        source = self.document.path
        name = f"{_key(source)}.json" if source else f"untitled-{self.session}.json"
        return recovery_dir() / name

    def _changed(self) -> None:
        self._dirty = True
        self.idle.start()

    def _clean_changed(self, clean: bool) -> None:
        if clean:
            self.discard()

    def save_if_dirty(self) -> None:
        if self._dirty:
            self.save_now()

    def save_now(self) -> Path | None:
        """Write the recovery file now (or remove it when nothing is unsaved)."""
        self._dirty = False
        if not self.document.is_modified():
            self.discard()
            return None
        target = self.path()
        if self._written is not None and self._written != target:
            self.discard()
        data = {"format": FORMAT, "source": self.document.path, "saved_at": time.time(),
                "flow": io.to_json(self.document.flow)}
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._hold(target)
            io.atomic_write_text(target, json.dumps(data, indent=1, ensure_ascii=False))
        except OSError:
            return None  # autosave is best effort; the user's own saves report errors
        self._written = target
        return target

    def _hold(self, target: Path) -> None:
        """Lock the recovery file this window writes, so no other window offers it back."""
        if self._lock is not None and self._lock.fileName() == str(target) + ".lock":
            return
        self._release()
        lock = _lock_for(target)
        if lock.tryLock(0):
            self._lock = lock

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def discard(self) -> None:
        """Remove this window's recovery file (after a save, or a normal close)."""
        if self._written is not None:
            try:
                self._written.unlink()
            except OSError:
                pass
            self._written = None
        self._release()
