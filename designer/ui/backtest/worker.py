"""Background work for the editor: a QRunnable per job, its outcome delivered on the GUI thread.

Backtests, imports, store statistics and the first-start sample shop can take
seconds to minutes, so none of them runs on the GUI thread. A :class:`Task`
runs a plain function ``fn(progress, cancel)`` on a window's
:class:`Workers` pool. The function reports a fraction through ``progress``
and polls ``cancel`` (a ``threading.Event``, which the engine and the
importer both accept).

The outcome travels by Qt signal. The signals live on a QObject made on the
GUI thread, and each is connected to a slot of a second QObject on the GUI
thread (the relay), so the connection is queued and the callbacks given to
:meth:`Task.on` always run on the GUI thread, whatever they are (a lambda
connected straight to a signal emitted from a pool thread would run there).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

#: What a task function receives: report a fraction 0..1, and the cancel flag to poll.
Report = Callable[[float], None]
TaskFn = Callable[[Report, threading.Event], Any]


class TaskCancelled(Exception):
    """Raised by a task function that noticed its cancel flag (any exception named in
    ``Task(cancelled_by=...)`` counts too, such as the engine's SimulationCancelled)."""


class TaskFailed(Exception):
    """An expected failure whose message is for the user as it is (no exception type added)."""


class TaskSignals(QObject):
    """Emitted from the pool thread; connect through :meth:`Task.on` to be called on the GUI thread."""

    progress = Signal(float)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    #: Whichever of finished, failed, cancelled happened; always last.
    done = Signal()


class _Relay(QObject):
    """Lives on the GUI thread: its slots receive the task's signals queued and call back."""

    def __init__(self) -> None:
        super().__init__()
        self.callbacks: dict[str, list[Callable]] = {"progress": [], "finished": [], "failed": [],
                                                     "cancelled": [], "done": []}

    def _call(self, name: str, *args) -> None:
        for callback in list(self.callbacks[name]):
            callback(*args)

    @Slot(float)
    def progress(self, fraction: float) -> None:
        self._call("progress", fraction)

    @Slot(object)
    def finished(self, result: object) -> None:
        self._call("finished", result)

    @Slot(str)
    def failed(self, message: str) -> None:
        self._call("failed", message)

    @Slot()
    def cancelled(self) -> None:
        self._call("cancelled")

    @Slot()
    def done(self) -> None:
        self._call("done")


class Task(QRunnable):
    """One job for the pool. Make it, attach callbacks with :meth:`on`, give it to :meth:`Workers.start`."""

    def __init__(self, name: str, fn: TaskFn, *, expected: tuple[type[BaseException], ...] = (),
                 cancelled_by: tuple[type[BaseException], ...] = ()) -> None:
        super().__init__()
        # The pool must not delete the runnable under Python's feet: Workers keeps it until done.
        self.setAutoDelete(False)
        self.name = name
        self.fn = fn
        #: Exceptions whose message is shown as it is (a store that cannot be read, a bad flow).
        self.expected = (TaskFailed, *expected)
        self.cancelled_by = (TaskCancelled, *cancelled_by)
        self.cancel_event = threading.Event()
        self.signals = TaskSignals()
        self.relay = _Relay()
        for name_ in ("progress", "finished", "failed", "cancelled", "done"):
            getattr(self.signals, name_).connect(getattr(self.relay, name_))
        #: "waiting", "running", "finished", "failed" or "cancelled" (read on the GUI thread).
        self.state = "waiting"

    def on(self, *, progress: Callable[[float], Any] | None = None, finished: Callable[[Any], Any] | None = None,
           failed: Callable[[str], Any] | None = None, cancelled: Callable[[], Any] | None = None,
           done: Callable[[], Any] | None = None) -> "Task":
        """Call these on the GUI thread when the task reports; returns the task."""
        for name, callback in (("progress", progress), ("finished", finished), ("failed", failed),
                               ("cancelled", cancelled), ("done", done)):
            if callback is not None:
                self.relay.callbacks[name].append(callback)
        return self

    def cancel(self) -> None:
        """Ask the function to stop; its outcome is then ``cancelled`` (a result that still
        arrives afterwards is dropped: the user asked for none)."""
        self.cancel_event.set()

    def is_cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def _report(self, fraction: float) -> None:
        self.signals.progress.emit(float(fraction))

    def run(self) -> None:  # on a pool thread
        signals = self.signals
        try:
            if self.cancel_event.is_set():
                raise TaskCancelled()
            result = self.fn(self._report, self.cancel_event)
            if self.cancel_event.is_set():
                raise TaskCancelled()
        except self.cancelled_by:
            signals.cancelled.emit()
        except self.expected as exc:
            signals.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - a bug in a job must not end the editor
            log.exception("background task %s failed", self.name)
            signals.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            signals.finished.emit(result)
        signals.done.emit()


class Workers(QObject):
    """A window's background pool. It keeps each task alive until its outcome has been
    delivered, and at close cancels what runs and waits for it, so no thread outlives
    the window."""

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self._tasks: list[Task] = []
        self._kept: set[Task] = set()

    def start(self, task: Task) -> Task:
        task.state = "running"
        # Qt objects are deleted on the thread they live on. The task's signal holders belong to
        # this (GUI-thread) object, so they never die with the task's Python object, whichever
        # thread drops it last; they go once their last report has been delivered.
        task.signals.setParent(self)
        task.relay.setParent(self)
        task.relay.callbacks["finished"].insert(0, lambda _r: self._settle(task, "finished"))
        task.relay.callbacks["failed"].insert(0, lambda _m: self._settle(task, "failed"))
        task.relay.callbacks["cancelled"].insert(0, lambda: self._settle(task, "cancelled"))
        # The task object (and its signal holders) stays referenced until "done" has been delivered.
        task.relay.callbacks["done"].append(lambda: self._forget(task))
        self._tasks.append(task)
        self._kept.add(task)
        self.pool.start(task)
        return task

    def _forget(self, task: Task) -> None:
        self._kept.discard(task)
        task.signals.deleteLater()
        task.relay.deleteLater()

    def _settle(self, task: Task, state: str) -> None:
        task.state = state
        if task in self._tasks:
            self._tasks.remove(task)

    def running(self) -> list[Task]:
        """Tasks started whose outcome (finished, failed, cancelled) has not been delivered yet."""
        return list(self._tasks)

    def cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()

    def wait(self, msecs: int = -1) -> bool:
        """Block until the pool's threads are idle (``msecs`` -1: however long it takes)."""
        return self.pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 30_000) -> bool:
        """Cancel everything and wait for the threads (window closing). Outcomes still on
        their way go nowhere: the widgets they were meant for are closing."""
        self.cancel_all()
        idle = self.wait(msecs)
        for task in self._kept:
            for callbacks in task.relay.callbacks.values():
                callbacks.clear()
        self._tasks.clear()
        return idle
