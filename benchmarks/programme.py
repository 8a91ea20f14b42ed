"""Programme benchmark: all five example flows backtested together, with a cap, over a million events.

    python benchmarks/programme.py [--customers 100000] [--days 39] [--cap 3/P7D] [--repeat 3]

Uses the simulation benchmark's generated shop (about 1,000,000 events; kept
in the temporary folder and reused) and measures, taking turns so load from
other programs weighs on both sides:

* ``seconds``: ``simulate_together(five flows, store, programme with the cap)``
  end to end, best of ``--repeat``;
* ``scan_seconds``: one plain scan of the history into Python (the same
  reference as ``benchmarks/simulate.py``), best of ``--repeat``.

Goal: ``ratio_vs_scan`` <= 2.0 (the whole programme in no more than twice one
read of the history). The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> int:
    from simulate import ensure_store, scan  # the simulation benchmark's shop and reference

    from designer.engine.simulate import simulate_together
    from designer.model import documents, io
    from designer.model.programme import Programme, parse_cap
    from designer.store.db import open_store
    from designer.store.schema import SCHEMA_VERSION

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=39)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cap", default="3/P7D")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, help="processes (default: the engine decides)")
    args = ap.parse_args()
    db = Path(tempfile.gettempdir()) / f"tfd-bench-v{SCHEMA_VERSION}-{args.customers}-{args.days}-{args.seed}.db"
    ensure_store(db, args.customers, args.days, args.seed)
    flows = [io.load(p) for p in documents.flow_files(ROOT / "flows")]
    programme = Programme(parse_cap(args.cap))
    engine = open_store(db)
    best, best_scan, events, results = float("inf"), float("inf"), 0, None
    for _ in range(args.repeat):
        started = time.perf_counter()
        results = simulate_together(flows, engine, save=False, workers=args.workers, programme=programme)
        best = min(best, time.perf_counter() - started)
        seconds, events = scan(engine)
        best_scan = min(best_scan, seconds)
    engine.dispose()
    p = results[0].programme
    print(f"{len(flows)} flows, cap {args.cap}: {best:.2f} s; plain scan {best_scan:.2f} s; "
          f"{sum(r.sends for r in results):,} marketing messages, most in one cap window {p.max_in_cap_window}")
    print(json.dumps({"flows": len(flows), "events": events, "seconds": round(best, 3),
                      "scan_seconds": round(best_scan, 3), "ratio_vs_scan": round(best / best_scan, 3),
                      "messages": sum(r.sends for r in results), "max_in_cap_window": p.max_in_cap_window}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
