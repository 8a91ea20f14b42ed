"""The backtest on a Dask distributed cluster: customers partitioned by id range, one task each.

Each task opens the store itself (the workers must reach it: a PostgreSQL
URL, or a SQLite file on a shared disk), reads its customers' events and
interprets them with the same engine as a local run; only the figures come
back, and they merge by adding, exactly as the local parallel run merges its
helper processes' figures, so the numbers are the same to the last message.

``address`` is a scheduler (``tcp://host:8786``) or ``local`` / ``local:N``
for a :class:`distributed.LocalCluster` of N worker processes on this
machine. Progress is the share of partitions done; cancelling cancels the
tasks still queued or running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from designer.engine.figures import SimulationResult
from designer.model import io
from designer.model.flow import Flow

#: Partitions per worker: small enough tasks that progress moves and a slow worker is not the tail.
TASKS_PER_WORKER = 4


class ClusterUnavailable(RuntimeError):
    """Dask is missing or the scheduler cannot be reached; the message says which and what to do."""


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterUnavailable("the cluster backtest needs Dask distributed: "
                                 "pip install 'trigger-flow-designer[cluster]'") from None
    return distributed


def partition_task(url: str, flow_texts: list[str], window_from: int, window_to: int, lo: int, hi: int,
                   full_scan: bool, span: tuple[int, int] | None, rules=None,
                   books: dict | None = None) -> list[SimulationResult]:
    """One partition on a worker: the customers with ids in [lo, hi), and their figures (unrounded,
    so the merge adds exactly what a local run adds); ``books``: the run's score models."""
    from designer.engine.plan import compile_flow
    from designer.engine.reader import read_spec
    from designer.engine.run_setup import new_results
    from designer.engine.simulate import _run_range
    from designer.store.db import open_store

    engine = open_store(url)
    try:
        plans = [compile_flow(io.loads(t), i) for i, t in enumerate(flow_texts)]
        results = new_results(plans, window_from, window_to, rules)
        spec = read_spec(plans, window_from, window_to, span)
        spec.full_scan = full_scan
        _run_range(engine, plans, results, spec, window_from, window_to, customer_lo=lo, customer_hi=hi,
                   books=books)
        return results
    finally:
        engine.dispose()


def connect(address: str, timeout: float = 10.0):
    """A client for ``address``; a ``local[:N]`` address starts a LocalCluster (closed with the client)."""
    distributed = _distributed()
    if address == "local" or address.startswith("local:"):
        n = int(address.split(":", 1)[1]) if ":" in address else 2
        if n < 1:
            raise ClusterUnavailable(f"{address}: a local cluster needs at least one worker")
        cluster = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                           dashboard_address=None, silence_logs=40)
        client = distributed.Client(cluster)
        client._designer_cluster = cluster  # closed with the client in close()
        return client
    try:
        return distributed.Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise ClusterUnavailable(f"cannot reach the Dask scheduler at {address}: {exc}") from None


def close(client) -> None:
    cluster = getattr(client, "_designer_cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def run_partitions(client, engine: Engine, flows: list[Flow], results: list[SimulationResult], spec,
                   window_from: int, window_to: int, id_range: tuple[int, int],
                   report: Callable[[float], None], is_cancelled: Callable[[], bool], rules=None,
                   books: dict | None = None) -> None:
    """Submit one task per id range, merge the figures into ``results`` as they come back."""
    from designer.engine.run_setup import SimulationCancelled, merge_parts

    distributed = _distributed()
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        raise ClusterUnavailable("an in-memory store cannot be read by cluster workers: use a file or PostgreSQL")
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    lo, hi = id_range
    n = max(1, min(workers * TASKS_PER_WORKER, hi - lo))
    bounds = [lo + (hi - lo) * k // n for k in range(n + 1)]
    texts = [io.dumps(f) for f in flows]
    futures = [client.submit(partition_task, url, texts, window_from, window_to, bounds[k], bounds[k + 1],
                             spec.full_scan, spec.span, rules, books, pure=False) for k in range(n)]
    done = 0
    try:
        for fut in distributed.as_completed(futures):
            if is_cancelled():
                raise SimulationCancelled()
            merge_parts(results, fut.result())
            done += 1
            report(min(0.99, done / n))
    except BaseException:
        client.cancel(futures)
        raise


def simulate_on_cluster(flows: list[Flow], store: Any, address: str, *, window=None,
                        progress: Callable[[float], None] | None = None, cancel: Any = None,
                        save: bool = True, connect_timeout: float = 10.0,
                        programme=None) -> list[SimulationResult]:
    """Backtest ``flows`` together over ``store`` on the cluster at ``address``; one result each
    (``programme``: as for :func:`designer.engine.simulate.simulate_together`)."""
    if programme is not None:
        order = programme.order([f.id for f in flows])
        if order != list(range(len(flows))):
            from designer.model.programme import Programme

            ran = simulate_on_cluster([flows[i] for i in order], store, address, window=window, progress=progress,
                                      cancel=cancel, save=save, connect_timeout=connect_timeout,
                                      programme=Programme(programme.cap, (), programme.collision_window))
            out = [None] * len(flows)
            for position, i in enumerate(order):
                out[i] = ran[position]
            return out
    from designer.engine.plan import PlanError, compile_flow
    from designer.engine.reader import choose_scan, count_rows, read_spec
    from designer.engine.run_setup import (SimulationError, add_run_warnings, cancel_check, history_span,
                                           id_range, new_results, programme_rules, resolve_window, score_books)
    from designer.store.db import StoreError, open_store

    started = time.perf_counter()
    try:
        plans = [compile_flow(f, i) for i, f in enumerate(flows)]
    except PlanError as exc:
        raise SimulationError(str(exc), flow_errors=True) from None
    try:
        engine = store if isinstance(store, Engine) else open_store(store)
    except StoreError as exc:
        raise SimulationError(str(exc)) from None
    report = progress or (lambda _f: None)
    try:
        first, last = history_span(engine)
        span = (first, last) if first is not None else None
        window_from, window_to = resolve_window(engine, window, span)
        spec = read_spec(plans, window_from, window_to, span)
        with engine.connect() as conn:
            spec.full_scan = choose_scan(conn, spec, count_rows(conn, engine, spec))
        rules = programme_rules(programme)
        results = new_results(plans, window_from, window_to, rules)
        books = score_books(engine, plans)  # trained once here; every task applies the same models
        report(0.0)
        client = connect(address, connect_timeout)
        try:
            run_partitions(client, engine, flows, results, spec, window_from, window_to, id_range(engine), report,
                           cancel_check(cancel), rules, books)
        finally:
            close(client)
        for r in results:
            r.seconds = time.perf_counter() - started
        add_run_warnings(flows, results)
        if save:
            from designer.engine.runs import save_runs

            save_runs(engine, flows, results)
        report(1.0)
        return results
    finally:
        if not isinstance(store, Engine):
            engine.dispose()
