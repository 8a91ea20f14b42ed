"""A flow that needs more time than the history holds says so: the run's warning and the lint."""

from __future__ import annotations

from pathlib import Path

from designer.engine.simulate import simulate
from designer.model import io
from designer.model.validate import validate

from .tinystore import PLAIN, TinyStore, at, edge, flow, node

FLOWS = Path(__file__).resolve().parents[2] / "flows"
EMAIL = {"template": "t", "subject": "s"}


def waiting_flow(delay="P3D", timeout="P1D", settings=None):
    # trigger -> delay -> wait_for(purchase, timeout) -> timeout: email / event: end
    return flow([node("t", "trigger", event="add_to_cart"), node("d", "delay", duration=delay),
                 node("w", "wait_for", event="purchase", timeout=timeout, end_ports=["event"]),
                 node("e", "send_email", **EMAIL)],
                [edge("t", "d"), edge("d", "w"), edge("w", "e", "timeout")], {**PLAIN, **(settings or {})})


def five_days():
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    s.event("z", "signup", at(5, "09:00"))  # the window: 5 days
    return s


def test_a_delay_longer_than_the_window_is_warned_on_its_node():
    r = simulate(waiting_flow(delay="P6D"), five_days().engine, save=False)
    assert (r.sends, r.in_progress) == (0, 1)
    assert [(w["node"], w["code"]) for w in r.warnings] == [("d", "unfinished")]
    assert "6 days" in r.warnings[0]["message"] and "5 days" in r.warnings[0]["message"]


def test_a_timeout_branch_past_the_window_is_warned_on_the_wait():
    # 3 days of delay + 3 days of timeout = 6 days > 5: the delay ends in time, the timeout cannot.
    r = simulate(waiting_flow(delay="P3D", timeout="P3D"), five_days().engine, save=False)
    assert [(w["node"], w["code"]) for w in r.warnings] == [("w", "unfinished")]


def test_a_flow_that_fits_the_window_has_no_warning():
    r = simulate(waiting_flow(delay="P3D", timeout="P1D"), five_days().engine, save=False)
    assert (r.sends, r.warnings) == (1, [])


def test_winback_on_a_shorter_history_warns_at_its_90_day_delay():
    s = five_days()
    s.event("a", "purchase", at(1, "09:00"), price=5)
    r = simulate(io.load(FLOWS / "winback.json"), s.engine, save=False)
    assert r.sends == 0 and [w["node"] for w in r.warnings] == ["n2"] and r.to_json()["warnings"] == r.warnings


def test_lint_warns_of_a_cooldown_shorter_than_the_longest_path():
    # Longest path: 3 days of delay + 2 days of timeout = 5 days; a 4-day cooldown is shorter.
    codes = {p.code: p for p in validate(waiting_flow(timeout="P2D", settings={
        "reentry": {"mode": "cooldown", "cooldown": "P4D"}}))}
    assert "cooldown-shorter-than-flow" in codes and codes["cooldown-shorter-than-flow"].path == "settings.reentry.cooldown"
    assert "5 d" in codes["cooldown-shorter-than-flow"].message
    long_enough = validate(waiting_flow(timeout="P2D", settings={"reentry": {"mode": "cooldown", "cooldown": "P5D"}}))
    assert "cooldown-shorter-than-flow" not in {p.code for p in long_enough}


def test_lint_accepts_an_overlap_the_flow_itself_ends():
    # A win-back restarts on every purchase on purpose: its split asks "bought since the flow started?",
    # so the earlier journey leaves when the next one starts.
    assert "cooldown-shorter-than-flow" not in {p.code for p in validate(io.load(FLOWS / "winback.json"))}
