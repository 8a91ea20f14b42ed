"""The helper processes of a partitioned run: how they start, what they share, and how they end.

:mod:`designer.engine.simulate` splits a large history by customer id range over helper
processes; this module holds what concerns the processes themselves rather than the
simulation: whether they may share the store, fork or spawn, the state each is started
with, ending with the parent, and a checkpoint that holds them for tests.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine


def shareable(engine: Engine) -> bool:
    """Whether worker processes can open the same store (not an in-memory SQLite)."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        return True
    database = url.database or ""
    return database not in ("", ":memory:") and "mode=memory" not in database and not database.startswith("file::memory")


worker_state: dict[str, Any] = {}

#: The store's engine and the compiled flows, set while forked helpers start: a forked helper
#: inherits them and skips opening the store and compiling the flows again (in a fresh fork that
#: took 15 ms, on the run's critical path). Spawned helpers find it empty and do both.
inherited: dict[str, Any] = {}


def start_method() -> str:
    """"fork" when it is safe (no other threads: the command line, the benchmark), which starts
    workers in milliseconds; otherwise "spawn" (the editor runs simulations from a Qt worker
    thread, and a forked child would inherit other threads' locks in whatever state they were)."""
    import sys

    alone = threading.active_count() == 1 and threading.current_thread() is threading.main_thread()
    # Only on Linux: macOS system libraries are not safe to use in a forked child.
    if sys.platform.startswith("linux") and alone and "PySide6" not in sys.modules:
        return "fork"
    return "spawn"


def init_helper(cancel_event, progress_queue) -> None:
    worker_state.update(cancel=cancel_event, progress=progress_queue)
    die_with_parent()


def die_with_parent() -> None:
    """End this helper when the process that started it ends, however it ends.

    A helper killed with its parent's pipes still open (kill -9 of the
    parent) would otherwise block on them forever, holding the store open. A
    daemon thread waits on the parent's sentinel (a pipe on POSIX, the
    process handle on Windows, so the same code works on both) and exits at
    once when it fires.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(3)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


#: A folder named here holds each helper at the start of its work (a file ``helper-PID`` says it
#: waits; a file ``release`` lets it go on): a checkpoint for tests of what happens to running
#: helpers, which must not race the run.
HOLD_ENV = "DESIGNER_SIMULATE_HOLD"


def checkpoint() -> None:
    folder = os.environ.get(HOLD_ENV)
    if not folder:
        return
    hold = Path(folder)
    (hold / f"helper-{os.getpid()}").write_text("waiting", encoding="utf-8")
    while not (hold / "release").exists():
        time.sleep(0.05)

