"""HubSpot v4 and Dittofeed compilers: every example against the schemas written from
their references, one flow checked by hand each, and the gaps named per node."""

from __future__ import annotations

import copy

import pytest

from designer.model import io
from designer.model.kinds import KINDS
from designer.publish import dittofeed, hubspot
from tests.publish.schemas import errors
from tests.publish.test_klaviyo_compile import EXAMPLES, ROOT

HUBSPOT, DITTOFEED = "hubspot_flow_create.schema.json", "dittofeed_journey_upsert.schema.json"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_fits_both_schemas(path):
    flow = io.load(path)
    assert errors(HUBSPOT, hubspot.compile_hubspot(flow)[0]) == []
    assert errors(DITTOFEED, dittofeed.compile_dittofeed(flow)[0]) == []


def test_the_schemas_can_fail():
    flow = io.load(ROOT / "flows" / "winback.json")
    body = copy.deepcopy(hubspot.compile_hubspot(flow)[0])
    body["actions"][0]["fields"]["time_unit"] = "WEEKS"
    assert errors(HUBSPOT, body)
    bundle = copy.deepcopy(dittofeed.compile_dittofeed(flow)[0])
    bundle["journey"]["definition"]["nodes"][0].pop("child")
    assert errors(DITTOFEED, bundle)


def test_every_kind_has_a_mapping_in_both():
    assert set(hubspot.MAPPINGS) == set(KINDS) == set(dittofeed.MAPPINGS)


def test_winback_on_hubspot_by_hand():
    body, report = hubspot.compile_hubspot(io.load(ROOT / "flows" / "winback.json"))
    acts = {a["actionId"]: a for a in body["actions"]}
    assert body["startActionId"] == "1" and body["isEnabled"] is False
    assert acts["1"]["fields"] == {"delta": "90", "time_unit": "DAYS"}
    assert acts["1"]["connection"] == {"edgeType": "STANDARD", "nextActionId": "2"}
    # The "purchased since entry" split cannot be a HubSpot property branch: reported on n3.
    assert any(g.node == "n3" for g in report.errors)
    tier = acts["3"]
    assert tier["type"] == "LIST_BRANCH"
    assert tier["listBranches"][0]["filterBranch"]["filters"] == [
        {"property": "loyalty_tier", "operation": {"operator": "IS_ANY_OF", "values": ["gold", "silver"],
                                                   "operationType": "MULTISTRING"}, "filterType": "PROPERTY"}]
    vip = acts[tier["listBranches"][0]["connection"]["nextActionId"]]
    assert vip["fields"] == {"content_id": "$email:winback_vip"}
    # The SMS is left out (reported); the VIP email leads straight to the profile update.
    assert any(g.node == "n7" and "SMS" in g.reason for g in report.errors)
    update = acts[vip["connection"]["nextActionId"]]
    assert update["fields"]["property_name"] == "winback_sent"
    assert update["fields"]["value"] == {"staticValue": "true", "type": "STATIC_VALUE"}
    assert body["enrollmentCriteria"]["eventFilterBranches"][0]["eventTypeId"] == "$event:Placed Order"
    assert body["nextAvailableActionId"] == str(len(body["actions"]) + 1)


def test_browse_abandonment_on_dittofeed_by_hand():
    bundle, report = dittofeed.compile_dittofeed(io.load(ROOT / "flows" / "browse_abandonment.json"))
    d = bundle["journey"]["definition"]
    nodes = {n["id"]: n for n in d["nodes"]}
    assert d["entryNode"] == {"type": "EventEntryNode", "event": "view", "child": "n2"}
    first = nodes["n2"]
    assert first["type"] == "WaitForNode" and first["timeoutSeconds"] == 86400
    # Viewers who add to cart within a day wait for a purchase (n4); the others leave.
    assert first["segmentChildren"][0]["id"] == "n4"
    assert first["timeoutChild"] == "ExitNode"
    assert nodes["n4"]["segmentChildren"][0]["id"] == "ExitNode"
    assert nodes["n4"]["timeoutChild"] == "n6"
    names = {s["name"]: s for s in bundle["segments"]}
    seg = names[first["segmentChildren"][0]["segmentId"].removeprefix("$segment:")]
    assert seg["definition"]["entryNode"]["type"] == "Performed"
    assert seg["definition"]["entryNode"]["event"] == "add_to_cart"
    assert any("all history" in g.reason for g in report.gaps if g.node == "n2")
    assert {t["definition"]["type"] for t in bundle["templates"]} == {"Email"}


def test_a_split_on_a_derived_fact_is_a_gap_in_hubspot_and_dittofeed():
    """order_count is computed from the history here; neither target has such a contact property
    or trait, so the split is reported on its node instead of compiled into a test that never matches."""
    flow = io.load(ROOT / "flows" / "winback.json")
    split = next(n for n in flow.nodes.values() if n.kind == "split" and "property" in str(n.config))
    flow.set_config(split.id, {**split.config, "condition": {"property": "order_count", "op": ">=", "value": 3}})
    for report in (hubspot.compile_hubspot(flow)[1], dittofeed.compile_dittofeed(flow)[1]):
        gap = next(g for g in report.errors if g.node == split.id)
        assert "order_count" in gap.reason and "event history" in gap.reason
