"""Publishing a flow to Dittofeed as a journey, with its segments and templates first.

Dittofeed's admin API upserts by id (``PUT /api/admin/segments``,
``/api/admin/content/templates``, ``/api/admin/journeys``), so every id is
made stable here (a UUID from the workspace and the thing's name): a PUT
repeated after a timeout, a reset connection or a 5xx overwrites what the
first one made and never makes a second, which is why the session's Retry may
repeat these calls itself. Segments, templates (one per message step: the
subject is part of a Dittofeed email template) and the journey are named
after the versioned flow name, so a new version never changes what an
earlier one runs; a template that already exists by its name is used as it
is, a missing one is created. Before anything is sent, the journeys are
looked up: ours already there (a publish whose record was lost) is adopted;
another journey with our name is refused rather than overwritten. Journeys
are created ``NotStarted``; only ``activate`` sets one ``Running``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from designer.model.flow import Flow
from designer.publish import placeholders
from designer.publish.api import ApiClient, ApiError, FieldError, describe_errors
from designer.publish.dittofeed import TARGET, compile_dittofeed, compile_dittofeed_nodes
from designer.publish.http import RetryPolicy
from designer.publish.publisher import Prepared, Publisher, PublishRefused
from designer.publish.report import Report

DEFAULT_BASE_URL = "https://app.dittofeed.com"
WORKSPACE_ENV = "DITTOFEED_WORKSPACE_ID"
#: The namespace of the stable ids (any fixed UUID; this one is the app's).
NAMESPACE = uuid.UUID("6f1c1b52-8d0e-4c8e-9a43-5d2f0f7b9e21")
JOURNEYS, SEGMENTS, TEMPLATES = "/api/admin/journeys", "/api/admin/segments", "/api/admin/content/templates"


def stable_id(workspace: str, kind: str, key: str) -> str:
    """The same UUID for the same thing on every run, so an upsert repeated is the same upsert."""
    return str(uuid.uuid5(NAMESPACE, f"{workspace}\n{kind}\n{key}"))


class DittofeedClient(ApiClient):
    target = TARGET

    def __init__(self, key: str, *, workspace: str, base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0,
                 policy: RetryPolicy | None = None) -> None:
        super().__init__({"Authorization": f"Bearer {key}", "Accept": "application/json",
                          "Content-Type": "application/json"}, base_url=base_url, timeout=timeout, policy=policy)
        self.workspace = workspace

    def destination(self) -> str:  # noqa: D102 - one admin key may reach several workspaces
        return f"{super().destination()} workspace:{self.workspace}"

    def parse_errors(self, data: object) -> tuple[list[FieldError], list[dict]]:
        """Dittofeed answers as Fastify does: ``message`` such as ``body/definition/nodes/1/child must be string``,
        whose first word is the field when it is a path into the request."""
        if not isinstance(data, dict) or not data.get("message"):
            return [], []
        message = str(data["message"])
        first = message.split(" ", 1)[0]
        pointer = first if first.startswith(("body", "/", "querystring")) else None
        text = message[len(first):].strip() if pointer else message
        return [FieldError(text or message, pointer)], [data]

    def _list(self, path: str, key: str) -> list[dict]:
        data = self.request("GET", path, params={"workspaceId": self.workspace})
        items = data.get(key) if isinstance(data, dict) else None
        return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []

    def journeys(self) -> list[dict]:
        return self._list(JOURNEYS, "journeys")

    def templates(self) -> list[dict]:
        return self._list(TEMPLATES, "templates")

    def upsert(self, path: str, body: dict) -> dict:
        return self.request("PUT", path, body=body)

    def check(self) -> None:
        """One cheap authenticated call (Test Connection)."""
        self.journeys()


@dataclass
class _Bundle:
    journey: dict
    segments: list[dict]
    #: Templates to create (one the workspace has by name already is used as it is).
    templates: list[dict]
    #: The node behind each journey node, by position.
    nodes: list[str]
    trigger: str | None
    #: Segment and template name -> the node it came from, for error messages.
    owners: dict[str, str] = field(default_factory=dict)

    def node_of_field(self, pointer: str | None) -> str | None:
        m = re.search(r"nodes\W*(\d+)", pointer or "")
        if m and int(m.group(1)) < len(self.nodes):
            return self.nodes[int(m.group(1))]
        return self.trigger if pointer and "entryNode" in pointer else None


class DittofeedPublisher(Publisher):
    target = TARGET
    label = "Dittofeed"

    def __init__(self, client: DittofeedClient, *, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(client, sleep=sleep)

    def offline(self, flow: Flow, flow_path: str | Path | None) -> Report:
        return compile_dittofeed(flow, flow_path)[1]

    def journey_id(self, flow: Flow, name: str) -> str:
        return stable_id(self.client.workspace, "journey", f"{flow.id}\n{name}")

    def prepare(self, flow: Flow, flow_path: str | Path | None, report: Report, name: str, version: int,
                dry_run: bool) -> Prepared:
        ws = self.client.workspace
        bundle, _report, nodes = compile_dittofeed_nodes(flow, flow_path, name=name)
        existing = {t.get("name"): str(t["id"]) for t in self.client.templates() if t.get("id")}
        ids = {"segment": {s["name"]: stable_id(ws, "segment", s["name"]) for s in bundle["segments"]},
               "template": {}}
        to_make = []
        for t in bundle["templates"]:
            if t["name"] in existing:
                ids["template"][t["name"]] = existing[t["name"]]
            else:
                ids["template"][t["name"]] = stable_id(ws, "template", t["name"])
                to_make.append(t)
        owners = _owners(bundle["journey"]["definition"]["nodes"])

        def placed(item: dict, kind: str) -> dict:
            out = placeholders.fill(item, ids)
            out["workspaceId"] = ws
            out["id"] = ids[kind][item["name"]]
            return out

        journey = placeholders.fill(bundle["journey"], ids)
        journey.update(workspaceId=ws, id=self.journey_id(flow, name))
        dangling = sorted(n for names in placeholders.collect(journey).values() for n in names)
        if dangling:
            # Accepting a gap cannot make a journey refer to a segment that was never built.
            raise PublishRefused("; ".join(
                f"node {owners.get(n, '?')}: its condition has no Dittofeed segment (see the capability report), "
                "and Dittofeed refuses a journey that refers to a missing one" for n in dangling))
        trigger = flow.trigger()
        body = _Bundle(journey, [placed(s, "segment") for s in bundle["segments"]],
                       [placed(t, "template") for t in to_make], nodes, trigger.id if trigger else None, owners)
        return Prepared(body, len(to_make), 0, {"workspace": ws})

    def send(self, flow: Flow, prepared: Prepared, name: str, version: int) -> tuple[str, bool, str]:
        bundle: _Bundle = prepared.body
        jid = bundle.journey["id"]
        journeys = self.client.journeys()
        if any(str(j.get("id")) == jid for j in journeys):
            return jid, False, "found this journey at Dittofeed already (an earlier publish made it)"
        clash = next((j for j in journeys if j.get("name") == name), None)
        if clash is not None:
            raise PublishRefused(f"Dittofeed already has a journey named {name!r} (id {clash.get('id')}) that this "
                                 "flow did not make: rename the flow, or remove that journey")
        for path, kind, items in ((SEGMENTS, "segment", bundle.segments), (TEMPLATES, "template", bundle.templates)):
            for item in items:
                self._upsert(path, item, f"the {kind} {item['name']!r}", bundle.owners.get(item["name"]))
        before = self.client.retries
        self._upsert(JOURNEYS, bundle.journey, "the journey", None, bundle.node_of_field)
        repeated = self.client.retries > before
        return jid, True, ("created as a draft (not started)" + (
            "; an answer was lost and the upsert by id repeated, not duplicated" if repeated else ""))

    def _upsert(self, path: str, body: dict, what: str, owner: str | None,
                node_of_field: Callable[["str | None"], "str | None"] | None = None) -> None:
        try:
            self.client.upsert(path, body)
        except ApiError as exc:
            if exc.status >= 500 or exc.refuses_key or exc.status == 429:
                raise
            where = f" (node {owner})" if owner else ""
            raise PublishRefused(f"Dittofeed refused {what}{where}: "
                                 + describe_errors(exc, node_of_field or (lambda _f: None))) from None

    def set_live(self, flow: Flow, record: dict, flow_path: str | Path | None) -> None:
        self.client.upsert(JOURNEYS, {"id": record["remote_id"], "workspaceId": self.client.workspace,
                                      "name": record["name"], "status": "Running"})


def _owners(nodes: list[dict]) -> dict[str, str]:
    """Segment and template names (their placeholders) -> the journey node that uses them."""
    out: dict[str, str] = {}
    for node in nodes:
        for names in placeholders.collect(node).values():
            for n in names:
                out.setdefault(n, node["id"])
    return out
