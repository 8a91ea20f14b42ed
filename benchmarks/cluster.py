"""Cluster benchmark: the abandoned-cart backtest on a 2-worker Dask LocalCluster against one process.

    python benchmarks/cluster.py [--sizes 100000,1000000] [--days 39] [--repeat 2]

For each shop size (customers over ``--days`` days: 100,000 customers is about
1,000,000 events, 1,000,000 about 10,000,000; stores are generated once into
the temporary folder and reused, as by ``benchmarks/simulate.py``) it measures,
taking turns so load from other programs weighs on both sides:

* ``local_seconds``: ``simulate(flow, store, workers=1)``, one process;
* ``cluster_seconds``: ``simulate_on_cluster(flow, store, "local:2")`` end to
  end, the cluster's start-up and shut-down included (what a user waits for);
* ``startup_seconds``: starting and closing the LocalCluster alone.

From the two sizes, with ``local = a * events`` and ``cluster = startup + b *
events``, it prints the crossover: the number of events from which the
cluster pays for its start-up (``startup / (a - b)``; none when the cluster
is not faster per event). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _events(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT max(id) FROM events").fetchone()[0] or 0
    finally:
        con.close()


def _startup() -> float:
    from designer.engine.cluster import close, connect

    started = time.perf_counter()
    close(connect("local:2"))
    return time.perf_counter() - started


def main() -> None:
    from simulate import ensure_store  # the simulation benchmark's cached shops

    from designer.engine.cluster import simulate_on_cluster
    from designer.engine.simulate import simulate
    from designer.model import io
    from designer.store.schema import SCHEMA_VERSION

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000", help="customers per shop, comma-separated")
    ap.add_argument("--days", type=int, default=39)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    flow = io.load(ROOT / "flows" / "abandoned_cart.json")
    rows = []
    for customers in [int(s) for s in args.sizes.split(",")]:
        db = Path(tempfile.gettempdir()) / f"tfd-bench-v{SCHEMA_VERSION}-{customers}-{args.days}-{args.seed}.db"
        ensure_store(db, customers, args.days, args.seed)
        local = cluster = startup = float("inf")
        figures = None
        for _ in range(args.repeat):
            t = time.perf_counter()
            a = simulate(flow, db, workers=1, save=False)
            local = min(local, time.perf_counter() - t)
            t = time.perf_counter()
            b = simulate_on_cluster([flow], db, "local:2", save=False)[0]
            cluster = min(cluster, time.perf_counter() - t)
            startup = min(startup, _startup())
            same = {k: v for k, v in a.to_json().items() if k != "seconds"} == \
                   {k: v for k, v in b.to_json().items() if k != "seconds"}
            figures = figures if figures is not None else same
            figures = figures and same
        row = {"events": _events(db), "customers": customers, "local_seconds": round(local, 3),
               "cluster_seconds": round(cluster, 3), "startup_seconds": round(startup, 3),
               "ratio_cluster_vs_local": round(cluster / local, 3), "same_figures": bool(figures)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    crossover = None
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        span = large["events"] - small["events"]
        a = (large["local_seconds"] - small["local_seconds"]) / span
        b = (large["cluster_seconds"] - small["cluster_seconds"]) / span
        s = small["cluster_seconds"] - b * small["events"]
        crossover = int(s / (a - b)) if a > b else None
    print(json.dumps({"runs": rows, "crossover_events": crossover}))


if __name__ == "__main__":
    main()
