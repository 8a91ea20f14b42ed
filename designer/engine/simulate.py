"""The simulator: replay flows over the stored history on a virtual clock.

Entry point for the editor and the CLI::

    result = simulate(flow, store, window=(from_ms, to_ms), progress=on_progress, cancel=stop_event)

* ``flow``: a :class:`~designer.model.flow.Flow` (must validate without errors).
* ``store``: an SQLAlchemy Engine from ``open_store``, or a path/URL.
* ``window``: ``(from_ms, to_ms)`` epoch ms UTC, either end None for "from the
  first / to after the last stored event"; entries are trigger events with
  ``from <= time < to``, and nothing happens at or after ``to``.
* ``progress``: called with a fraction 0..1 now and then (from the calling thread).
* ``cancel``: a ``threading.Event`` (anything with ``is_set()``) or a
  callable returning True to stop; the run then raises :class:`SimulationCancelled`.
* ``trace_customer``: an external customer id; only that customer is
  simulated and ``result.trace`` lists every step with its time and reason.
* ``save``: store the run in the ``runs`` table (``result.run_id``).

Large histories are split by customer id range over worker processes (one
per core; the processes themselves: :mod:`designer.engine.workers`): customers share
nothing, so the partial results simply add up.
Small ones run in the calling process. :func:`simulate_together` runs several
flows in one pass, so smart sending sees the messages of all of them.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from designer.engine.cores import CoreSampler
from designer.engine.figures import SimulationResult, TraceStep
from designer.engine.interpreter import Interpreter
from designer.engine.plan import FlowPlan, PlanError, compile_flow
from designer.engine.reader import ReadSpec, ReadStats, customers_with_history, read_spec
from designer.engine.run_setup import (ProgrammeRules, SimulationCancelled, SimulationError, Window,
                                       add_run_warnings, cancel_check, customer_id_of, history_span, id_range,
                                       merge_parts, new_results, programme_rules, resolve_window, score_books)
from designer.engine.versions import flow_hash, trust
from designer.engine.workers import checkpoint, inherited, init_helper, shareable, start_method, worker_state
from designer.model import io
from designer.model.flow import Flow
from designer.model.programme import Programme
from designer.store.db import StoreError, open_store

#: Names callers reach through this module (the run's pieces live in :mod:`designer.engine.run_setup`).
__all__ = ["simulate", "simulate_together", "SimulationError", "SimulationCancelled", "history_span", "flow_hash"]

#: Below this many rows to read, one process is faster than starting helpers: forked helpers
#: start in milliseconds, spawned ones (from the editor) need most of a second to import.
PARALLEL_MIN_ROWS = {"fork": 20_000, "spawn": 300_000}
PROGRESS_EVERY = 500

Progress = Callable[[float], Any]


def simulate(flow: Flow, store: Engine | str | os.PathLike, *, window: Window | None = None,
             progress: Progress | None = None, cancel: Any = None, trace_customer: str | None = None,
             workers: int | None = None, save: bool = True, scripted_scores: bool = False) -> SimulationResult:
    """Backtest one flow over the store; see the module docstring for the arguments."""
    return simulate_together([flow], store, window=window, progress=progress, cancel=cancel,
                             trace_customer=trace_customer, workers=workers, save=save,
                             scripted_scores=scripted_scores)[0]


def simulate_together(flows: list[Flow], store: Engine | str | os.PathLike, *, window: Window | None = None,
                      progress: Progress | None = None, cancel: Any = None, trace_customer: str | None = None,
                      workers: int | None = None, save: bool = True,
                      programme: Programme | None = None, scripted_scores: bool = False) -> list[SimulationResult]:
    """Backtest several flows as if all were live at once (shared smart sending); one result each.

    ``scripted_scores``: the predictive scores are the customers' profile properties of that name
    instead of the store's models (a flow test scripts them); a backtest never sets it.

    With a ``programme`` the flows run as one programme: its frequency cap holds across them,
    flows earlier in its priority go first when two would message a customer at the same
    moment, and every result carries the same :class:`ProgrammeFigures` (``result.programme``)."""
    if programme is not None:
        order = programme.order([f.id for f in flows])
        if order != list(range(len(flows))):
            ran = simulate_together([flows[i] for i in order], store, window=window, progress=progress,
                                    cancel=cancel, trace_customer=trace_customer, workers=workers, save=save,
                                    programme=Programme(programme.cap, (), programme.collision_window),
                                    scripted_scores=scripted_scores)
            out: list[SimulationResult | None] = [None] * len(flows)
            for position, i in enumerate(order):
                out[i] = ran[position]
            return out  # type: ignore[return-value]
    started = time.perf_counter()
    try:
        engine = open_store(store)
    except StoreError as exc:
        raise SimulationError(str(exc)) from None
    try:
        return _simulate(flows, engine, started, window, progress, cancel, trace_customer, workers, save, programme,
                         scripted_scores)
    finally:
        if not isinstance(store, Engine):
            engine.dispose()  # opened here: its connections (and their page caches) go too


def _simulate(flows: list[Flow], engine: Engine, started: float, window: Window | None, progress: Progress | None,
              cancel: Any, trace_customer: str | None, workers: int | None, save: bool,
              programme: Programme | None = None, scripted_scores: bool = False) -> list[SimulationResult]:
    try:
        plans = [compile_flow(f, i) for i, f in enumerate(flows)]
    except PlanError as exc:
        raise SimulationError(str(exc), flow_errors=True) from None
    try:
        return _run_all(flows, plans, engine, started, window, progress, cancel, trace_customer, workers, save,
                        programme_rules(programme), scripted_scores)
    except (SQLAlchemyError, BrokenProcessPool) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise SimulationError(f"the store {engine.url.render_as_string(hide_password=True)} could not be "
                              f"read or written: {reason}") from exc


def _run_all(flows: list[Flow], plans: list[FlowPlan], engine: Engine, started: float, window: Window | None,
             progress: Progress | None, cancel: Any, trace_customer: str | None, workers: int | None,
             save: bool, rules: ProgrammeRules = None, scripted_scores: bool = False) -> list[SimulationResult]:
    sampler = CoreSampler()  # looks at the machine's load while the run gets ready
    first, last = history_span(engine)
    span = (first, last) if first is not None else None
    window_from, window_to = resolve_window(engine, window, span)
    spec = read_spec(plans, window_from, window_to, span)
    digests = [flow_hash(f) for f in flows]
    results = new_results(plans, window_from, window_to, rules, digests)
    is_cancelled = cancel_check(cancel)
    report = progress or (lambda _f: None)
    report(0.0)
    books = {} if scripted_scores else score_books(engine, plans)

    if trace_customer is not None:
        spec.props_names = None  # a trace shows each trigger event's properties
        customer_id = customer_id_of(engine, trace_customer)
        trace: list[TraceStep] = []
        _run_range(engine, plans, results, spec, window_from, window_to, customer_id=customer_id, trace=trace,
                   books=books)
        trace.sort(key=lambda s: (s.time, s.journey))
        for r in results:
            r.trace = trace
    else:
        from designer.engine.reader import choose_scan, count_rows

        with engine.connect() as conn:
            sampler.sample()
            rows = count_rows(conn, engine, spec)
            sampler.sample()
            spec.full_scan = choose_scan(conn, spec, rows)
        n = _worker_count(engine, rows, workers, sampler)
        if n <= 1:
            lo, hi = id_range(engine)

            def tick(stats: ReadStats) -> None:
                if is_cancelled():
                    raise SimulationCancelled()
                if stats.last_customer is not None and hi > lo:
                    report(min(1.0, (stats.last_customer - lo + 1) / (hi - lo)))

            _run_range(engine, plans, results, spec, window_from, window_to, tick=tick, books=books)
        else:
            _run_partitioned(engine, flows, plans, results, spec, window_from, window_to, n, report, is_cancelled,
                             rules, books)
    elapsed = time.perf_counter() - started
    for r in results:
        r.seconds = elapsed
    if trace_customer is None:
        add_run_warnings(flows, results)
    if save and trace_customer is None:
        from designer.engine.runs import save_runs

        save_runs(engine, flows, results)
    report(1.0)
    return results


def _worker_count(engine: Engine, rows: int, workers: int | None, sampler: CoreSampler) -> int:
    if workers is not None:
        n = max(1, int(workers))
    else:
        sampler.sample()
        n = min(sampler.free(), 4)
        if n > 1 and rows < PARALLEL_MIN_ROWS[start_method()]:
            n = 1
    if n > 1 and not shareable(engine):
        n = 1
    return n


def _run_range(engine: Engine, plans: list[FlowPlan], results: list[SimulationResult], spec: ReadSpec,
               window_from: int, window_to: int, *, customer_lo: int | None = None, customer_hi: int | None = None,
               customer_id: int | None = None, trace: list[TraceStep] | None = None,
               tick: Callable[[ReadStats], None] | None = None, books: dict | None = None) -> None:
    """Simulate every customer in an id range (or one customer) into ``results`` (``books``: the
    run's score models, from :func:`score_books`)."""
    interp = Interpreter(plans, results, window_from, window_to, trace=trace,
                         programme=results[0].programme if results else None, scores=books)
    stats = ReadStats()
    done = 0
    with _fewer_collections():
        for cid, (profile, properties), history in customers_with_history(
                engine, spec, stats, customer_lo=customer_lo, customer_hi=customer_hi, customer_id=customer_id):
            interp.run_customer(cid, profile, history, properties)
            done += 1
            if tick is not None and done % PROGRESS_EVERY == 0:
                tick(stats)
    interp.flush()
    for r in results:
        r.customers_read += stats.customers
        r.events_read += stats.rows


@contextmanager
def _fewer_collections():
    """Run with the cyclic garbage collector mostly idle.

    A run allocates millions of short-lived objects (rows, histories,
    journeys) that reference counting frees at once; the default collector
    thresholds would still trigger full collections over everything alive,
    which took a third of a run's time. Objects that existed before the run
    are frozen out of those scans; settings are restored afterwards.
    """
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(200_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()


# -- the work of helper processes (starting and ending them: designer.engine.workers) ---------


def _partition_worker(url: str, flow_texts: list[str], digests: list[str], window_from: int, window_to: int,
                      lo: int, hi: int, part: int, full_scan: bool,
                      span: tuple[int, int] | None, rules: ProgrammeRules = None,
                      books: dict | None = None) -> list[SimulationResult]:
    """Simulate the customers with ids in [lo, hi) in a helper process: read, interpret, return figures."""
    cancel_event, progress_queue = worker_state["cancel"], worker_state["progress"]
    checkpoint()
    engine = inherited.get("engine")
    if engine is not None:
        # The parent's engine: new connections of our own, the parent's left alone (SQLAlchemy's
        # way to use an engine after a fork); the parent opened and checked the store already.
        engine.dispose(close=False)
        plans = inherited["plans"]
    else:
        engine = open_store(url)
        for digest in digests:
            trust(digest)  # the parent compiled these versions: they have no errors
        plans = [compile_flow(io.loads(t), i) for i, t in enumerate(flow_texts)]
    try:
        results = new_results(plans, window_from, window_to, rules, digests)
        spec = read_spec(plans, window_from, window_to, span)
        spec.full_scan = full_scan

        def tick(stats: ReadStats) -> None:
            if cancel_event.is_set():
                raise SimulationCancelled()
            if stats.last_customer is not None and hi > lo:
                progress_queue.put((part, (stats.last_customer - lo + 1) / (hi - lo)))

        _run_range(engine, plans, results, spec, window_from, window_to, customer_lo=lo, customer_hi=hi, tick=tick,
                   books=books)
        return results
    finally:
        engine.dispose()


def _run_partitioned(engine: Engine, flows: list[Flow], plans: list[FlowPlan], results: list[SimulationResult],
                     spec: ReadSpec, window_from: int, window_to: int, n: int, report: Progress,
                     is_cancelled: Callable[[], bool], rules: ProgrammeRules = None, books: dict | None = None) -> None:
    """Split customers into ``n`` id ranges: this process simulates the first, helpers the others.

    Every process reads its own range straight from the store (the database
    work runs on all cores at once) and nothing but the final figures
    crosses between processes. (One reader handing batches of customers to
    the others was measured too: slower on an idle machine, because the read
    then runs on one core while the others wait, and rows must be pickled.)
    """
    import queue as queues

    lo, hi = id_range(engine)
    bounds = [lo + (hi - lo) * k // n for k in range(n + 1)]
    url = engine.url.render_as_string(hide_password=False)
    texts = [io.dumps(f) for f in flows]
    digests = [r.flow_hash for r in results]
    method = start_method()
    ctx = multiprocessing.get_context(method)
    cancel_event, progress_queue = ctx.Event(), ctx.Queue()
    shares = [0.0] * n

    def drain() -> None:
        while True:
            try:
                part, share = progress_queue.get_nowait()
            except queues.Empty:
                break
            shares[part] = max(shares[part], share)
        report(min(0.99, sum(shares) / n))

    def tick(stats: ReadStats) -> None:
        if is_cancelled():
            raise SimulationCancelled()
        if stats.last_customer is not None and bounds[1] > bounds[0]:
            shares[0] = (stats.last_customer - bounds[0] + 1) / (bounds[1] - bounds[0])
        drain()

    with ProcessPoolExecutor(max_workers=n - 1, mp_context=ctx, initializer=init_helper,
                             initargs=(cancel_event, progress_queue)) as pool:
        futures = set()
        try:
            if method == "fork":
                inherited.update(engine=engine, plans=plans)
            try:
                pool.submit(int).result()  # helpers start (and fork what they inherit) before we go on
            finally:
                inherited.clear()
            futures = {pool.submit(_partition_worker, url, texts, digests, window_from, window_to, bounds[k],
                                   bounds[k + 1], k, spec.full_scan, spec.span, rules, books)
                       for k in range(1, n)}
            _run_range(engine, plans, results, spec, window_from, window_to, customer_lo=bounds[0],
                       customer_hi=bounds[1], tick=tick, books=books)
            shares[0] = 1.0
            while futures:
                if is_cancelled():
                    raise SimulationCancelled()
                done, futures = wait(futures, timeout=0.2, return_when=FIRST_COMPLETED)
                for fut in done:
                    parts = fut.result()
                    merge_parts(results, parts)
                drain()
        except BaseException:
            cancel_event.set()
            for fut in futures:
                fut.cancel()
            raise
