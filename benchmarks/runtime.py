"""The runtime end to end: a generated shop's events through POST /events, the manual clock moved
after each batch, the abandoned-cart flow deployed; checks the messages against the backtest.

Prints figures; the last line is JSON
{"events", "seconds", "events_per_s", "messages", "p99_decision_ms", "backtest_messages",
"p99_due_to_outbox_ms"}. ``p99_decision_ms`` is, per customer decided, the decide transaction that
took them (claim, replay, outbox write, commit), timed in the runtime: on SQLite the customers due at
one step are decided in one transaction, so this is that transaction's time. ``p99_due_to_outbox_ms``
is, for each queued message, the time from the clock passing (the start of the run that decided it,
after a ``POST /clock`` or ``POST /events``) to its commit: it includes the decisions of the other
customers due in the same run.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import select  # noqa: E402

from designer.engine.simulate import simulate  # noqa: E402
from designer.model import io  # noqa: E402
from designer.runtime.app import create_app  # noqa: E402
from designer.runtime.runtime import Runtime  # noqa: E402
from designer.store import sample  # noqa: E402
from designer.store.db import open_store  # noqa: E402
from designer.store.schema import customers, events  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--customers", type=int, default=35_000)
    p.add_argument("--days", type=int, default=20)
    p.add_argument("--batch", type=int, default=1000)
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp())
    sample.generate(tmp / "shop.db", customers=args.customers, days=args.days, seed=7)
    shop = open_store(tmp / "shop.db")
    with shop.connect() as conn:
        people = conn.execute(select(customers)).all()
        rows = conn.execute(select(customers.c.external_id, events.c.name, events.c.time, events.c.properties)
                            .join(customers, customers.c.id == events.c.customer_id)
                            .order_by(events.c.time, events.c.id).limit(args.events)).all()
    flow = io.load(ROOT / "flows" / "abandoned_cart.json")
    runtime = Runtime(tmp / "runtime.db", clock="manual")
    client = TestClient(create_app(runtime, ""))
    client.put(f"/flows/{flow.id}", json=io.to_json(flow))
    for c in people:
        client.put(f"/customers/{c.external_id}", json={
            "email": c.email, "first_name": c.first_name, "timezone": c.timezone,
            "consent": None if c.consent is None else bool(c.consent), "properties": json.loads(c.properties)})
    # The client's data (the shop's events and profiles, read above) would live in another process
    # beside a deployed runtime: frozen, Python's collector does not walk it during the decisions.
    gc.collect()
    gc.freeze()
    started = time.perf_counter()
    for i in range(0, len(rows), args.batch):
        batch = rows[i:i + args.batch]
        client.post("/events", json=[{"customer": e, "event": n, "time": t, "properties": json.loads(pr)}
                                     for e, n, t, pr in batch])
        client.post("/clock", json={"now": batch[-1][2]})
    end = rows[-1][2] + 1
    client.post("/clock", json={"now": end})
    seconds = time.perf_counter() - started
    messages = sum(1 for m in client.get("/messages", params={"status": "queued"}).json()["messages"])
    backtest = simulate(flow, shop, window=(rows[0][2], end), workers=1, save=False).sends
    times = sorted(runtime.decision_ms)
    p99 = times[int(0.99 * (len(times) - 1))] if times else 0.0
    waits = sorted(runtime.due_to_outbox_ms)
    p99_wait = waits[int(0.99 * (len(waits) - 1))] if waits else 0.0
    print(f"events {len(rows)}, {seconds:.1f} s, {len(rows) / seconds:.0f} events/s, decisions {len(times)}")
    print(f"messages {messages} (backtest {backtest}), p99 decision {p99:.1f} ms, "
          f"p99 due to outbox {p99_wait:.1f} ms")
    print(json.dumps({"events": len(rows), "seconds": round(seconds, 2),
                      "events_per_s": round(len(rows) / seconds, 1), "messages": messages,
                      "p99_decision_ms": round(p99, 2), "backtest_messages": backtest,
                      "p99_due_to_outbox_ms": round(p99_wait, 2)}))


if __name__ == "__main__":
    main()
