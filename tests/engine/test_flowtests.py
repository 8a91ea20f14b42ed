"""Flow unit tests: every expectation kind passes when true and fails when false, the shipped
test files pass, and the ``test`` command's exit codes and messages."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from designer.engine.flowtests import run_case, run_tests
from designer.model import io, testfile

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"
CART = io.load(FLOWS / "abandoned_cart.json")

BO = {
    "name": "no purchase",
    "customer": {"id": "bo", "consent": True},
    "events": [{"at": "2025-03-03T10:00:00Z", "event": "add_to_cart", "properties": {"cart_id": "c2", "price": 30}}],
    "until": "2025-03-05T00:00:00Z",
}


def case(expect, **over) -> testfile.TestCase:
    data = {**copy.deepcopy(BO), "expect": expect, **over}
    return testfile.TestCase.model_validate(data)


@pytest.mark.parametrize("expect", [
    {"messages": [{"node": "n5", "at": "2025-03-03T11:00:00Z"}, {"node": "n11", "at": "2025-03-04T11:00:00Z"}]},
    {"messages": [{"node": "n5", "at": "2025-03-03T11:00:00+00:00", "subject_contains": "left something"},
                  {"node": "n11", "at": "2025-03-04T12:00:00+01:00"}]},
    {"no_messages_from": ["n10"]},
    {"visits": ["n1", "n2", "n3", "n5", "n6", "n7", "n9", "n11"]},
    {"ends_at": "n11"},
    {"skipped": []},
])
def test_a_true_expectation_passes(expect):
    result = run_case(CART, case(expect))
    assert result.passed, result.failures


@pytest.mark.parametrize("expect, words", [
    ({"messages": [{"node": "n5", "at": "2025-03-03T12:00:00Z"}]}, "messages: expected [n5 at 2025-03-03 12:00:00Z]"),
    ({"messages": [{"node": "n5", "at": "2025-03-03T11:00:00Z", "subject_contains": "offer"},
                   {"node": "n11", "at": "2025-03-04T11:00:00Z"}]}, "does not contain 'offer'"),
    ({"no_messages_from": ["n11"]}, "no messages from n11 expected, got 1 (2025-03-04 11:00:00Z)"),
    ({"visits": ["n1", "n2", "n3", "n4"]}, "visits: expected n1 -> n2 -> n3 -> n4, got n1 -> n2 -> n3 -> n5"),
    ({"ends_at": "exit_condition"}, "ends at: expected exit_condition, got n11"),
    ({"skipped": [{"node": "n5", "reason": "no_consent"}]}, "skipped: expected [n5 no_consent], got none"),
    ({"visits": ["n1"], "journey": 2}, "journey 2 expected, but the customer had 1"),
])
def test_a_false_expectation_fails_and_says_what_differs(expect, words):
    result = run_case(CART, case(expect))
    assert not result.passed
    assert any(words in f for f in result.failures), result.failures
    assert result.journeys["bo"][0].visits[:3] == ["n1", "n2", "n3"]  # the actual journey is kept for the report


def test_skips_are_read_by_reason():
    no_consent = case({"skipped": [{"node": "n5", "reason": "no_consent"}, {"node": "n11", "reason": "no_consent"}],
                       "messages": []}, customer={"id": "bo", "consent": False})
    assert run_case(CART, no_consent).passed


def test_smart_sending_across_two_customers_of_one_case_is_per_customer():
    data = {
        "name": "two shoppers", "customers": [{"id": "a", "consent": True}, {"id": "b", "consent": True}],
        "events": [{"customer": "a", "at": "2025-03-03T10:00:00Z", "event": "add_to_cart", "properties": {"cart_id": "x"}},
                   {"customer": "b", "at": "2025-03-03T10:00:00Z", "event": "add_to_cart", "properties": {"cart_id": "y"}}],
        "until": "2025-03-03T12:00:00Z",
        "expect": [{"customer": "a", "messages": [{"node": "n5", "at": "2025-03-03T11:00:00Z"}]},
                   {"customer": "b", "messages": [{"node": "n5", "at": "2025-03-03T11:00:00Z"}]}],
    }
    result = run_case(CART, testfile.TestCase.model_validate(data))
    assert result.passed, result.failures
    assert set(result.journeys) == {"a", "b"}


def test_an_exit_condition_ending_is_named():
    flow = io.from_json({**io.to_json(CART), "settings": {**io.to_json(CART)["settings"],
                                                        "exit_when": {"event": "purchase", "since": "flow_start"}}})
    c = case({"ends_at": "exit_condition", "visits": ["n1", "n2", "n3"], "messages": []},
             events=BO["events"] + [{"at": "2025-03-03T10:30:00Z", "event": "purchase", "properties": {"price": 30}}])
    result = run_case(flow, c)
    assert result.passed, (result.failures, result.journeys)


def test_a_case_naming_a_node_the_flow_lacks_is_an_error():
    result = run_case(CART, case({"visits": ["n1", "n99"]}))
    assert not result.passed and "n99" in result.error


@pytest.mark.parametrize("path", sorted(FLOWS.glob("*.tests.json")), ids=lambda p: p.name)
def test_every_shipped_test_file_passes(path):
    tests = testfile.load(path)
    flow = io.load(testfile.flow_path_for(path, tests))
    results = run_tests(flow, tests)
    assert results and all(r.passed for r in results), [(r.name, r.failures, r.error) for r in results]


def test_every_example_flow_ships_with_tests():
    flows = [p for p in FLOWS.glob("*.json") if not p.name.endswith(testfile.SUFFIX)
             and json.loads(p.read_text())["format"] == "trigger-flow"]
    assert flows
    for p in flows:
        assert testfile.tests_path_for(p).exists(), p


@pytest.mark.parametrize("data, path, words", [
    ({"format": "trigger-flow", "version": 1, "cases": []}, "format", "format must be 'trigger-flow-tests'"),
    ({"format": "trigger-flow-tests", "version": 1, "cases": [{**BO, "expect": {}, "until": "tomorrow"}]},
     "cases[0].until", "is not an ISO 8601 time"),
    ({"format": "trigger-flow-tests", "version": 1,
      "cases": [{**BO, "expect": {}, "events": [{"at": "2025-03-03T10:00:00", "event": "view"}]}]},
     "cases[0].events[0].at", "has no zone"),
    ({"format": "trigger-flow-tests", "version": 1, "cases": [{**BO, "expect": {"visit": ["n1"]}}]},
     "cases[0].expect", "Extra inputs are not permitted"),
])
def test_a_bad_test_file_is_named_by_json_path(data, path, words):
    with pytest.raises(testfile.TestFileError) as err:
        testfile.parse(data, file="x.tests.json")
    assert err.value.path is not None and err.value.path.startswith(path), err.value.path
    assert words in err.value.message


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_cli_passes_the_shipped_tests_and_ignores_nothing_it_is_given():
    run = _cli("test", *sorted(str(p) for p in FLOWS.glob("*.json")))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout and run.stdout.count("PASS") >= 10


def test_cli_a_flow_edit_that_breaks_a_test_fails_naming_the_case(tmp_path):
    data = io.to_json(CART)
    for n in data["nodes"]:
        if n["id"] == "n2":
            n["config"]["duration"] = "PT2H"  # the reminder now goes two hours later
    (tmp_path / "cart.json").write_text(json.dumps(data))
    (tmp_path / "cart.tests.json").write_text((FLOWS / "abandoned_cart.tests.json").read_text())
    run = _cli("test", tmp_path / "cart.json")
    assert run.returncode == 1
    assert "FAIL" in run.stdout and "no purchase: reminder an hour later" in run.stdout
    assert "n5 at 2025-03-03 12:00:00Z" in run.stdout  # the actual message, beside the expected one
    as_json = json.loads(_cli("test", tmp_path / "cart.tests.json", "--json").stdout.splitlines()[-1])
    assert as_json["failed"] >= 1 and any(not c["passed"] for c in as_json["cases"])


def test_cli_an_unreadable_test_file_exits_2_with_file_and_line(tmp_path):
    bad = tmp_path / "cart.tests.json"
    bad.write_text('{"format": "trigger-flow-tests",\n "version": 1,\n "cases": [\n')
    run = _cli("test", bad)
    assert run.returncode == 2
    assert f"{bad}:4" in run.stderr and "Traceback" not in run.stderr


def test_validate_checks_test_files_beside_flows(tmp_path):
    (tmp_path / "cart.json").write_text(io.dumps(CART))
    data = json.loads((FLOWS / "abandoned_cart.tests.json").read_text())
    data["cases"][0]["expect"]["visits"].append("n42")
    (tmp_path / "cart.tests.json").write_text(json.dumps(data))
    run = _cli("validate", tmp_path / "cart.json", tmp_path / "cart.tests.json")
    assert run.returncode == 1
    assert "n42" in run.stderr and "unknown_node" in run.stderr
    assert _cli("validate", *FLOWS.glob("*.json")).returncode == 0
