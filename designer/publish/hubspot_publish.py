"""Publishing a flow to HubSpot as a workflow (automation v4), never twice.

The body is :func:`designer.publish.hubspot.compile_hubspot_nodes`'s with its
placeholders filled from the account: the trigger's event from the event
definitions, each marketing email by name, each list by name (a missing list
is created, as a manual contact list). Creating a flow (``POST
/automation/v4/flows``) has no idempotency key, so the flow is looked up by
name before the create and after any create whose answer was lost
(:meth:`~designer.publish.publisher.Publisher.create_flow_once`). New flows are
created disabled; only ``activate`` turns one on. HubSpot's errors name the
field in ``errors[].in``; it is turned into the node behind that action.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from designer.model.flow import Flow
from designer.publish import placeholders
from designer.publish.api import ApiClient, ApiError, FieldError, describe_errors
from designer.publish.http import RetryPolicy
from designer.publish.hubspot import TARGET, compile_hubspot, compile_hubspot_nodes
from designer.publish.metrics import MetricNames
from designer.publish.publisher import Prepared, Publisher, PublishRefused
from designer.publish.report import Report

DEFAULT_BASE_URL = "https://api.hubapi.com"
FLOWS = "/automation/v4/flows"
#: The fields HubSpot sets itself and refuses in an update.
READ_ONLY = ("createdAt", "updatedAt", "id", "uuid", "dataSources", "crmObjectCreationStatus")


class HubSpotClient(ApiClient):
    target = TARGET

    def __init__(self, key: str, *, base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0,
                 policy: RetryPolicy | None = None) -> None:
        super().__init__({"Authorization": f"Bearer {key}", "Accept": "application/json",
                          "Content-Type": "application/json"}, base_url=base_url, timeout=timeout, policy=policy)

    def parse_errors(self, data: object) -> tuple[list[FieldError], list[dict]]:
        """HubSpot's error body: ``message``, and ``errors[]`` each with a ``message`` and the field ``in``."""
        if not isinstance(data, dict):
            return [], []
        errors = [e for e in data.get("errors") or [] if isinstance(e, dict)]
        if errors:
            return [FieldError(str(e.get("message") or "error"), e.get("in")) for e in errors], errors
        return ([FieldError(str(data["message"]))], [data]) if data.get("message") else ([], [])

    def pages(self, path: str, params: dict | None = None) -> Iterator[dict]:
        """Every result of a list, following ``paging.next.after``."""
        query = dict(params or {})
        while True:
            page = self.request("GET", path, params=query)
            yield from page.get("results") or []
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return
            query["after"] = after

    # -- flows ---------------------------------------------------------------
    def find_flows(self, name: str) -> list[dict]:
        """Flows of that name (the list has no filter by name, so every page is read)."""
        return [f for f in self.pages(FLOWS) if f.get("name") == name]

    def create_flow(self, body: dict) -> dict:
        return self.request("POST", FLOWS, body=body)

    def get_flow(self, flow_id: str) -> dict:
        return self.request("GET", f"{FLOWS}/{quote(flow_id, safe='')}")

    def update_flow(self, flow_id: str, body: dict) -> dict:
        return self.request("PUT", f"{FLOWS}/{quote(flow_id, safe='')}", body=body)

    # -- what a flow refers to -----------------------------------------------
    def event_types(self) -> dict[str, str]:
        """Event type ids by every name an event definition goes by (label, name, qualified name)."""
        out: dict[str, str] = {}
        for d in self.pages("/events/v3/event-definitions"):
            type_id = d.get("objectTypeId") or (f"6-{d['id']}" if d.get("id") else None)
            for name in ((d.get("labels") or {}).get("singular"), d.get("name"), d.get("fullyQualifiedName")):
                if name and type_id:
                    out.setdefault(name, type_id)
        return out

    def emails(self) -> dict[str, str]:
        """Marketing email ids by name."""
        out: dict[str, str] = {}
        for e in self.pages("/marketing/v3/emails"):
            if e.get("name") and e.get("id"):
                out.setdefault(e["name"], str(e["id"]))
        return out

    def find_list(self, name: str) -> str | None:
        try:
            found = self.request("GET", f"/crm/v3/lists/object-type-id/0-1/name/{quote(name, safe='')}")
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return str((found.get("list") or {}).get("listId")) if (found.get("list") or {}).get("listId") else None

    def create_list(self, name: str) -> str:
        made = self.request("POST", "/crm/v3/lists", body={"name": name, "objectTypeId": "0-1",
                                                           "processingType": "MANUAL"})
        return str(made["list"]["listId"])

    def check(self) -> None:
        """One cheap authenticated call (Test Connection)."""
        self.request("GET", FLOWS, params={"limit": 1})


