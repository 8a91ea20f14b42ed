"""Worker processes give exactly the single-process figures; runs are stored and read back."""

from __future__ import annotations

import json

import pytest

from designer.engine import simulate as sim
from designer.engine.runs import list_runs, load_run
from designer.model import documents, io
from designer.store.db import open_store
from designer.store.sample import generate

from pathlib import Path

FLOWS = Path(__file__).resolve().parents[2] / "flows"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    db = tmp_path_factory.mktemp("shop") / "shop.db"
    generate(db, customers=400, days=30, seed=11)
    return db


def comparable(result):
    data = result.to_json()
    for key in ("seconds", "run_id"):
        data.pop(key, None)
    return data


@pytest.mark.parametrize("name, workers", [("abandoned_cart", 3), ("browse_abandonment", 2),
                                           ("welcome_series", 2)])
def test_workers_give_the_same_figures_as_one_process(shop, name, workers):
    # Customer-id ranges simulated in other processes, their figures merged.
    flow = io.load(FLOWS / f"{name}.json")
    single = sim.simulate(flow, shop, workers=1, save=False)
    assert single.entered > 0
    assert comparable(sim.simulate(flow, shop, workers=workers, save=False)) == comparable(single)


def test_runs_are_stored_with_flow_hash_and_window(shop):
    engine = open_store(shop)
    flow = io.load(FLOWS / "abandoned_cart.json")
    first = sim.simulate(flow, engine, window=(None, None))
    again = sim.simulate(flow, engine)
    assert first.run_id is not None and again.run_id == first.run_id + 1
    stored = load_run(engine, first.run_id)
    assert stored.flow_hash == first.flow_hash == sim.flow_hash(flow)
    assert (stored.window_from, stored.window_to) == (first.window_from, first.window_to)
    assert comparable(stored.result) == comparable(first)
    assert io.dumps(stored.flow()) == io.dumps(flow)
    assert [r.id for r in list_runs(engine, flow.id)][:2] == [again.run_id, first.run_id]
    json.dumps(stored.result.to_json())  # stays plain JSON


def test_changed_flow_has_another_hash(shop):
    flow = io.load(FLOWS / "abandoned_cart.json")
    other = flow.copy()
    other.set_config("n2", {"duration": "PT2H"})
    assert sim.flow_hash(flow) != sim.flow_hash(other)
    a = sim.simulate(flow, shop, save=False)
    b = sim.simulate(other, shop, save=False)
    assert a.window_from == b.window_from and a.entered == b.entered


def test_every_example_flow_gives_non_trivial_numbers(tmp_path):
    # 150 days, so the 90-day win-back delay ends inside the history.
    db = tmp_path / "long.db"
    generate(db, customers=800, days=150, seed=5)
    for path in documents.flow_files(FLOWS):
        r = sim.simulate(io.load(path), db, save=False)
        splits = [f for f in r.nodes.values() if f.kind in ("split", "ab_split", "wait_for")]
        assert r.entered > 0 and r.sends > 0 and r.conversions > 0, path.name
        assert any(len([v for v in f.exits.values() if v]) == 2 for f in splits), path.name
        for node_id, f in r.nodes.items():
            assert f.balance() == 0, (path.name, node_id)


def test_layout_changes_keep_the_flow_hash():
    flow = io.load(FLOWS / "abandoned_cart.json")
    moved = flow.copy()
    moved.move_node("n5", 999, 999)
    moved.set_name("Renamed")
    assert sim.flow_hash(moved) == sim.flow_hash(flow)


def test_parallel_run_can_be_cancelled_and_reports_progress(shop, monkeypatch):
    monkeypatch.setattr(sim, "PROGRESS_EVERY", 10)
    seen = []
    flow = io.load(FLOWS / "browse_abandonment.json")
    with pytest.raises(sim.SimulationCancelled):
        sim.simulate(flow, shop, workers=2, save=False, progress=seen.append, cancel=lambda: len(seen) > 2)
    assert 0 < len(seen) <= 4  # stopped at the first check after the third report
    seen.clear()
    sim.simulate(flow, shop, workers=2, save=False, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 3


def test_unreadable_store_is_a_simulation_error(tmp_path):
    bad = tmp_path / "not-a-store.db"
    bad.write_bytes(b"this is not a database, just some bytes" * 100)
    with pytest.raises(sim.SimulationError):
        sim.simulate(io.load(FLOWS / "abandoned_cart.json"), bad, save=False)


def test_table_scan_and_index_read_give_the_same_figures(shop, monkeypatch):
    from designer.engine import reader

    flow = io.load(FLOWS / "abandoned_cart.json")
    monkeypatch.setattr(reader, "FULL_SCAN_SHARE", 2.0)  # never: through the name index
    by_index = sim.simulate(flow, shop, workers=1, save=False)
    monkeypatch.setattr(reader, "FULL_SCAN_SHARE", 0.0)  # always: the table front to back
    by_scan = sim.simulate(flow, shop, workers=1, save=False)
    assert by_index.entered > 0
    assert comparable(by_scan) == comparable(by_index)
