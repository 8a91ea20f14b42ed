"""The backtest on a Dask cluster gives exactly the one-process figures, on SQLite and PostgreSQL;
progress moves, cancelling stops it, and an unreachable scheduler is a clear error."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from designer.engine.cluster import ClusterUnavailable, simulate_on_cluster  # noqa: E402
from designer.engine.simulate import SimulationCancelled, simulate, simulate_together  # noqa: E402
from designer.model import documents, io  # noqa: E402
from designer.store.db import open_store  # noqa: E402
from designer.store.sample import generate  # noqa: E402

try:  # the throwaway PostgreSQL server the store's tests start (skipped without its binaries)
    from tests.store.test_postgresql import pg, server  # noqa: E402, F401
except pytest.skip.Exception:
    pg = None

ROOT = Path(__file__).resolve().parents[2]
FLOWS = [io.load(p) for p in documents.flow_files(ROOT / "flows")]


@pytest.fixture(scope="module")
def scheduler():
    """A two-worker cluster for the module, reached by its address as a remote one would be."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=40)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    db = tmp_path_factory.mktemp("cluster") / "shop.db"
    generate(db, customers=600, days=45, seed=9)
    return db


def _comparable(result) -> dict:
    data = result.to_json()
    data.pop("seconds", None)
    data.pop("run_id", None)
    return data


def test_every_flow_on_the_cluster_equals_one_process(scheduler, shop):
    for flow in FLOWS:
        local = simulate(flow, shop, workers=1, save=False)
        on_cluster = simulate_on_cluster([flow], shop, scheduler, save=False)[0]
        assert _comparable(on_cluster) == _comparable(local), flow.id
        assert local.entered > 0


def test_flows_together_on_the_cluster_equal_one_process(scheduler, shop):
    local = simulate_together(FLOWS, shop, workers=1, save=False)
    seen: list[float] = []
    on_cluster = simulate_on_cluster(FLOWS, shop, scheduler, save=False, progress=seen.append)
    assert [_comparable(r) for r in on_cluster] == [_comparable(r) for r in local]
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 3


def test_a_cluster_run_is_stored_like_a_local_one(scheduler, shop):
    from designer.engine.runs import load_run

    result = simulate_on_cluster(FLOWS[:1], shop, scheduler)[0]
    engine = open_store(shop)
    try:
        assert result.run_id is not None and load_run(engine, result.run_id) is not None
    finally:
        engine.dispose()


def test_cancel_stops_the_cluster_run(scheduler, shop):
    cancel = threading.Event()

    def progress(share: float) -> None:
        if share > 0:
            cancel.set()  # cancel as soon as the first partition is in

    with pytest.raises(SimulationCancelled):
        simulate_on_cluster(FLOWS[:1], shop, scheduler, save=False, progress=progress, cancel=cancel)


def test_an_unreachable_scheduler_is_named(shop):
    with pytest.raises(ClusterUnavailable, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        simulate_on_cluster(FLOWS[:1], shop, "tcp://127.0.0.1:9", save=False, connect_timeout=1)


def test_an_in_memory_store_is_refused(scheduler):
    with pytest.raises(ClusterUnavailable, match="in-memory"):
        simulate_on_cluster(FLOWS[:1], "sqlite://", scheduler, save=False)


def test_a_cluster_backtest_on_postgresql_equals_one_process(pg, scheduler):  # noqa: F811
    generate(pg, customers=200, days=30, seed=4)
    flow = FLOWS[0]
    assert _comparable(simulate_on_cluster([flow], pg, scheduler, save=False)[0]) == \
        _comparable(simulate(flow, pg, workers=1, save=False))
