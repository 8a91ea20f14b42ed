"""Over-segmentation warnings after a run: thin steps, and splits whose branches differ only in a
send no one reached; counted by hand on tiny stores."""

from __future__ import annotations

from designer.engine.simulate import simulate
from tests.engine.tinystore import PLAIN, TinyStore, at, edge, flow, node


def _split_flow():
    return flow([node("t", "trigger", event="add_to_cart"),
                 node("s", "split", condition={"property": "vip", "op": "=", "value": True}),
                 node("m", "send_email", template="x", subject="VIP"),
                 node("d", "delay", duration="PT1H"),
                 node("e", "send_email", template="y", subject="All")],
                [edge("t", "s"), edge("s", "m", "yes"), edge("s", "d", "no"), edge("m", "d"), edge("d", "e")], PLAIN)


def _store(n: int, vips: int = 0) -> TinyStore:
    s = TinyStore()
    for k in range(n):
        s.customer(f"c{k}", vip=k < vips)
        s.event(f"c{k}", "add_to_cart", at(0, "10:00"))
    s.event("c0", "view", at(2))  # the window reaches past every send
    return s


def test_a_split_no_one_takes_the_send_of_is_named():
    result = simulate(_split_flow(), _store(60).engine, save=False)
    assert result.nodes["m"].entered == 0 and result.nodes["e"].messages == 60
    codes = {(w["node"], w["code"]) for w in result.warnings}
    assert ("s", "split_changes_nothing") in codes
    assert ("m", "few_reached") in codes  # 0 of 60
    assert ("e", "few_reached") not in codes and ("d", "few_reached") not in codes
    named = next(w for w in result.warnings if w["code"] == "split_changes_nothing")
    assert "differ only in m" in named["message"]


def test_a_split_both_ways_taken_is_quiet_and_thin_steps_follow_the_thresholds():
    result = simulate(_split_flow(), _store(120, vips=2).engine, save=False)
    codes = {(w["node"], w["code"]) for w in result.warnings}
    assert ("s", "split_changes_nothing") not in codes
    assert ("m", "few_reached") in codes  # 2 journeys: under 50
    assert not any(w["node"] in ("s", "d", "e") for w in result.warnings)


def test_a_run_too_small_to_judge_by_gets_no_advice():
    result = simulate(_split_flow(), _store(49).engine, save=False)
    assert result.nodes["m"].entered == 0
    assert not [w for w in result.warnings if w["code"] in ("few_reached", "split_changes_nothing")]
