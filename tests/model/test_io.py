import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from designer import EXAMPLE_FLOWS
from designer.model import documents, io
from designer.model.errors import FlowFormatError
from designer.model.validate import validate

EXAMPLES = documents.flow_files(EXAMPLE_FLOWS)
REQUIRED = {"abandoned_cart", "browse_abandonment", "welcome_series", "winback", "post_purchase"}


def test_every_required_example_exists_and_all_kinds_are_used():
    assert REQUIRED <= {p.stem for p in EXAMPLES}
    from designer.model.kinds import KINDS

    used = {n.kind for p in EXAMPLES for n in io.load(p).nodes.values()}
    assert used == set(KINDS)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_round_trips_byte_for_byte(path, tmp_path):
    flow = io.load(path)
    out = tmp_path / path.name
    io.save(flow, out)
    assert out.read_bytes() == path.read_bytes()
    again = io.load(out)
    assert io.to_json(again) == io.to_json(flow)
    assert [p for p in validate(flow)] == []


def test_saving_same_flow_twice_gives_same_bytes(tmp_path):
    flow = io.load(EXAMPLES[0])
    io.save(flow, tmp_path / "a.json")
    io.save(flow, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_single_port_edges_omit_port_and_branch_edges_keep_it():
    data = io.to_json(io.load(EXAMPLE_FLOWS / "abandoned_cart.json"))
    by_pair = {(e["from"], e["to"]): e for e in data["edges"]}
    assert "port" not in by_pair[("n1", "n2")]
    assert by_pair[("n3", "n5")]["port"] == "no"


def test_atomic_save_keeps_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "flow.json"
    flow = io.load(EXAMPLES[0])
    io.save(flow, target)
    before = target.read_bytes()
    flow.set_name("Changed")

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        io.save(flow, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["flow.json"]


def _broken(tmp_path, text):
    p = tmp_path / "broken.json"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(FlowFormatError) as info:
        io.load(p)
    return info.value


def test_truncated_file_names_the_line(tmp_path):
    text = (EXAMPLE_FLOWS / "welcome_series.json").read_text()
    err = _broken(tmp_path, text[: len(text) // 2])
    assert err.line is not None and err.line > 1
    assert "broken.json" in str(err) and "not valid JSON" in str(err)


def test_wrong_type_names_json_path_and_node(tmp_path):
    data = json.loads((EXAMPLE_FLOWS / "welcome_series.json").read_text())
    data["nodes"][2]["x"] = "left"
    err = _broken(tmp_path, json.dumps(data))
    assert err.path == "nodes[2].x" and err.node == "n3"


def test_bad_setting_names_its_path(tmp_path):
    data = json.loads((EXAMPLE_FLOWS / "welcome_series.json").read_text())
    data["settings"]["smart_sending"] = "16 hours"
    err = _broken(tmp_path, json.dumps(data))
    assert err.path == "settings.smart_sending"
    data["settings"]["reentry"] = {"mode": "sometimes"}
    assert _broken(tmp_path, json.dumps(data)).path == "settings.reentry.mode"


def test_duplicate_node_id_is_refused(tmp_path):
    data = json.loads((EXAMPLE_FLOWS / "welcome_series.json").read_text())
    data["nodes"][1]["id"] = "n1"
    err = _broken(tmp_path, json.dumps(data))
    assert err.path == "nodes[1].id" and "twice" in err.message


def test_newer_version_is_refused_clearly(tmp_path):
    data = json.loads((EXAMPLE_FLOWS / "welcome_series.json").read_text())
    data["version"] = io.CURRENT_VERSION + 1
    err = _broken(tmp_path, json.dumps(data))
    assert err.path == "version" and "newer" in err.message


def test_not_a_flow_file(tmp_path):
    assert _broken(tmp_path, "[1, 2]").path == "$"
    assert _broken(tmp_path, '{"format": "other"}').path == "format"
    p = tmp_path / "latin.json"
    p.write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(FlowFormatError, match="UTF-8"):
        io.load(p)
    with pytest.raises(FlowFormatError, match="cannot read"):
        io.load(tmp_path / "missing.json")


def test_older_versions_go_through_the_migration_hook(monkeypatch):
    """A file one version behind is migrated step by step before it is read."""
    data = json.loads((EXAMPLE_FLOWS / "welcome_series.json").read_text())
    calls = []

    def rename_flow(old: dict) -> dict:
        calls.append(old["version"])
        old["name"] = old.pop("title")
        return old

    monkeypatch.setattr(io, "CURRENT_VERSION", 2)
    monkeypatch.setattr(io, "MIGRATIONS", {1: rename_flow})
    data["title"] = data.pop("name")
    flow = io.from_json(data)
    assert calls == [1] and flow.name == "Welcome series"
    assert io.to_json(flow)["version"] == 2


def test_missing_migration_is_reported(monkeypatch):
    data = json.loads((EXAMPLE_FLOWS / "welcome_series.json").read_text())
    monkeypatch.setattr(io, "CURRENT_VERSION", 2)
    monkeypatch.setattr(io, "MIGRATIONS", {})
    with pytest.raises(FlowFormatError, match="no migration"):
        io.from_json(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_arbitrary_json_raises_only_the_loaders_error(value):
    try:
        io.from_json(value)
    except FlowFormatError:
        pass


_KEYS = ["format", "version", "id", "name", "settings", "nodes", "edges", "kind", "x", "y", "config",
         "from", "to", "port", "event", "duration", "condition", "variants", "reentry", "mode"]


@st.composite
def mutated_example(draw):
    path = draw(st.sampled_from(EXAMPLES))
    data = json.loads(path.read_text())
    for _ in range(draw(st.integers(1, 4))):
        # Walk to a random container and replace, delete or add something.
        target = data
        for _depth in range(draw(st.integers(0, 4))):
            if isinstance(target, dict) and target:
                key = draw(st.sampled_from(sorted(target)))
                if isinstance(target[key], (dict, list)):
                    target = target[key]
            elif isinstance(target, list) and target:
                idx = draw(st.integers(0, len(target) - 1))
                if isinstance(target[idx], (dict, list)):
                    target = target[idx]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if isinstance(target, dict):
            key = draw(st.sampled_from(sorted(target) or _KEYS) if action != "add" else st.sampled_from(_KEYS))
            if action == "delete":
                target.pop(key, None)
            else:
                target[key] = draw(json_values)
        elif isinstance(target, list):
            if action == "delete" and target:
                target.pop(draw(st.integers(0, len(target) - 1)))
            elif action == "replace" and target:
                target[draw(st.integers(0, len(target) - 1))] = draw(json_values)
            else:
                target.append(draw(json_values))
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_example())
def test_mutated_examples_load_or_fail_cleanly_and_validate_without_crashing(data):
    try:
        flow = io.from_json(data)
    except FlowFormatError as exc:
        assert str(exc)
        return
    problems = validate(flow)
    assert all(p.severity in ("error", "warning") and p.message for p in problems)
    io.dumps(flow)
