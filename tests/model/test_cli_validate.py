"""``python main.py validate``: exit codes, one line per problem, no tracebacks."""

import json
import subprocess
import sys

import pytest

from designer import EXAMPLE_FLOWS, ROOT

EXAMPLE = json.loads((EXAMPLE_FLOWS / "abandoned_cart.json").read_text())


def run(*args):
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "validate", *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def write(tmp_path, data, name="flow.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_examples_validate_clean():
    proc = run(*sorted(EXAMPLE_FLOWS.glob("*.json")))
    assert proc.returncode == 0 and proc.stdout == ""


def mutate(fn):
    data = json.loads(json.dumps(EXAMPLE))
    fn(data)
    return data


@pytest.mark.parametrize("name,change,expect", [
    ("cycle", lambda d: d["edges"].append({"from": "n6", "to": "n5"}), ("n5", "error cycle")),
    ("orphan", lambda d: d["nodes"].append({"id": "n99", "kind": "exit", "x": 0, "y": 0, "config": {}}),
     ("n99", "error unreachable")),
    ("second trigger", lambda d: d["nodes"].append(
        {"id": "n42", "kind": "trigger", "x": 0, "y": 0, "config": {"event": "view"}}), ("n42", "error multiple-triggers")),
    ("missing port", lambda d: d["edges"].__setitem__(0, {"from": "n1", "to": "n2", "port": "maybe"}),
     ("n1", "error unknown-port")),
])
def test_each_broken_flow_exits_1_naming_the_node(tmp_path, name, change, expect):
    path = write(tmp_path, mutate(change))
    proc = run(path)
    assert proc.returncode == 1
    node, what = expect
    assert any(line.startswith(f"{path}: {node}: {what}:") for line in proc.stdout.splitlines()), proc.stdout


def test_truncated_file_is_input_with_problems_exit_1_with_line(tmp_path):
    text = (EXAMPLE_FLOWS / "abandoned_cart.json").read_text()
    path = write(tmp_path, text[:900])
    proc = run(path)
    assert proc.returncode == 1
    assert f"{path}:" in proc.stderr and "not valid JSON" in proc.stderr


def test_structural_error_names_json_path(tmp_path):
    path = write(tmp_path, mutate(lambda d: d["nodes"][3].__setitem__("config", [])))
    proc = run(path)
    assert proc.returncode == 1 and "nodes[3].config" in proc.stderr and "n4" in proc.stderr


def test_json_output_lists_problems_and_worst_exit_code_wins(tmp_path):
    bad = write(tmp_path, mutate(lambda d: d["edges"].append({"from": "n6", "to": "n5"})), "bad.json")
    missing = tmp_path / "missing.json"
    proc = run("--json", bad, missing, EXAMPLE_FLOWS / "winback.json")
    assert proc.returncode == 2
    listed = json.loads(proc.stdout)
    assert {p["code"] for p in listed} >= {"cycle", "unreadable"}
    assert all({"file", "node", "severity", "code", "message"} <= set(p) for p in listed)


def test_warnings_alone_exit_0(tmp_path):
    path = write(tmp_path, mutate(lambda d: d["settings"].__setitem__("reentry", {"mode": "always"})))
    proc = run(path)
    assert proc.returncode == 0 and "warning reentry-no-cooldown" in proc.stdout


def test_help_lists_subcommands():
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "validate" in proc.stdout
