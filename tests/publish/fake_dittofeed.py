"""A Dittofeed double on loopback: the admin API's segments, templates and journeys,
each upserted by id with ``PUT`` (as Dittofeed does), read with ``GET ?workspaceId=``;
the admin key belongs to one workspace; errors as Fastify words them
(``message`` starting with the field, ``body/definition/nodes/1/...``)."""

from __future__ import annotations

import copy

from tests.publish.fake_esp import LoopbackESP

ADMIN_KEY = "df-admin-3b9e71c4d2a84f0c"
WORKSPACE = "0b8f2a7e-1c3d-4e5f-8a9b-0c1d2e3f4a5b"
PATHS = {"/api/admin/journeys": "journeys", "/api/admin/segments": "segments",
         "/api/admin/content/templates": "templates"}


class FakeDittofeed(LoopbackESP):
    key = ADMIN_KEY

    def __init__(self, templates: list[str] = ()) -> None:
        super().__init__()
        self.store: dict[str, dict[str, dict]] = {k: {} for k in PATHS.values()}
        for i, name in enumerate(templates):
            self.store["templates"][f"existing-{i}"] = {"id": f"existing-{i}", "workspaceId": WORKSPACE,
                                                        "name": name, "definition": {"type": "Email"}}
        self.journey_script = self.create_script

    @property
    def journeys(self) -> list[dict]:
        return list(self.store["journeys"].values())

    def error_body(self, status: int, message: str, field: str | None) -> dict:
        return {"statusCode": status, "error": {400: "Bad Request", 401: "Unauthorized"}.get(status, "Error"),
                "message": f"{field} {message}" if field else message}

    def handle(self, method, path, query, body, reply) -> None:
        kind = PATHS.get(path.rstrip("/"))
        if kind is None:
            return reply.error(404, f"Route {method}:{path} not found")
        if method == "GET":
            if (query.get("workspaceId") or [None])[0] != WORKSPACE:
                return reply.error(403, "the admin key does not belong to that workspace")
            return reply.reply(200, {kind: list(self.store[kind].values())})
        if method != "PUT":
            return reply.error(404, f"Route {method}:{path} not found")
        for required in ("id", "workspaceId", "name"):
            if not isinstance(body.get(required), str):
                return reply.error(400, "must be string", f"body/{required}")
        if body["workspaceId"] != WORKSPACE:
            return reply.error(403, "the admin key does not belong to that workspace")
        if kind == "journeys":
            step = self.next_step() if body.get("definition") else "ok"
            if step == "429":
                return reply.error(429, "Rate limit exceeded", headers={"Retry-After": "1"})
            if step == "500":
                return reply.error(500, "Internal Server Error")
            if isinstance(step, dict):
                return reply.error(400, step["message"], step["field"])
            problem = self._dangling(body) if body.get("definition") else None
            if problem:
                return reply.error(400, problem[1], problem[0])
        with self.lock:
            clash = next((x for x in self.store[kind].values() if x["name"] == body["name"] and x["id"] != body["id"]),
                         None)
            if clash:
                return reply.error(400, f"a {kind[:-1]} named {body['name']!r} already exists", "body/name")
            item = self.store[kind].setdefault(body["id"], {})
            item.update(copy.deepcopy(body))
        if kind == "journeys" and step == "hang":
            self.hold()
        reply.reply(200, item)

    def _dangling(self, journey: dict) -> tuple[str, str] | None:
        """A journey node naming a segment or template the workspace does not have (upserted first?)."""
        for i, node in enumerate(journey["definition"]["nodes"]):
            variant = node.get("variant") or {}
            refs = [("segments", variant.get("segment")), ("templates", variant.get("templateId"))]
            refs += [("segments", c.get("segmentId")) for c in node.get("segmentChildren") or []]
            for kind, ref in refs:
                if ref is not None and ref not in self.store[kind]:
                    return f"body/definition/nodes/{i}", f"refers to an unknown {kind[:-1]} {ref}"
        return None
