"""The runtime's API: auth, event checks, flow checks, pause/resume, redeploys, errors as JSON."""

from __future__ import annotations

import copy
import json
from pathlib import Path


FLOW = json.loads((Path(__file__).resolve().parents[2] / "flows" / "abandoned_cart.json").read_text())
HOUR = 3_600_000
T0 = 1_767_607_200_000  # 2026-01-05 10:00 UTC, a Monday morning outside the flow's quiet hours


def _shopper(client, name: str, at: int, cart: str = "c1", price: float = 150) -> None:
    assert client.put(f"/customers/{name}", json={"email": f"{name}@example.com", "consent": True,
                                                   "properties": {"consent": True}}).status_code == 200
    r = client.post("/events", json={"customer": name, "event": "add_to_cart", "time": at,
                                     "properties": {"cart_id": cart, "price": price}})
    assert r.status_code == 202 and r.json()["accepted"] == 1


def test_every_call_needs_the_token_when_one_is_set(make_client):
    client = make_client(token="s3cret")
    assert client.get("/flows").status_code == 200
    client.headers.pop("Authorization")
    r = client.get("/flows")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = client.post("/events", json=[], headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401


def test_bad_events_are_rejected_by_index_and_the_good_ones_kept(make_client):
    client = make_client()
    r = client.post("/events", json=[
        {"customer": "a", "event": "view", "time": T0},
        {"customer": "a", "event": "view"},
        {"customer": "", "event": "view", "time": T0},
        {"customer": "b", "event": "purchase", "time": "2026-01-05T10:00:00Z", "properties": {"price": 3}},
        {"customer": "b", "event": "purchase", "time": "not a time"},
        {"customer": "a", "event": "view", "time": T0},
        "nonsense",
    ])
    assert r.status_code == 202
    body = r.json()
    assert body["accepted"] == 2 and body["duplicates"] == 1
    assert [x["index"] for x in body["rejected"]] == [1, 2, 4, 6]
    assert body["rejected"][0]["reason"].startswith("time:")
    assert body["rejected"][1]["reason"].startswith("customer:")
    again = client.post("/events", json={"customer": "a", "event": "VIEW", "time": T0}).json()
    assert again == {"accepted": 0, "duplicates": 1, "rejected": []}  # canonical name, same dedupe key


def test_a_flow_with_errors_is_refused_node_by_node(make_client):
    client = make_client()
    broken = copy.deepcopy(FLOW)
    broken["nodes"][1]["config"] = {"duration": "soon"}
    r = client.put(f"/flows/{FLOW['id']}", json=broken)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "flow_errors" and any(p["node"] == "n2" for p in err["problems"])
    assert client.get(f"/flows/{FLOW['id']}").status_code == 404
    r = client.put("/flows/x", json={"not": "a flow"})
    assert r.status_code == 422 and "error" in r.json()
    r = client.post("/clock", json={})
    assert r.status_code == 422 and r.json()["error"]["field"] == "now"


def test_pause_records_skips_and_resume_sends_again(make_client):
    client = make_client()
    client.post("/clock", json={"now": T0 - HOUR})
    assert client.put(f"/flows/{FLOW['id']}", json=FLOW).json()["version"] == 1
    _shopper(client, "ann", T0)
    assert client.post(f"/flows/{FLOW['id']}/pause").json()["paused"] is True
    client.post("/clock", json={"now": T0 + 2 * HOUR})
    (first,) = client.get("/messages", params={"customer": "ann"}).json()["messages"]
    assert (first["node"], first["status"], first["reason"]) == ("n5", "skipped", "flow paused")
    client.post(f"/flows/{FLOW['id']}/resume")
    client.post("/clock", json={"now": T0 + 30 * HOUR})
    msgs = client.get("/messages", params={"customer": "ann"}).json()["messages"]
    assert [(m["node"], m["status"], m["time_ms"]) for m in msgs] == [
        ("n5", "skipped", T0 + HOUR), ("n10", "queued", T0 + 25 * HOUR)]


def test_a_redeploy_keeps_waiting_journeys_on_their_version(make_client):
    client = make_client()
    client.post("/clock", json={"now": T0 - HOUR})
    client.put(f"/flows/{FLOW['id']}", json=FLOW)
    _shopper(client, "ann", T0)
    client.post("/clock", json={"now": T0 + HOUR // 2})  # ann waits in the first delay
    changed = copy.deepcopy(FLOW)
    changed["nodes"][4]["config"]["subject"] = "Version two"
    assert client.put(f"/flows/{FLOW['id']}", json=changed).json() == {"id": FLOW["id"], "version": 2,
                                                                      "changed": True}
    assert client.put(f"/flows/{FLOW['id']}", json=changed).json()["changed"] is False
    _shopper(client, "bob", T0 + HOUR)
    client.post("/clock", json={"now": T0 + 3 * HOUR})
    msgs = {m["customer"]: m for m in client.get("/messages", params={"status": "queued"}).json()["messages"]}
    assert msgs["ann"]["flow_version"] == 1 and msgs["ann"]["subject"] != "Version two"
    assert msgs["ann"]["time_ms"] == T0 + HOUR
    assert msgs["bob"]["flow_version"] == 2 and msgs["bob"]["subject"] == "Version two"
    assert msgs["bob"]["time_ms"] == T0 + 2 * HOUR
    trace = client.get("/customers/ann/journeys").json()["trace"]
    assert trace[0]["what"] == "entered" and {s["flow_version"] for s in trace} == {1}


def test_metrics_and_health(make_client):
    client = make_client()
    client.put(f"/flows/{FLOW['id']}", json=FLOW)
    _shopper(client, "ann", T0)
    client.post("/clock", json={"now": T0 + 2 * HOUR})
    text = client.get("/metrics").text
    assert "flow_runtime_events_ingested_total 1" in text
    assert 'flow_runtime_messages{status="queued"} 1' in text
    assert client.get("/health").json()["status"] == "ok"
    r = client.post("/clock", json={"now": T0})
    assert r.status_code == 422 and r.json()["error"]["code"] == "clock_backwards"


def test_messages_give_iso_times_with_epoch_ms_beside(make_client):
    from datetime import datetime, timezone

    client = make_client()
    client.post("/clock", json={"now": T0 - HOUR})
    client.put(f"/flows/{FLOW['id']}", json=FLOW)
    _shopper(client, "ann", T0 + 1234)  # a time with milliseconds
    _shopper(client, "bob", T0 + 3 * HOUR)
    client.post("/clock", json={"now": T0 + 5 * HOUR})
    msgs = client.get("/messages").json()["messages"]
    assert [m["time"] for m in msgs] == ["2026-01-05T11:00:01.234Z", "2026-01-05T14:00:00Z"]
    for m in msgs:
        parsed = datetime.fromisoformat(m["time"].replace("Z", "+00:00"))
        assert parsed.tzinfo is not None and round(parsed.timestamp() * 1000) == m["time_ms"]
    later = client.get("/messages", params={"since": "2026-01-05T12:00:00Z"}).json()["messages"]
    assert [m["customer"] for m in later] == ["bob"]
    assert client.get("/messages", params={"since": str(T0 + 2 * HOUR)}).json()["messages"] == later


def test_live_figures_agree_with_the_outbox(make_client):
    client = make_client()
    client.post("/clock", json={"now": T0 - HOUR})
    client.put(f"/flows/{FLOW['id']}", json=FLOW)
    for i in range(4):
        _shopper(client, f"s{i}", T0 + i * HOUR)
    client.post("/clock", json={"now": T0 + 3 * HOUR + 1})
    body = client.get(f"/flows/{FLOW['id']}/figures").json()
    assert body["version"] == 1 and body["now"] == T0 + 3 * HOUR + 1
    sent = [m for m in client.get("/messages").json()["messages"] if m["status"] == "queued"]
    assert len(sent) == 3  # s0, s1, s2: s3's reminder is due at T0 + 4h
    assert body["outbox"] == {"n5": {"queued": 3}}
    figures = body["figures"]
    assert figures["nodes"]["n5"]["messages"] == len(sent) and figures["nodes"]["n1"]["entered"] == 4
    assert figures["nodes"]["n2"]["in_progress"] == 1  # s3 in the first hour's wait
    assert figures["nodes"]["n6"]["in_progress"] == 3 and figures["in_progress"] == 4  # the others in the next
    r = client.get("/flows/nope/figures")
    assert r.status_code == 404 and r.json()["error"]["field"] == "id"


def test_only_events_that_can_decide_something_wake_a_customer(make_client):
    client = make_client()
    client.post("/clock", json={"now": T0 - HOUR})
    client.put(f"/flows/{FLOW['id']}", json=FLOW)
    waiting = lambda: int(next(line.split()[-1] for line in client.get("/metrics").text.splitlines()  # noqa: E731
                               if line.startswith("flow_runtime_customers_waiting ")))
    client.post("/events", json={"customer": "vic", "event": "view", "time": T0, "properties": {}})
    assert waiting() == 0  # no journey, and a view starts none: nothing to look at
    client.post("/events", json={"customer": "vic", "event": "add_to_cart", "time": T0 + 60_000,
                                 "properties": {"cart_id": "c9", "price": 150}})
    assert waiting() == 1  # the cart starts a journey at T0 + 1 min
    client.post("/clock", json={"now": T0 + 2 * 60_000})
    assert waiting() == 1  # in the flow's first wait
    client.post("/events", json={"customer": "vic", "event": "purchase", "time": T0 + 30 * 60_000,
                                 "properties": {"cart_id": "c9", "price": 150}})
    client.post("/clock", json={"now": T0 + 3 * HOUR})
    assert client.get("/messages").json()["messages"] == []  # the purchase of a waiting customer counted
    client.post("/events", json={"customer": "wes", "event": "view", "time": T0, "properties": {}})
    assert "flow_runtime_late_events_total 1" in client.get("/metrics").text  # a late one is replayed, counted


def test_an_erased_customer_stays_erased_in_the_runtime(tmp_path):
    """forget is final here too: the runtime refuses the erased id's events (by index, the others in
    the batch kept) and its profile, and creates no customer row for it."""
    from fastapi.testclient import TestClient
    from sqlalchemy import func, select

    from designer.runtime.app import create_app
    from designer.runtime.runtime import Runtime
    from designer.store.privacy import forget
    from designer.store.schema import customers

    runtime = Runtime(tmp_path / "runtime.db", clock="manual")
    try:
        client = TestClient(create_app(runtime, ""))
        _shopper(client, "ana", T0)
        forget(runtime.engine, "ana")
        r = client.post("/events", json=[
            {"customer": "bo", "event": "view", "time": T0 + 1},
            {"customer": "ana", "event": "add_to_cart", "time": T0 + 2, "properties": {"cart_id": "c9"}},
        ])
        assert r.status_code == 202
        body = r.json()
        assert body["accepted"] == 1
        assert [x["index"] for x in body["rejected"]] == [1] and "erased" in body["rejected"][0]["reason"]
        put = client.put("/customers/ana", json={"email": "ana@example.com"})
        assert put.status_code == 422 and put.json()["error"]["field"] == "id"
        with runtime.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(customers)
                                .where(customers.c.external_id == "ana")).scalar() == 0
    finally:
        runtime.engine.dispose()


def test_a_flow_that_tests_a_score_is_refused_by_the_runtime_and_its_publish_report(make_client):
    """The backtest's scores come from monthly models the runtime does not have: deploying such a flow
    would run a different flow than the one backtested, so it is refused naming the node and path."""
    from designer.model import io
    from designer.publish.runtime_client import runtime_report

    client = make_client()
    scored = copy.deepcopy(FLOW)
    split = next(n for n in scored["nodes"] if n["kind"] == "split")
    split["config"]["condition"] = {"all": [split["config"]["condition"],
                                            {"property": "purchase_score", "op": ">=", "value": 0.6}]}
    r = client.put(f"/flows/{FLOW['id']}", json=scored)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "unsupported"
    (problem,) = err["problems"]
    index = scored["nodes"].index(split)
    assert problem["node"] == split["id"] and problem["path"] == f"nodes[{index}].config.condition.all[1]"
    assert "purchase_score" in problem["message"]
    assert client.get(f"/flows/{FLOW['id']}").status_code == 404
    report = runtime_report(io.from_json(scored))
    assert [(g.node, g.path) for g in report.errors] == [(split["id"], problem["path"])]
    assert client.put(f"/flows/{FLOW['id']}", json=FLOW).status_code == 200


def test_events_ahead_of_the_clock_count_for_a_flow_deployed_before_the_clock_reaches_them(make_client):
    client = make_client()
    client.post("/clock", json={"now": T0 - HOUR})
    _shopper(client, "ann", T0)  # stored while no flow reads carts: nobody is woken for it
    client.put(f"/flows/{FLOW['id']}", json=FLOW)  # deployed before the clock reaches ann's cart
    client.post("/clock", json={"now": T0 + 2 * HOUR})
    msgs = client.get("/messages", params={"customer": "ann"}).json()["messages"]
    assert [(m["node"], m["status"], m["time_ms"]) for m in msgs] == [("n5", "queued", T0 + HOUR)]


def test_an_event_no_flow_reads_does_not_wake_a_waiting_customer(tmp_path):
    """A replay reads only the events some flow reads, so a view (the cart flow reads carts and
    purchases) leaves a waiting customer's next look where it was; a purchase moves it to itself."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from designer.runtime import tables
    from designer.runtime.app import create_app
    from designer.runtime.runtime import Runtime

    runtime = Runtime(tmp_path / "runtime.db", clock="manual")
    try:
        client = TestClient(create_app(runtime, ""))
        client.post("/clock", json={"now": T0 - HOUR})
        client.put(f"/flows/{FLOW['id']}", json=FLOW)
        _shopper(client, "ann", T0)
        client.post("/clock", json={"now": T0 + 60_000})  # ann waits in the first delay

        def next_look() -> int:
            with runtime.engine.connect() as conn:
                return conn.execute(select(tables.wakeups.c.wake_at)).scalar_one()

        assert next_look() == T0 + HOUR
        client.post("/events", json={"customer": "ann", "event": "view", "time": T0 + 2 * 60_000})
        assert next_look() == T0 + HOUR
        client.post("/events", json={"customer": "ann", "event": "purchase", "time": T0 + 3 * 60_000,
                                     "properties": {"cart_id": "c1", "price": 150}})
        assert next_look() == T0 + 3 * 60_000
    finally:
        runtime.engine.dispose()
