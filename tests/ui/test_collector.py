"""Cycles holding Qt objects die on the GUI thread, never on the pool thread that happens to allocate."""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject, QTimer

from designer.ui import collector
from designer.ui.app import application
from designer.ui.backtest.worker import Task, Workers


class _Holder:
    """In a reference cycle with a Qt object; says on which thread it was freed."""

    freed_on: list[int] = []

    def __init__(self) -> None:
        self.me = self
        self.qobject = QObject()

    def __del__(self) -> None:
        _Holder.freed_on.append(threading.get_ident())


def _allocate_a_lot(kept: list) -> None:
    # Enough new containers, still alive, to cross the first collection threshold many times over.
    kept.append([[i] for i in range(200_000)])


def test_a_cycle_dropped_while_a_pool_thread_allocates_is_freed_on_the_gui_thread(qapp):
    app = application()
    the_collector = collector.install(app)
    assert collector.install(app) is the_collector, "one collector per application"
    assert not gc.isenabled(), "automatic collection (on any thread) is off while the editor runs"
    _Holder.freed_on.clear()
    _Holder()  # unreachable at once, kept alive only by its cycle
    kept: list = []
    worker = threading.Thread(target=_allocate_a_lot, args=(kept,))
    worker.start()
    worker.join()
    assert _Holder.freed_on == [], "nothing collected the cycle on the pool thread"
    the_collector.tick()
    assert _Holder.freed_on == [threading.get_ident()]


def test_the_timer_collects_while_the_event_loop_runs(qtbot, qapp):
    the_collector = collector.install(application())
    _Holder.freed_on.clear()
    _Holder()
    kept: list = []
    _allocate_a_lot(kept)  # the counts cross the thresholds; nothing collects until the timer fires
    assert _Holder.freed_on == []
    qtbot.waitUntil(lambda: _Holder.freed_on == [threading.get_ident()], timeout=10 * collector.INTERVAL_MS)
    assert the_collector.timer.isActive()


def test_a_tasks_signal_holders_belong_to_the_gui_thread_and_go_once_it_reported(qtbot, qapp):
    workers = Workers()
    results: list[int] = []
    task = Task("sum", lambda _report, _cancel: sum(range(10))).on(finished=results.append)
    signals, relay = task.signals, task.relay
    gone: list[str] = []
    signals.destroyed.connect(lambda: gone.append("signals"))
    relay.destroyed.connect(lambda: gone.append("relay"))
    workers.start(task)
    assert signals.parent() is workers and relay.parent() is workers
    qtbot.waitUntil(lambda: sorted(gone) == ["relay", "signals"], timeout=10_000)
    assert results == [45]
    workers.shutdown()
    QTimer.singleShot(0, workers.deleteLater)
