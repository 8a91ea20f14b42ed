"""The untraced run's shortcuts give what the traced run's general path gives.

A run without a trace takes shortcuts (a lone trigger event enters without the
re-entry and key rules, a journey that ends only closes its clock,
attribution skips a flow that sent the customer nothing); a traced run
(``trace_customer``) takes the general path for every step. So the figures
of one untraced run over all customers must equal the sum of one traced run
per customer, on cases chosen to meet each shortcut at its edges: a lone
trigger before, inside and exactly at either end of the window, several
triggers (re-entry and keys), purchases with and without a message, and
journeys still waiting when the window closes.
"""

from __future__ import annotations

from pathlib import Path

from designer.engine.simulate import simulate
from designer.model import io
from tests.engine.tinystore import TinyStore, at

FLOW = Path(__file__).resolve().parents[2] / "flows" / "abandoned_cart.json"
WINDOW = (at(1), at(12))


def _store() -> TinyStore:
    s = TinyStore()
    s.event("before", "add_to_cart", at(0, "10:00"), cart_id="a", price=20)  # lone, before the window
    s.event("inside", "add_to_cart", at(2, "10:00"), cart_id="b", price=150)  # lone: two sends
    s.event("at_start", "add_to_cart", WINDOW[0], cart_id="k", price=25)  # lone, at the window's start: in
    s.event("at_end", "add_to_cart", WINDOW[1], cart_id="c", price=30)  # lone, at the window's end: out
    s.event("late", "add_to_cart", at(11, "23:30"), cart_id="d", price=30)  # still waiting at the end
    s.event("bought", "add_to_cart", at(3, "09:00"), cart_id="e", price=40)  # buys before any message
    s.event("bought", "purchase", at(3, "09:20"), cart_id="e", price=40)
    s.event("converts", "add_to_cart", at(4, "12:00"), cart_id="f", price=60)  # buys after the reminder
    s.event("converts", "purchase", at(4, "18:00"), cart_id="f", price=60)
    for k, (day, cart) in enumerate([(5, "g"), (5, "g"), (6, "h"), (9, "i")]):  # re-entry and keys
        s.event("many", "add_to_cart", at(day, f"1{k}:00"), cart_id=cart, price=10 * (k + 1))
    s.event("many", "purchase", at(9, "12:30"), cart_id="i", price=40)
    s.customer("no_consent", consent=0)
    s.event("no_consent", "add_to_cart", at(2, "11:00"), cart_id="j", price=200)
    s.customer("silent")  # no events at all
    return s


def _figures(result) -> dict:
    data = result.to_json()
    for volatile in ("seconds", "trace", "customers_read", "events_read", "run_id", "warnings", "window"):
        data.pop(volatile, None)
    return data


def _add(total: dict, part: dict) -> dict:
    """Sum two figure trees (numbers add, dicts recurse, shares and other values are dropped)."""
    out = {}
    for key in set(total) | set(part):
        a, b = total.get(key), part.get(key)
        if isinstance(a, dict) or isinstance(b, dict):
            out[key] = _add(a or {}, b or {})
        elif isinstance(a, list) or isinstance(b, list):
            a, b = a or [0] * len(b), b or [0] * len(a)
            out[key] = [x + y for x, y in zip(a, b)] if all(isinstance(x, (int, float)) for x in a + b) else a
        elif isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or isinstance(b, str):
            out[key] = a if a is not None else b
        elif key.endswith(("_share", "_rate")):
            continue
        else:
            out[key] = round((a or 0) + (b or 0), 6)
    return out


def _numbers(tree: dict) -> dict:
    return _add(tree, {})


def test_untraced_run_equals_the_sum_of_traced_runs() -> None:
    s = _store()
    flow = io.load(FLOW)
    whole = _numbers(_figures(simulate(flow, s.engine, window=WINDOW, save=False)))
    summed: dict = {}
    for external_id in s.ids:
        part = simulate(flow, s.engine, window=WINDOW, save=False, trace_customer=external_id)
        summed = _add(summed, _figures(part))
    assert whole == summed
    # The cases meet what they are meant to: entries refused, a journey in progress, a conversion.
    assert whole["entered"] >= 6 and whole["conversions"] >= 1 and whole["bought_before_message"] >= 1
    assert sum(whole["not_entered"].values()) >= 1
    assert sum(n["in_progress"] for n in whole["nodes"].values()) >= 1