@dataclass
class _Body:
    body: dict
    #: The node behind each action, by position.
    nodes: list[str]
    trigger: str | None

    def node_of_field(self, field: str | None) -> str | None:
        """The node behind ``actions[3].fields.delta`` (or ``actions/3/...``); enrollment is the trigger's."""
        m = re.search(r"actions\W*(\d+)", field or "")
        if m and int(m.group(1)) < len(self.nodes):
            return self.nodes[int(m.group(1))]
        return self.trigger if field and "enrollment" in field else None


class HubSpotPublisher(Publisher):
    target = TARGET
    label = "HubSpot"

    def __init__(self, client: HubSpotClient, *, names: MetricNames | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(client, sleep=sleep)
        self.names = names or MetricNames()

    def offline(self, flow: Flow, flow_path: str | Path | None) -> Report:
        return compile_hubspot(flow, self.names)[1]

    def prepare(self, flow: Flow, flow_path: str | Path | None, report: Report, name: str, version: int,
                dry_run: bool) -> Prepared:
        body, _report, nodes = compile_hubspot_nodes(flow, self.names, name=name)
        trigger = flow.trigger()
        compiled = _Body(body, nodes, trigger.id if trigger else None)
        users = _users(compiled)
        wanted = placeholders.collect(body)
        ids: dict[str, dict[str, str]] = {}
        for kind, table, what in (("event", self.client.event_types, "event definition"),
                                  ("email", self.client.emails, "marketing email")):
            if not wanted.get(kind):
                continue
            have = table()
            missing = sorted(n for n in wanted[kind] if n not in have)
            if missing:
                raise PublishRefused("; ".join(
                    f"the HubSpot account has no {what} named {n!r} ({_nodes_text(users, kind, n)})"
                    for n in missing) + ": create it in HubSpot first, or map the event names (metric-names.json)")
            ids[kind] = {n: have[n] for n in wanted[kind]}
        lists_made = 0
        ids["list"] = {}
        for list_name in sorted(wanted.get("list", ())):
            found = self.client.find_list(list_name)
            if found is None:
                lists_made += 1
                if dry_run:
                    continue
                found = self.create_once(f"creating the list {list_name!r}",
                                         lambda n=list_name: self.client.create_list(n),
                                         lambda n=list_name: self.client.find_list(n))[0]
            ids["list"][list_name] = found
        compiled.body = placeholders.fill(body, ids)
        return Prepared(compiled, 0, lists_made)

    def send(self, flow: Flow, prepared: Prepared, name: str, version: int) -> tuple[str, bool, str]:
        compiled: _Body = prepared.body

        def find() -> str | None:
            existing = self.client.find_flows(name)
            return str(existing[0]["id"]) if existing else None

        return self.create_flow_once(
            name, lambda: str(self.client.create_flow(compiled.body)["id"]), find,
            refused=lambda exc: PublishRefused("HubSpot refused the flow: "
                                               + describe_errors(exc, compiled.node_of_field)))

    def set_live(self, flow: Flow, record: dict, flow_path: str | Path | None) -> None:
        current = self.client.get_flow(record["remote_id"])
        body = {k: v for k, v in current.items() if k not in READ_ONLY}
        body["isEnabled"] = True
        self.client.update_flow(record["remote_id"], body)


def _users(compiled: _Body) -> dict[tuple[str, str], list[str]]:
    """The nodes using each placeholder: actions by position, enrollment by the trigger."""
    out: dict[tuple[str, str], list[str]] = {}
    parts = [(compiled.trigger, compiled.body.get("enrollmentCriteria"))]
    parts += list(zip(compiled.nodes, compiled.body.get("actions") or []))
    for node, part in parts:
        for kind, names in placeholders.collect(part).items():
            for n in names:
                if node and node not in out.setdefault((kind, n), []):
                    out[(kind, n)].append(node)
    return out


def _nodes_text(users: dict[tuple[str, str], list[str]], kind: str, name: str) -> str:
    nodes = users.get((kind, name)) or []
    return ("node " + ", ".join(nodes)) if nodes else "flow"
