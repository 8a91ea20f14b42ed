"""The published JSON Schema and the validator agree, and generated flows never crash anything.

For every example flow and every generated one (sound flows with one value
replaced by a hostile or wrongly typed one, at every path; deep, huge,
surrogate-laden): loading and validation never raise anything but a named
FlowFormatError; what ``validate`` accepts, the schema accepts (so what the
schema rejects, validate rejects) and ``simulate`` runs on a tiny store.
"""

from __future__ import annotations

import json
from functools import lru_cache

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from designer import EXAMPLE_FLOWS, ROOT
from designer.model import documents, schema as schema_module

from .hostile import at_path, check_accepted, dumps, outcome, paths, sound_flow

EXAMPLES = documents.flow_files(EXAMPLE_FLOWS) + [ROOT / "docs" / "cart_draft.json"]


@lru_cache(maxsize=1)
def validator() -> jsonschema.Draft202012Validator:
    published = json.loads(schema_module.SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(published)
    return jsonschema.Draft202012Validator(published)


def schema_accepts(data) -> bool:
    return validator().is_valid(data)


def test_committed_schema_is_the_generated_one():
    assert schema_module.SCHEMA_PATH.read_text(encoding="utf-8") == schema_module.text(), \
        "docs/flow.schema.json is out of date: run python -m designer.model.schema"
    assert schema_module.main(["--check"]) == 0


def test_schema_check_fails_on_a_stale_file(tmp_path):
    stale = tmp_path / "flow.schema.json"
    stale.write_text("{}\n", encoding="utf-8")
    assert schema_module.main(["--check", "--out", str(stale)]) == 1
    assert schema_module.main(["--out", str(stale)]) == 0
    assert schema_module.main(["--check", "--out", str(stale)]) == 0


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_agrees(path):
    text = path.read_text(encoding="utf-8")
    kind, _ = outcome(text)
    if kind == "accepted":
        assert schema_accepts(json.loads(text))
    if not schema_accepts(json.loads(text)):
        assert kind != "accepted"


def test_schema_rejects_what_validate_rejects_for_shape_errors():
    """A few shapes both must refuse (the schema is no looser than it has to be)."""
    for path, value in [(["nodes", 0, "kind"], "teleport"), (["nodes", 1, "config", "duration"], 5),
                        (["nodes", 2, "config", "condition"], {"property": "x", "op": "~"}),
                        (["settings", "reentry", "mode"], "sometimes"), (["edges", 0, "from"], ""),
                        (["nodes", 3, "config", "colour"], "red")]:
        data = at_path(sound_flow(), path, value)
        assert not schema_accepts(data), path
        assert outcome(dumps(data))[0] != "accepted", path


# -- generated flows --------------------------------------------------------------------------
HOSTILE = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 1.5, 2**63, -(2**63) - 1, 1e300, -1e300, "", " ", "\ud800",
                     "x\udfffy", [], {}, [[]], {"": None}, "P99999999999999999999D", "P" + "9" * 400 + "D",
                     "PT1H", "P36526D", "10:00", "25:61", "https://", "https://e.com", "mon", ["mon"],
                     {"event": "purchase"}, {"property": "p", "op": []}, {"not": {}}, {"all": []},
                     {"op": {}}, "purchase", "yes", "next", 10**30, 9007199254740993]),
    st.text(max_size=8),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.recursive(st.sampled_from([{"event": "view"}, {"property": "p", "op": "is set"}]),
                 lambda inner: st.one_of(st.builds(lambda c: {"not": c}, inner),
                                         st.lists(inner, min_size=1, max_size=2).map(lambda cs: {"any": cs})),
                 max_leaves=40),
    st.integers(0, 200).map(lambda n: {"nested": "DEEP%d" % n}),
)

SOUND_PATHS = [p for p in paths(sound_flow()) if p]


@st.composite
def hostile_flows(draw) -> str:
    """The sound flow with one to three values replaced (or keys added), as file text; DEEP<n>
    and BIG<n> markers become raw nesting and raw digits the JSON encoder itself could not write."""
    data = sound_flow()
    for _ in range(draw(st.integers(1, 3))):
        path = list(draw(st.sampled_from(SOUND_PATHS)))
        value = draw(HOSTILE)
        try:
            if draw(st.booleans()) or not isinstance(path[-1], str):
                data = at_path(data, path, value)
            else:
                data = at_path(data, path[:-1] + [draw(st.sampled_from(["extra", "x", "config"]))], value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement changed the shape there
    text = json.dumps(data, ensure_ascii=draw(st.booleans()))
    if draw(st.integers(0, 9)) == 0:
        text = text.replace('"PT1H"', "9" * draw(st.sampled_from([30, 5000])), 1)
    for marker in set(__import__("re").findall(r'"DEEP(\d+)"', text)):
        n = int(marker) * 5
        text = text.replace(f'"DEEP{marker}"', "[" * n + "]" * n)
    return text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hostile_flows())
def test_generated_flows_never_crash_and_what_validate_accepts_runs(text):
    kind, result = outcome(text)
    if kind == "accepted":
        assert schema_accepts(json.loads(text)), "validate accepted a flow the published schema rejects"
        check_accepted(result)


@st.composite
def sound_variants(draw) -> dict:
    """Sound flows with other legitimate values, so the accepted side is exercised as well."""
    data = sound_flow()
    data["nodes"][1]["config"] = draw(st.sampled_from([
        {"duration": "P3D"}, {"until": {"time": "23:59"}}, {"duration": "pt36h", "until": {"weekdays": ["sun"]}},
        {"duration": " P1W "}, {"duration": "P36525D"}]))
    data["nodes"][2]["config"]["condition"] = draw(st.recursive(
        st.sampled_from([{"event": "view", "since": "ever"}, {"property": "tier", "op": "=", "value": "gold"},
                         {"trigger": "price", "op": "<", "value": 9.2e18}, {"property": "p", "op": "is not set"},
                         {"event": "purchase", "where": {"property": "price", "op": ">", "value": 5},
                          "count": {"<": 3}}]),
        lambda inner: st.one_of(st.builds(lambda c: {"not": c}, inner),
                                st.lists(inner, min_size=1, max_size=3).map(lambda cs: {"all": cs})),
        max_leaves=12))
    data["nodes"][6]["config"]["variants"] = draw(st.sampled_from([
        [{"name": "A", "percent": 50}, {"name": "B", "percent": 50}],
        [{"name": "A", "percent": 33.3}, {"name": "B", "percent": 66.7}]]))
    data["name"] = draw(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=10).filter(
        str.strip))
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sound_variants())
def test_sound_generated_flows_are_accepted_by_both_and_run(data):
    kind, result = outcome(dumps(data))
    assert schema_accepts(data)
    assert kind == "accepted", result
    check_accepted(result)
