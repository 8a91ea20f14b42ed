"""Simulation benchmark: backtest the abandoned-cart flow over a million events.

    python benchmarks/simulate.py [--customers 100000] [--days 39] [--seed 1] [--db PATH]

Generates a sample shop with the store's generator (100,000 customers over 39
days is about 1,000,000 events; the store is kept in the temporary folder and
reused by later runs with the same arguments and store schema version), then
measures:

* ``seconds``: ``simulate(abandoned_cart, store)`` end to end (reading the
  events the flow needs, interpreting every journey, on the cores the engine
  judges free), best of ``--repeat`` runs, in a child process so its peak
  memory is its own;
* ``scan_seconds``: the reference, a plain ``SELECT customer_id, name, time
  FROM events ORDER BY customer_id, time`` fetched into Python from the same
  store, best of ``--repeat``;
* ``peak_rss_mb``: the simulating process's peak resident memory, workers included.

Simulations and scans take turns (simulate, scan, simulate, scan...), each
waiting for the other, so a program that starts or stops on the machine
meanwhile weighs on both sides of the ratio rather than on one.

Goal: ``ratio_vs_scan`` <= 0.5 (the whole backtest in half the time of one
read of the history: it reads only a tenth of the events, so the interpreter's
cost per journey is what decides it), memory flat in the number of events. The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)  # Linux reports KiB


def ensure_store(path: Path, customers: int, days: int, seed: int) -> None:
    """Generate the sample shop unless a complete one is already there (in a child process,
    so the generator's memory does not count against the simulation)."""
    if path.exists():
        return
    tmp = path.with_name(path.name + ".partial")
    for leftover in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        leftover.unlink(missing_ok=True)
    print(f"generating {customers:,} customers over {days} days into {path} ...", flush=True)
    code = ("import sys; from designer.store.sample import generate; "
            f"s = generate(sys.argv[1], customers={customers}, days={days}, seed={seed}); "
            "print(f'{s.events:,} events in {s.seconds:.1f} s')")
    subprocess.run([sys.executable, "-c", code, str(tmp)], check=True, cwd=ROOT)
    # Fold the write-ahead log into the file before the rename.
    con = sqlite3.connect(tmp)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    os.replace(tmp, path)


def simulate_rounds(db: str, flow_path: str, repeat: int, workers: int | None) -> None:
    """Run in a child process: ``repeat`` simulations, each reported as a JSON line on stdout; after
    each the child waits for a line on stdin, while the parent runs a reference scan."""
    from designer.engine.simulate import simulate
    from designer.model import io

    flow = io.load(flow_path)
    for _ in range(repeat):
        started = time.perf_counter()
        result = simulate(flow, db, workers=workers, save=False)
        elapsed = time.perf_counter() - started
        print(json.dumps({"seconds": elapsed, "peak_rss_mb": _peak_rss_mb(), "events_read": result.events_read,
                          "entered": result.entered, "sends": result.sends}), flush=True)
        sys.stdin.readline()


def measure(db: Path, flow_path: str, repeat: int, workers: int | None) -> dict:
    """Simulations in a child process (its peak memory is its own) alternating with reference
    scans in this one; the best time of each and the child's peak memory."""
    from designer.store.db import open_store

    child = [sys.executable, __file__, "--measure-simulation", "--db", str(db), "--flow", flow_path,
             "--repeat", str(repeat)] + (["--workers", str(workers)] if workers else [])
    engine = open_store(db)
    sims, scans = [], []
    with subprocess.Popen(child, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT) as proc:
        for _ in range(repeat):
            line = proc.stdout.readline()
            if not line:
                break
            sims.append(json.loads(line))
            scans.append(scan(engine))
            proc.stdin.write("next\n")
            proc.stdin.flush()
    engine.dispose()
    if proc.returncode != 0 or len(sims) < repeat:
        raise SystemExit("the simulation failed (its error is above)")
    last = sims[-1]
    return {"seconds": round(min(s["seconds"] for s in sims), 3), "scan_seconds": round(min(t for t, _ in scans), 3),
            "events": scans[-1][1], "peak_rss_mb": max(s["peak_rss_mb"] for s in sims),
            "events_read": last["events_read"], "entered": last["entered"], "sends": last["sends"]}


def scan(engine) -> tuple[float, int]:
    """The reference: every event's customer, name and time, in customer order, into Python."""
    with engine.connect() as conn:
        started = time.perf_counter()
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute("SELECT customer_id, name, time FROM events ORDER BY customer_id, time")
        rows = 0
        while True:
            part = cursor.fetchmany(20_000)
            if not part:
                break
            rows += len(part)
        cursor.close()
        return time.perf_counter() - started, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=39)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", help="store to use (default: a generated one in the temporary folder)")
    parser.add_argument("--flow", default=str(ROOT / "flows" / "abandoned_cart.json"))
    parser.add_argument("--workers", type=int, help="processes (default: the engine decides)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best counts")
    parser.add_argument("--measure-simulation", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure_simulation:
        simulate_rounds(args.db, args.flow, args.repeat, args.workers)
        return 0

    from designer.store.schema import SCHEMA_VERSION

    # A store of an older schema would be migrated on open, which leaves it laid out unlike a fresh one.
    db = Path(args.db) if args.db else (
        Path(tempfile.gettempdir()) / f"tfd-bench-v{SCHEMA_VERSION}-{args.customers}-{args.days}-{args.seed}.db")
    if not args.db:
        ensure_store(db, args.customers, args.days, args.seed)

    sim = measure(db, args.flow, args.repeat, args.workers)
    scan_seconds, events = sim["scan_seconds"], sim["events"]

    from sqlalchemy import func, select

    from designer.store.db import open_store
    from designer.store.schema import customers

    engine = open_store(db)
    with engine.connect() as conn:
        n_customers = conn.execute(select(func.count()).select_from(customers)).scalar()
    engine.dispose()

    print(f"store: {events:,} events, {n_customers:,} customers ({db})")
    print(f"simulate {Path(args.flow).name}: {sim['seconds']:.2f} s, read {sim['events_read']:,} events, "
          f"{sim['entered']:,} journeys, {sim['sends']:,} messages, peak {sim['peak_rss_mb']} MB")
    print(f"plain scan of every event: {scan_seconds:.2f} s")
    print(json.dumps({"events": events, "customers": n_customers, "seconds": sim["seconds"],
                      "scan_seconds": round(scan_seconds, 3),
                      "ratio_vs_scan": round(sim["seconds"] / scan_seconds, 3),
                      "peak_rss_mb": sim["peak_rss_mb"], "events_read": sim["events_read"],
                      "journeys": sim["entered"], "messages": sim["sends"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
