"""Backtesting the open flow: start a run off the GUI thread, keep its result and the one before.

A result belongs to the flow state it was run on (the engine's ``flow_hash``,
which ignores card positions and the flow's name), the store and the window.
When any of them changes the result is *stale*: still shown, greyed, with a
hint to run again; undoing back to the state that was run makes it fresh
again. Opening a different flow (another flow id) drops it. Results are view
state: nothing here goes into the flow or its file (the engine does keep each
run in the store's runs table, for comparing later).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from designer.engine.figures import SimulationResult, TraceStep
from designer.engine.runs import StoredRun, list_runs
from designer.engine.simulate import SimulationCancelled, SimulationError, flow_hash, simulate, simulate_together
from designer.model.flow import Flow
from designer.model.validate import ERROR
from designer.store import lookup
from designer.store.db import StoreError, open_store
from designer.ui.backtest.other_flows import OtherFlows, OtherFlowsError
from designer.ui.backtest.store_panel import StoreController
from designer.ui.backtest.worker import Task, TaskFailed, Workers
from designer.ui.document import Document

log = logging.getLogger(__name__)

#: How long the flow must stay unchanged before an automatic re-run starts.
AUTO_RUN_DELAY_MS = 1000

Window = tuple[int | None, int | None]


@dataclass(frozen=True)
class RunKey:
    """What a result depends on besides the flow: the store and the window."""

    store: str
    window: Window
    #: The other flows run with this one (Flow > Backtest with Other Flows...).
    others: OtherFlows = OtherFlows()


@dataclass(frozen=True)
class Trace:
    customer: str
    flow: Flow
    steps: list[TraceStep]
    window_from: int
    window_to: int
    #: The customer's own time zone (IANA name), None when the store does not know it.
    timezone: str | None = None


class BacktestController(QObject):
    started = Signal()
    progress = Signal(float)
    #: A run finished: the new SimulationResult (``result``), ``previous`` holds the one before.
    finished = Signal(object)
    cancelled = Signal()
    failed = Signal(str)
    #: A run was asked for but not started; the reason, for the status bar.
    refused = Signal(str)
    staleChanged = Signal(bool)
    #: The result was dropped (another flow was opened).
    cleared = Signal()

    def __init__(self, document: Document, store: StoreController, workers: Workers,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.store = store
        self.workers = workers
        self.result: SimulationResult | None = None
        #: The result of the run before ``result`` (same flow id and store), for "vs previous run".
        self.previous: SimulationResult | None = None
        self.stale = False
        self.key: RunKey | None = None
        #: The window the next run uses: (from_ms, to_ms), None ends meaning all history.
        self.window: Window = (None, None)
        #: Helper processes for the engine (None: the engine decides by the history's size).
        self.processes: int | None = None
        #: The other flows the next run takes with this one, as one programme (none: this flow alone).
        self.others = OtherFlows()
        #: Every flow's result of the last run when it ran with others (this flow's first), else None;
        #: they share the programme's figures (``result.programme``).
        self.programme_results: list[SimulationResult] | None = None
        self.task: Task | None = None
        self._pending = False
        self.auto_timer = QTimer(self)
        self.auto_timer.setSingleShot(True)
        self.auto_timer.setInterval(AUTO_RUN_DELAY_MS)
        self.auto_timer.timeout.connect(self._auto_run)
        self.auto_run = False
        document.changed.connect(self._flow_changed)
        store.changed.connect(self._store_changed)

    # -- state -----------------------------------------------------------------
    def is_running(self) -> bool:
        return self.task is not None

    def current_key(self) -> RunKey | None:
        return RunKey(self.store.path, tuple(self.window), self.others) if self.store.path else None

    def _update_stale(self) -> None:
        if self.result is None:
            return
        if self.result.flow_id != self.document.flow.id:
            self.clear()
            return
        stale = flow_hash(self.document.flow) != self.result.flow_hash or self.current_key() != self.key
        if stale != self.stale:
            self.stale = stale
            self.staleChanged.emit(stale)

    def clear(self) -> None:
        self.result, self.previous, self.key, self.stale = None, None, None, False
        self.programme_results = None
        self.cleared.emit()

    def set_others(self, others: OtherFlows) -> None:
        """Backtest with these other flows from the next run on (an empty choice: this flow alone)."""
        self.others = others
        self._update_stale()

    def set_window(self, window: Window) -> None:
        self.window = (window[0], window[1])
        self._update_stale()

    def set_auto_run(self, on: bool) -> None:
        self.auto_run = bool(on)
        if not on:
            self.auto_timer.stop()

    # -- reactions -----------------------------------------------------------------
    def _flow_changed(self) -> None:
        self._update_stale()
        if self.auto_run:
            self.auto_timer.start()

    def _store_changed(self, _info) -> None:
        self._update_stale()
        if self._pending:
            self._pending = False
            self.run()

    def _auto_run(self) -> None:
        if self.result is not None and not self.stale and not self.is_running():
            return  # nothing that matters changed (cards moved)
        if any(p.severity == ERROR for p in self.document.problems()):
            return  # the Problems dock already says what to fix
        self.run()

    # -- running -----------------------------------------------------------------
    def refusal(self) -> str | None:
        """Why a backtest cannot start now, or None."""
        if self.store.info is None and not self.store.is_busy():
            return "Backtest not run: no event store is open (File > Open Event Store... or Import Events...)"
        errors = [p for p in self.document.validate_now() if p.severity == ERROR]
        if errors:
            n = len(errors)
            return (f"Backtest not run: the flow has {n} error{'s' * (n != 1)} "
                    f"(first: {errors[0].message}); see the Problems dock")
        return None

    def run(self) -> Task | None:
        """Backtest the flow as it is now; a run already going is cancelled first."""
        reason = self.refusal()
        if reason is not None:
            self.refused.emit(reason)
            return None
        if self.store.info is None:  # still being prepared: start as soon as it is there
            self._pending = True
            self.refused.emit("The backtest starts when the event store is ready...")
            return None
        self.auto_timer.stop()
        if self.task is not None:
            self.task.cancel()
        flow = self.document.flow.copy()  # the canvas may change while the run reads it
        key = RunKey(self.store.info.path, tuple(self.window), self.others)
        processes = self.processes

        def work(report, cancel) -> tuple[SimulationResult, list[SimulationResult] | None]:
            if not key.others:
                return simulate(flow, key.store, window=key.window, progress=report, cancel=cancel,
                                workers=processes, save=True), None
            try:
                others = key.others.load(flow)
            except OtherFlowsError as exc:
                raise TaskFailed(str(exc)) from None
            results = simulate_together([flow, *others], key.store, window=key.window, progress=report,
                                        cancel=cancel, workers=processes, save=True,
                                        programme=key.others.programme())
            return results[0], results

        task = Task("backtest", work, expected=(SimulationError,), cancelled_by=(SimulationCancelled,))
        self.task = task

        def finished(outcome: tuple[SimulationResult, list[SimulationResult] | None]) -> None:
            if self.task is not task:
                return
            self.task = None
            result, self.programme_results = outcome
            same = self.result is not None and self.result.flow_id == result.flow_id and self.key is not None \
                and self.key.store == key.store
            self.previous = self.result if same else None
            self.result, self.key, self.stale = result, key, False
            self._update_stale()  # edited while it ran: stale at once
            self.finished.emit(result)

        def failed(message: str) -> None:
            if self.task is task:
                self.task = None
                self.failed.emit(f"Backtest failed: {message}")

        def cancelled() -> None:
            if self.task is task:
                self.task = None
                self.cancelled.emit()

        def progress(fraction: float) -> None:
            if self.task is task:
                self.progress.emit(fraction)

        def done() -> None:
            if self.task is task:
                self.task = None

        task.on(progress=progress, finished=finished, failed=failed, cancelled=cancelled, done=done)
        self.workers.start(task)
        self.started.emit()
        return task

    def cancel(self) -> None:
        """Stop the running backtest; its figures never reach the canvas."""
        self._pending = False
        if self.task is not None:
            self.task.cancel()

    # -- one customer, stored runs ------------------------------------------------------
    def trace(self, customer: str) -> Task:
        """Replay one customer through the flow as it is now (nothing stored); the Task's
        ``finished`` carries a :class:`Trace`."""
        customer = customer.strip()
        flow = self.document.flow.copy()
        path = self.store.path
        window = tuple(self.window)
        has_errors = any(p.severity == ERROR for p in self.document.problems())

        def work(_report, _cancel) -> Trace:
            if not customer:
                raise TaskFailed("type a customer id")
            if path is None:
                raise TaskFailed("no event store is open")
            if has_errors:
                raise TaskFailed("the flow has errors; fix them first (see the Problems dock)")
            result = simulate(flow, path, window=window, trace_customer=customer, save=False)
            engine = open_store(path)
            try:
                record = lookup.customer(engine, customer)
            finally:
                engine.dispose()
            zone = record.timezone if record is not None else None
            return Trace(customer, flow, list(result.trace or []), result.window_from, result.window_to, zone)

        return self.workers.start(Task("trace", work, expected=(SimulationError,)))

    def stored_runs(self, limit: int = 20) -> Task:
        """The store's saved runs of this flow, newest first (``finished`` carries a list of StoredRun)."""
        path = self.store.path
        flow_id = self.document.flow.id

        def work(_report, _cancel) -> list[StoredRun]:
            if path is None:
                return []
            try:
                engine = open_store(path)
            except StoreError as exc:
                raise TaskFailed(str(exc)) from None
            try:
                return list_runs(engine, flow_id, limit=limit)
            finally:
                engine.dispose()

        return self.workers.start(Task("runs", work))
