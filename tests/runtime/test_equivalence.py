"""The runtime decides what the backtest decides: a store's history replayed through the API
in time order with the manual clock gives exactly simulate's messages and skips."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import select

from designer.engine.simulate import simulate_together
from designer.model import documents, io
from designer.store import sample
from designer.store.db import open_store
from designer.store.schema import customers, events

BATCH = 250


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    path = tmp_path_factory.mktemp("equivalence") / "shop.db"
    sample.generate(path, customers=120, days=20, seed=11)
    engine = open_store(path)
    with engine.connect() as conn:
        people = conn.execute(select(customers)).all()
        rows = conn.execute(select(customers.c.external_id, events.c.name, events.c.time, events.c.properties)
                            .join(customers, customers.c.id == events.c.customer_id)
                            .order_by(events.c.time, events.c.id)).all()
    yield engine, people, rows
    engine.dispose()


def test_replay_through_the_api_gives_the_backtests_messages(history, make_client):
    engine, people, rows = history
    flows = [io.load(p) for p in documents.flow_files("flows")]
    client = make_client()
    for f in flows:
        assert client.put(f"/flows/{f.id}", json=io.to_json(f)).status_code == 200
    for p in people:
        body = {"email": p.email, "first_name": p.first_name, "timezone": p.timezone,
                "consent": None if p.consent is None else bool(p.consent), "properties": json.loads(p.properties)}
        assert client.put(f"/customers/{p.external_id}", json=body).status_code == 200
    for i in range(0, len(rows), BATCH):
        batch = rows[i:i + BATCH]
        r = client.post("/events", json=[{"customer": c, "event": n, "time": t, "properties": json.loads(pr)}
                                         for c, n, t, pr in batch])
        assert r.status_code == 202 and r.json()["rejected"] == []
        assert client.post("/clock", json={"now": batch[-1][2]}).status_code == 200
    end = rows[-1][2] + 1
    assert client.post("/clock", json={"now": end}).status_code == 200

    results = simulate_together(flows, engine, window=(rows[0][2], end), workers=1, save=False)
    messages = client.get("/messages").json()["messages"]
    sent = [m for m in messages if m["status"] == "queued"]
    by_flow = Counter(m["flow"] for m in sent)
    assert sum(r.sends for r in results) > 20  # the sample gives the flows something to do
    for f, r in zip(flows, results):
        assert by_flow[f.id] == r.sends + r.messages_by_channel.get("webhook", 0), f.id  # webhook calls too
        skipped = sum(1 for m in messages if m["status"] == "skipped" and m["flow"] == f.id)
        assert skipped == sum(sum(n.skipped.values()) for n in r.nodes.values()), f.id

    # The (customer, node, time) of every message, against each customer's own backtest trace.
    expected = set()
    for external_id in sorted({c for c, *_ in rows}):
        trace = simulate_together(flows, engine, window=(rows[0][2], end), trace_customer=external_id,
                                  workers=1, save=False)[0].trace
        expected |= {(external_id, s.node, s.time, s.what) for s in trace if s.what in ("sent", "skipped")}
    got = {(m["customer"], m["node"], m["time_ms"], "sent" if m["status"] == "queued" else "skipped")
           for m in messages}
    assert got == expected
