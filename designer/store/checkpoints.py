"""Holding an import at a committed checkpoint, so tests can stop it at a known point.

A test that kills or interrupts an import must not race it: on a busy machine
the import may finish before the signal arrives. With
``DESIGNER_IMPORT_HOLD=N:PATH`` in its environment, an import that has
committed at least ``N`` records creates ``PATH`` and waits while ``PATH``
exists; the test sends its signal (or deletes the file to let it go on).
Without the variable nothing is held; the check costs one comparison per batch.

``DESIGNER_STORE_CREATE_HOLD=PATH`` does the same where a new store gets its
schema: the process writes ``PATH.waiting`` before it asks for the store's
write lock, and once it holds the lock and has created the tables (not yet
committed) it creates ``PATH`` and waits while it exists, so a test can start
a second process against a store being created.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

ENV = "DESIGNER_IMPORT_HOLD"
CREATE_ENV = "DESIGNER_STORE_CREATE_HOLD"


def write_marker(marker: Path, text: str) -> None:
    """Create ``marker`` holding ``text`` in one step (written aside, then renamed).

    A test waits for the marker to exist and then reads it: written in place, it could
    exist still empty for a moment (read as ``''`` under load). A rename is atomic.
    """
    aside = marker.with_name(f"{marker.name}.{os.getpid()}.tmp")
    aside.write_text(text)
    os.replace(aside, marker)


@dataclass
class CheckpointHold:
    at: int | None = None
    marker: Path | None = None
    done: bool = False

    @classmethod
    def from_env(cls) -> "CheckpointHold":
        value = os.environ.get(ENV, "")
        count, sep, path = value.partition(":")
        if not sep or not count.isdigit() or not path:
            return cls()
        return cls(int(count), Path(path))

    def reached(self, committed: int) -> None:
        """Called after each committed batch; holds once, at the first checkpoint past ``at``."""
        if self.at is None or self.done or committed < self.at:
            return
        self.done = True
        write_marker(self.marker, str(committed))
        while self.marker.exists():  # a signal (Ctrl-C, SIGKILL) ends the wait
            time.sleep(0.02)


def _wait_while(marker: Path) -> None:
    while marker.exists():  # a signal (Ctrl-C, SIGKILL) ends the wait
        time.sleep(0.02)


def creation_hold(stage: str) -> None:
    """``stage`` "waiting" (before asking for the lock) or "created" (schema made, not committed)."""
    path = os.environ.get(CREATE_ENV)
    if not path:
        return
    marker = Path(path)
    if stage == "waiting":
        write_marker(marker.with_name(marker.name + ".waiting"), "1")
        return
    write_marker(marker, "1")
    _wait_while(marker)
