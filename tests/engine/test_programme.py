"""Flows backtested together as a programme: with no shared customers and no cap it equals each
flow alone; a cap is never exceeded across flows (hypothesis, checked on every customer's trace);
priority decides simultaneous sends; partitions and the CLI give the same programme figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.engine.programme import ProgrammeFigures
from designer.engine.simulate import simulate, simulate_together
from designer.model import documents, io
from designer.model.programme import Cap, Programme, ProgrammeError, load, parse, parse_cap
from designer.store.sample import generate
from tests.engine.tinystore import DAY, HOUR, PLAIN, TinyStore, at, edge, flow, node

ROOT = Path(__file__).resolve().parents[2]
FLOWS = [io.load(p) for p in documents.flow_files(ROOT / "flows")]
MARKETING = {"email", "sms"}


def _plain(result) -> dict:
    data = result.to_json()
    for k in ("seconds", "run_id", "programme"):
        data.pop(k, None)
    return data


def _two_flows(delay: str = "PT1H"):
    a = flow([node("t", "trigger", event="add_to_cart"), node("d", "delay", duration=delay),
              node("m", "send_email", template="x", subject="A")],
             [edge("t", "d"), edge("d", "m")], PLAIN, flow_id="a")
    b = flow([node("t", "trigger", event="signup"), node("d", "delay", duration=delay),
              node("m", "send_email", template="x", subject="B")],
             [edge("t", "d"), edge("d", "m")], PLAIN, flow_id="b")
    return a, b


def test_without_shared_customers_or_cap_the_programme_equals_each_flow_alone():
    s = TinyStore()
    for k in range(6):
        s.event(f"cart{k}", "add_to_cart", at(k, "10:00"))
        s.event(f"new{k}", "signup", at(k, "11:00"))
    a, b = _two_flows()
    together = simulate_together([a, b], s.engine, save=False, programme=Programme())
    alone = [simulate(f, s.engine, save=False) for f in (a, b)]
    reading = ("customers_read", "events_read")  # one read serves both flows together
    assert [{k: v for k, v in _plain(r).items() if k not in reading} for r in together] == \
        [{k: v for k, v in _plain(r).items() if k not in reading} for r in alone]
    p = together[0].programme
    assert p is together[1].programme and p.customers_in_several_flows == 0 and not p.collisions


def test_priority_decides_who_sends_when_two_flows_would_at_once():
    s = TinyStore()
    s.event("ann", "add_to_cart", at(0, "10:00"))
    s.event("ann", "signup", at(0, "10:00"))
    s.event("ann", "view", at(2))  # the history (and so the window) goes on past the sends
    a, b = _two_flows()
    for priority, winner in ((("a", "b"), "a"), (("b", "a"), "b")):
        rs = simulate_together([a, b], s.engine, save=False, programme=Programme(Cap(1, "P7D"), priority))
        sent = {r.flow_id: r.sends for r in rs}
        assert sent == {winner: 1, ("b" if winner == "a" else "a"): 0}, priority
        loser = rs[1] if winner == "a" else rs[0]
        assert loser.nodes["m"].skipped == {"frequency_cap": 1}
        blocked = loser.programme.suppressed
        assert blocked == {(loser.flow_id, winner, "frequency_cap"): 1}
        assert [r.flow_id for r in rs] == ["a", "b"]  # results stay in the order given


def test_collisions_and_overlap_are_counted_per_customer():
    figures = ProgrammeFigures(["a", "b"], None, 24 * HOUR)
    figures.add_customer({0: [(at(0, "10:00"), "m")], 1: [(at(0, "20:00"), "m"), (at(3), "m")]},
                         [(0, at(0), at(1)), (1, at(0, "12:00"), at(4))])
    assert figures.collisions == {("a", "b"): 1}
    assert figures.customers_in_several_flows == 1
    assert figures.max_in_cap_window == 3 and figures.messages_per_week == {3: 1}


events = st.lists(st.tuples(st.sampled_from(["add_to_cart", "signup", "view", "purchase"]),
                            st.integers(0, 40 * 24), st.integers(10, 200)), min_size=1, max_size=14)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, min_size=1, max_size=3), st.sampled_from([1, 2]))
def test_a_cap_is_never_exceeded_across_flows(people, n):
    s = TinyStore()
    for k, history in enumerate(people):
        s.customer(f"p{k}", consent=1, loyalty_tier="gold" if k % 2 else None)
        for name, hour, price in sorted(history, key=lambda e: e[1]):
            s.event(f"p{k}", name, at(0) + hour * HOUR, cart_id=f"c{hour}", price=price)
    programme = Programme(Cap(n, "P7D"))
    rs = simulate_together(FLOWS, s.engine, save=False, programme=programme)
    assert rs[0].programme.max_in_cap_window <= n
    for k in range(len(people)):
        traced = simulate_together(FLOWS, s.engine, save=False, programme=programme, trace_customer=f"p{k}")
        sent = sorted(step.time for step in traced[0].trace or [] if step.what == "sent"
                      and step.detail.split(" ")[0] in MARKETING)
        for i, t in enumerate(sent):
            assert sum(1 for u in sent[i:] if u - t < 7 * DAY) <= n, (k, sent)


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    db = tmp_path_factory.mktemp("programme") / "shop.db"
    generate(db, customers=400, days=40, seed=13)
    return db


def test_partitions_give_the_same_programme_figures(shop):
    programme = Programme(Cap(2, "P7D"))
    one = simulate_together(FLOWS, shop, save=False, workers=1, programme=programme)
    two = simulate_together(FLOWS, shop, save=False, workers=2, programme=programme)
    assert [_plain(r) for r in one] == [_plain(r) for r in two]
    assert one[0].programme.to_json() == two[0].programme.to_json()
    assert one[0].programme.max_in_cap_window == 2 and one[0].programme.customers_in_several_flows > 0


def test_cli_programme_with_a_cap(shop):
    run = subprocess.run([sys.executable, str(ROOT / "main.py"), "simulate", *map(str, sorted((ROOT / "flows").glob("*.json"))),
                          "--db", str(shop), "--cap", "2/P7D", "--json", "--no-save"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout.splitlines()[-1])
    assert len(data["flows"]) == 5
    p = data["programme"]
    assert p["cap"] == {"messages": 2, "window_ms": 7 * DAY} and p["max_messages_in_cap_window"] <= 2
    assert all(int(k) <= 2 for k in p["messages_per_customer_week"])
    text = subprocess.run([sys.executable, str(ROOT / "main.py"), "simulate", str(ROOT / "flows" / "programme.json"),
                           "--db", str(shop), "--no-save"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert text.returncode == 0 and "5 flows together (cap 3 per 7 d)" in text.stdout
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "simulate", str(ROOT / "flows" / "winback.json"),
                          str(ROOT / "flows" / "welcome_series.json"), "--db", str(shop), "--cap", "often"],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert bad.returncode == 2 and "is not a cap" in bad.stderr and "Traceback" not in bad.stderr


def test_the_shipped_programme_file_reads_and_names_its_mistakes(tmp_path):
    p = load(ROOT / "flows" / "programme.json")
    assert p.cap == Cap(3, "P7D") and p.priority[0] == "abandoned-cart"
    assert all(path.exists() for path in p.flow_paths())
    with pytest.raises(ProgrammeError, match="cap"):
        parse({"format": "trigger-flow-programme", "version": 1, "cap": {"messages": "three", "window": "P7D"}})
    with pytest.raises(ProgrammeError, match="unknown key 'caps'"):
        parse({"format": "trigger-flow-programme", "version": 1, "caps": {}})
    with pytest.raises(ProgrammeError):
        parse_cap("0/P7D")
