"""Flows that used to pass validation and then crash (or crash validation itself).

Each case names where the problem is (JSON path, or line for a number the
JSON reader refuses) and nothing past the loader or the validator ever sees it.
"""

from __future__ import annotations

import json

import pytest

from designer.model import io
from designer.model.errors import FlowFormatError

from .hostile import at_path, check_accepted, dumps, outcome, sound_flow


def nested_not(levels: int) -> dict:
    tree: dict = {"event": "purchase"}
    for _ in range(levels):
        tree = {"not": tree}
    return tree


def test_the_sound_flow_is_accepted_and_simulates():
    kind, flow = outcome(dumps(sound_flow()))
    assert kind == "accepted", flow
    check_accepted(flow)


SPLIT = ["nodes", 2, "config", "condition"]


@pytest.mark.parametrize("path,value,where", [
    # Unhashable operators: `op not in OPERATORS` raised TypeError.
    (SPLIT, {"property": "tier", "op": []}, "nodes[2].config.condition.op"),
    (SPLIT, {"property": "tier", "op": {}}, "nodes[2].config.condition.op"),
    (SPLIT, {"event": "view", "count": {"[]": 1}}, 'nodes[2].config.condition.count["[]"]'),
    (["nodes", 0, "config", "where"], {"property": "p", "op": [], "value": 1}, "nodes[0].config.where.op"),
    # Durations past what a clock can hold.
    (["nodes", 1, "config", "duration"], "P99999999999999999999D", "nodes[1].config.duration"),
    (["nodes", 1, "config", "duration"], "P" + "9" * 400 + "D", "nodes[1].config.duration"),
    (["nodes", 1, "config", "duration"], "P36525DT1S", "nodes[1].config.duration"),
    (["nodes", 5, "config", "timeout"], "P99999999999999999999D", "nodes[5].config.timeout"),
    (SPLIT, {"event": "view", "since": "P99999999999999999999D"}, "nodes[2].config.condition.since"),
    # Nesting the engine would evaluate recursively (the loader refuses deeper than the file allows).
    (SPLIT, nested_not(40), "nodes[2].config.condition"),
])
def test_bad_config_is_a_problem_on_its_node_by_path(path, value, where):
    kind, problems = outcome(dumps(at_path(sound_flow(), path, value)))
    assert kind == "invalid", problems
    assert where in [p.path for p in problems], [(p.path, p.message) for p in problems]


@pytest.mark.parametrize("path,value,where", [
    (["settings", "exit_when"], {"property": "x", "op": []}, "settings.exit_when.op"),
    (["settings", "exit_when"], nested_not(600), "settings.exit_when"),
    (["settings", "smart_sending"], "P99999999999999999999D", "settings.smart_sending"),
    (["settings", "reentry", "cooldown"], "P" + "9" * 400 + "D", "settings.reentry.cooldown"),
    (["nodes", 3, "x"], 1e300, "nodes[3].x"),
    # Numbers too large for a flow (a float that is infinity, an integer past 64 bits).
    (SPLIT, {"property": "p", "op": "=", "value": 10**30}, "nodes[2].config.condition.value"),
    (SPLIT, {"property": "p", "op": "=", "value": 1e300}, "nodes[2].config.condition.value"),
    (["nodes", 4, "config", "set"], {"p": -1e300}, "nodes[4].config.set.p"),
    # A lone surrogate cannot be written as UTF-8: the flow hash and every save failed on it.
    (["name"], "Cart \ud800", "name"),
    (["nodes", 3, "config", "subject"], "Hi \udc00 there", "nodes[3].config.subject"),
    (["nodes", 2, "config", "condition"], {"property": "\ud800", "op": "is set"}, "nodes[2].config.condition.property"),
    (["edges", 6, "port"], "time\ud800out", "edges[6].port"),
    (["nodes", 4, "config", "set"], {"ok": "\udfff"}, "nodes[4].config.set.ok"),
    (["publish"], {"klaviyo": {"id": "\ud83d"}}, "publish.klaviyo.id"),
])
def test_unreadable_values_are_named_by_path(path, value, where):
    kind, error = outcome(dumps(at_path(sound_flow(), path, value)))
    assert kind == "unreadable" and error.path == where, (kind, error)


def test_surrogate_in_a_key_is_named():
    data = sound_flow()
    data["nodes"][4]["config"]["set"] = {"a\ud800": 1}
    kind, error = outcome(dumps(data))
    assert kind == "unreadable" and error.path.startswith("nodes[4].config.set[") and "surrogate" in error.message


def test_surrogate_in_a_flow_built_in_code_is_named():
    data = sound_flow()
    data["nodes"][3]["config"]["template"] = "\ud800"
    with pytest.raises(FlowFormatError) as caught:
        io.from_json(data)
    assert caught.value.path == "nodes[3].config.template"


@pytest.mark.parametrize("levels", [600, 1000, 5000])
def test_nesting_too_deep_for_the_reader_is_refused(levels):
    data = at_path(sound_flow(), SPLIT, "DEEP")
    text = json.dumps(data).replace('"DEEP"', '{"not": ' * levels + '{"event": "purchase"}' + "}" * levels)
    kind, result = outcome(text)
    assert kind in ("unreadable", "invalid"), result
    if kind == "invalid":
        assert "nodes[2].config.condition" in [p.path for p in result]
    else:
        assert result.path.startswith("nodes[2].config.condition") or result.path == "$", result


def test_a_5000_digit_number_is_refused_with_its_line():
    data = at_path(sound_flow(), SPLIT, {"property": "p", "op": "=", "value": "NUMBER"})
    text = json.dumps(data, indent=2).replace('"NUMBER"', "9" * 5000)
    kind, error = outcome(text)
    assert kind == "unreadable" and error.line == text[:text.index("9" * 50)].count("\n") + 1, error


def test_nan_and_infinity_are_refused():
    for word in ("NaN", "Infinity", "-Infinity"):
        text = json.dumps(at_path(sound_flow(), SPLIT, {"property": "p", "op": "=", "value": "X"}), indent=1)
        text = text.replace('"X"', word)
        kind, error = outcome(text)
        assert kind == "unreadable" and error.line == text[:text.index(word)].count("\n") + 1


def test_a_delay_of_100_years_is_the_most():
    from designer.model.kinds import check_config

    assert check_config("delay", {"duration": "P36525D"}) == []
    assert "100 years" in check_config("delay", {"duration": "P36526D"})[0][1]


def test_a_deep_config_set_from_code_is_a_problem_not_a_crash():
    from designer.model.flow import Node

    node = Node("n1", "split", config={"condition": nested_not(900)})
    assert node.typed is None and node.parsed.problems
    deep: list = []
    for _ in range(900):
        deep = [deep]
    node = Node("n2", "update_profile", config={"set": {"x": deep}})
    assert node.typed is None and "nested" in node.parsed.problems[0][1]
    node = Node("n3", "teleport", config={"x": deep})
    assert node.typed is None
