"""A run's full figures on a fixed sample shop stay exactly what they were.

The engine is tuned for speed often; every tuning must leave results alone.
``golden_runs.json`` holds the ``to_json()`` of runs over a generated sample
shop (fixed seed, so the same rows every time): each example flow, all of them
together (shared smart sending), flows that read event properties in every
place a flow can (trigger filter and key, wait_for and event-test filters,
trigger-property tests, derived facts, conversion value), and traced
customers. Regenerate it only for an intended change of semantics:
``python -m tests.engine.test_golden --write``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from designer.engine import simulate as sim
from designer.model import io
from designer.store.sample import generate
from tests.engine.tinystore import edge, flow, node

FLOWS = Path(__file__).resolve().parents[2] / "flows"
GOLDEN = Path(__file__).with_name("golden_runs.json")
EXAMPLES = ("abandoned_cart", "browse_abandonment", "post_purchase", "welcome_series", "winback")
TRACED = ("c000007", "c000042", "c000113")


def filtered_flow():
    """Reads properties everywhere: trigger where + key, wait_for where, event tests with where
    and a lookback, a trigger-property test, a fact, a profile property, an A/B split, a local-time delay."""
    return flow(
        [node("t", "trigger", event="add_to_cart", key="cart_id",
              where={"all": [{"property": "price", "op": ">", "value": 20},
                             {"property": "category", "op": "!=", "value": "toys"}]}),
         node("w", "wait_for", event="checkout_started", timeout="PT6H",
              where={"property": "items", "op": ">=", "value": 1}),
         node("s1", "split", condition={"any": [
             {"event": "view", "since": "P2D", "count": {">=": 3}, "where": {"property": "price", "op": "<", "value": 50}},
             {"trigger": "category", "op": "in", "value": ["shoes", "books"]}]}),
         node("s2", "split", condition={"all": [{"property": "order_count", "op": ">=", "value": 1},
                                               {"property": "loyalty_tier", "op": "is set"}]}),
         node("ab", "ab_split", variants=[{"name": "a", "percent": 50}, {"name": "b", "percent": 50}]),
         node("d", "delay", duration="PT2H", until={"time": "10:00", "weekdays": ["mon", "wed", "fri"]}),
         node("e1", "send_email", template="x", subject="x"),
         node("e2", "send_sms", body="x"),
         node("u", "update_profile", set={"vip": True}, add_to_list="Cart watchers"),
         node("h", "webhook", url="https://example.com/hook"),
         node("x", "exit")],
        [edge("t", "w"), edge("w", "s1", "event"), edge("w", "s2", "timeout"),
         edge("s1", "ab", "yes"), edge("s1", "x", "no"), edge("s2", "u", "yes"), edge("s2", "d", "no"),
         edge("ab", "e1", "a"), edge("ab", "e2", "b"), edge("d", "e1"), edge("u", "h")],
        {"reentry": {"mode": "always"}, "smart_sending": "PT4H", "quiet_hours": {"start": "22:00", "end": "07:30"},
         "conversion": {"event": "purchase", "value": "price", "window": "P3D"},
         "consent": {"property": "consent"}, "timezone": "Europe/Paris",
         "exit_when": {"event": "purchase", "since": "flow_start", "where": {"property": "price", "op": ">", "value": 30}}},
        flow_id="filtered")


def pushdown_flow():
    """A trigger filter the reader can push into SQL, and re-entry 'never'."""
    return flow(
        [node("t", "trigger", event="email_click", where={"property": "campaign_id", "op": "=", "value": "cmp-004"}),
         node("d", "delay", duration="PT30M"),
         node("s", "split", condition={"event": "add_to_cart", "since": "ever", "count": {">=": 1}}),
         node("e", "send_email", template="x", subject="x"), node("x", "exit")],
        [edge("t", "d"), edge("d", "s"), edge("s", "e", "no"), edge("s", "x", "yes")],
        {"reentry": {"mode": "never"}, "conversion": {"event": "purchase", "window": "P2D"}},
        flow_id="pushdown")


def comparable(result) -> dict:
    """The figures (advisory warnings drawn from them have tests of their own)."""
    data = result.to_json()
    for key in ("seconds", "run_id", "warnings"):
        data.pop(key, None)
    return data


def compute(db) -> dict:
    flows = {name: io.load(FLOWS / f"{name}.json") for name in EXAMPLES}
    flows["filtered"] = filtered_flow()
    flows["pushdown"] = pushdown_flow()
    out = {name: comparable(sim.simulate(f, db, workers=1, save=False)) for name, f in flows.items()}
    together = sim.simulate_together(list(flows.values()), db, workers=1, save=False)
    out["together"] = [comparable(r) for r in together]
    for name in ("abandoned_cart", "filtered"):
        for customer in TRACED:
            out[f"trace {name} {customer}"] = comparable(
                sim.simulate(flows[name], db, trace_customer=customer, save=False))
    return json.loads(json.dumps(out))  # tuples to lists, as in the stored file


def make_shop(path: Path) -> Path:
    generate(path, customers=500, days=60, seed=3)
    return path


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    return make_shop(tmp_path_factory.mktemp("golden") / "shop.db")


def test_results_match_the_stored_golden_runs(shop):
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = compute(shop)
    assert actual.keys() == golden.keys()
    for key in golden:
        assert actual[key] == golden[key], key


def test_golden_runs_are_not_trivial():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for name in (*EXAMPLES, "filtered", "pushdown"):
        assert golden[name]["entered"] > 0, name
    assert golden["filtered"]["sends"] > 0 and golden["abandoned_cart"]["conversions"] > 0
    assert any(golden[f"trace abandoned_cart {c}"].get("trace") for c in TRACED)


if __name__ == "__main__" and "--write" in sys.argv:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        data = compute(make_shop(Path(tmp) / "shop.db"))
    GOLDEN.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
