"""Klaviyo's REST API: the few calls publishing and pulling need.

One session (the shared :class:`designer.publish.api.ApiClient`) carries the
key, the API revision and the JSON:API content type on every call; idempotent
calls are retried by :mod:`designer.publish.http`, creates are not (the
publisher looks before it tries again). Errors come back as :class:`ApiError`
with Klaviyo's JSON:API error objects (field: ``source.pointer``), never with the key.
"""

from __future__ import annotations

from collections.abc import Iterator

from designer.publish.api import ApiClient, ApiError, FieldError, Unreachable
from designer.publish.http import RetryPolicy

__all__ = ["ApiError", "DEFAULT_BASE_URL", "KlaviyoClient", "Unreachable", "quote_filter"]

DEFAULT_BASE_URL = "https://a.klaviyo.com"
#: The API revision of the OpenAPI description the compiler follows.
REVISION = "2026-07-15"
JSONAPI = "application/vnd.api+json"


def _describe(err: dict) -> FieldError:
    text = ": ".join(x for x in (err.get("title"), err.get("detail")) if x) or err.get("code") or "error"
    return FieldError(str(text), (err.get("source") or {}).get("pointer"))


def quote_filter(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class KlaviyoClient(ApiClient):
    target = "klaviyo"

    def __init__(self, key: str, *, base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0,
                 policy: RetryPolicy | None = None) -> None:
        super().__init__({"Authorization": f"Klaviyo-API-Key {key}", "revision": REVISION,
                          "Accept": JSONAPI, "Content-Type": JSONAPI}, base_url=base_url, timeout=timeout,
                         policy=policy)

    def parse_errors(self, data: object) -> tuple[list[FieldError], list[dict]]:
        """JSON:API errors: ``title``/``detail`` and the field in ``source.pointer``."""
        errors = data.get("errors") if isinstance(data, dict) else None
        if not isinstance(errors, list):
            return [], []
        errors = [e for e in errors if isinstance(e, dict)]
        return [_describe(e) for e in errors], errors

    def pages(self, path: str, params: dict | None = None) -> Iterator[dict]:
        """Every resource of a list, following ``links.next`` page by page."""
        page = self.request("GET", path, params=params)
        while True:
            yield from page.get("data") or []
            nxt = (page.get("links") or {}).get("next")
            if not nxt:
                return
            page = self.request("GET", nxt)

    # -- resources ---------------------------------------------------------
    def names_to_ids(self, path: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in self.pages(path):
            out.setdefault(item["attributes"]["name"], item["id"])
        return out

    def find_flows(self, name: str) -> list[dict]:
        return list(self.pages("/api/flows", {"filter": f"equals(name,{quote_filter(name)})"}))

    def list_flows(self) -> list[dict]:
        return list(self.pages("/api/flows"))

    def get_flow(self, flow_id: str) -> dict:
        return self.request("GET", f"/api/flows/{flow_id}",
                            params={"additional-fields[flow]": "definition"})["data"]

    def create_flow(self, body: dict) -> dict:
        return self.request("POST", "/api/flows", body=body)["data"]

    def set_flow_status(self, flow_id: str, status: str) -> dict:
        return self.request("PATCH", f"/api/flows/{flow_id}", body={
            "data": {"type": "flow", "id": flow_id, "attributes": {"status": status}}})

    def create_template(self, name: str, html: str) -> str:
        return self.request("POST", "/api/templates", body={"data": {"type": "template", "attributes": {
            "name": name, "editor_type": "CODE", "html": html}}})["data"]["id"]

    def create_list(self, name: str) -> str:
        return self.request("POST", "/api/lists", body={
            "data": {"type": "list", "attributes": {"name": name}}})["data"]["id"]

    def check(self) -> None:
        """One cheap authenticated call (Test Connection)."""
        self.request("GET", "/api/accounts")
