"""A HubSpot double on loopback, answering the few automation v4, events, marketing email
and lists calls a publish makes, as HubSpot does (bearer token, ``results`` pages with
``paging.next.after``, errors with ``errors[].in`` naming the field)."""

from __future__ import annotations

import copy
from urllib.parse import unquote

from tests.publish.fake_esp import LoopbackESP

PAGE = 2
TOKEN = "pat-na1-7d3c9e1b-42aa-4f0e-9b6d-1c2e3f4a5b6c"
FLOWS = "/automation/v4/flows"


class FakeHubSpot(LoopbackESP):
    key = TOKEN

    def __init__(self, events: list[str], emails: list[str]) -> None:
        super().__init__()
        self.events = [{"id": str(100 + i), "name": n.lower().replace(" ", "_"), "labels": {"singular": n},
                        "fullyQualifiedName": f"pe42_{n.lower().replace(' ', '_')}", "objectTypeId": f"6-{100 + i}"}
                       for i, n in enumerate(events)]
        self.emails = [{"id": str(5000 + i), "name": n} for i, n in enumerate(emails)]
        self.lists: list[dict] = []
        self.flows: list[dict] = []
        self.get_faults: list[int] = []

    def flow_creates(self) -> int:
        return self.count("POST", FLOWS)

    def error_body(self, status: int, message: str, field: str | None) -> dict:
        body = {"status": "error", "message": message, "correlationId": "c0ffee", "category": "VALIDATION_ERROR"}
        if field:
            body["errors"] = [{"message": message, "in": field, "code": "INVALID"}]
        return body

    def _page(self, items: list[dict], query: dict, reply) -> None:
        start = int((query.get("after") or ["0"])[0])
        out: dict = {"results": items[start:start + PAGE]}
        if start + PAGE < len(items):
            out["paging"] = {"next": {"after": str(start + PAGE)}}
        reply.reply(200, out)

    def handle(self, method, path, query, body, reply) -> None:
        if method == "GET":
            with self.lock:
                fault = self.get_faults.pop(0) if self.get_faults else None
            if fault:
                return reply.error(fault, "try again", headers={"Retry-After": "0"})
            if path == FLOWS:
                return self._page([{k: f[k] for k in ("id", "name", "isEnabled", "revisionId")} for f in self.flows],
                                  query, reply)
            if path.startswith(FLOWS + "/"):
                flow = next((f for f in self.flows if f["id"] == path.rsplit("/", 1)[1]), None)
                return reply.reply(200, flow) if flow else reply.error(404, "Flow not found")
            if path == "/events/v3/event-definitions":
                return self._page(self.events, query, reply)
            if path == "/marketing/v3/emails":
                return self._page(self.emails, query, reply)
            prefix = "/crm/v3/lists/object-type-id/0-1/name/"
            if path.startswith(prefix):
                name = unquote(path[len(prefix):])
                found = next((x for x in self.lists if x["name"] == name), None)
                return reply.reply(200, {"list": found}) if found else reply.error(404, "List not found")
        if method == "POST" and path == "/crm/v3/lists":
            with self.lock:
                made = {"listId": str(900 + len(self.lists)), "name": body["name"],
                        "processingType": body["processingType"]}
                self.lists.append(made)
            return reply.reply(200, {"list": made})
        if method == "POST" and path == FLOWS:
            return self._create(body, reply)
        if method == "PUT" and path.startswith(FLOWS + "/"):
            flow = next((f for f in self.flows if f["id"] == path.rsplit("/", 1)[1]), None)
            if flow is None:
                return reply.error(404, "Flow not found")
            if body.get("revisionId") != flow["revisionId"]:
                return reply.error(400, "revisionId does not match the flow's current revision", "revisionId")
            with self.lock:
                flow.update(body, revisionId=str(int(flow["revisionId"]) + 1))
            return reply.reply(200, flow)
        reply.error(404, f"no route {method} {path}")

    def _create(self, body: dict, reply) -> None:
        step = self.next_step()
        if step == "429":
            return reply.error(429, "You have reached your secondly limit.", headers={"Retry-After": "1"})
        if step == "500":
            return reply.error(500, "internal error")
        if isinstance(step, dict):
            return reply.error(400, step["message"], step["in"])
        with self.lock:
            flow = {**copy.deepcopy(body), "id": str(7000 + len(self.flows)), "revisionId": "1"}
            self.flows.append(flow)
        if step == "hang":
            self.hold()
        reply.reply(201, flow)
