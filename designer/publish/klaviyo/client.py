"""Klaviyo's REST API: the few calls publishing and pulling need.

One session carries the key, the API revision and the JSON:API content type
on every call; idempotent calls are retried by :mod:`designer.publish.http`,
creates are not (the publisher looks before it tries again). Errors come back
as :class:`ApiError` with Klaviyo's JSON:API error objects, never with the key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import requests

from designer.publish.http import RetryPolicy, make_session, retries_of

DEFAULT_BASE_URL = "https://a.klaviyo.com"
#: The API revision of the OpenAPI description the compiler follows.
REVISION = "2026-07-15"
JSONAPI = "application/vnd.api+json"


class Unreachable(Exception):
    """No answer: a timeout, a refused or reset connection."""


@dataclass
class ApiError(Exception):
    status: int
    errors: list[dict] = field(default_factory=list)
    text: str = ""
    #: Seconds the server asked to wait (429's ``Retry-After``), if it said.
    retry_after: float | None = None

    def __str__(self) -> str:
        if not self.errors:
            return f"HTTP {self.status}: {self.text[:200]}"
        return "; ".join(_describe(e) for e in self.errors)

    @property
    def refuses_key(self) -> bool:
        return self.status in (401, 403)


def _describe(err: dict) -> str:
    text = ": ".join(x for x in (err.get("title"), err.get("detail")) if x) or err.get("code") or "error"
    pointer = (err.get("source") or {}).get("pointer")
    return f"{text} (at {pointer})" if pointer else text


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def quote_filter(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class KlaviyoClient:
    def __init__(self, key: str, *, base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0,
                 policy: RetryPolicy | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = 0
        self.session = make_session({"Authorization": f"Klaviyo-API-Key {key}", "revision": REVISION,
                                     "Accept": JSONAPI, "Content-Type": JSONAPI}, policy)

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, path_or_url: str, *, params: dict | None = None,
                body: dict | None = None) -> dict:
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        try:
            resp = self.session.request(method, url, params=params, json=body, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise Unreachable(f"{method} {url.split('?')[0]}: {type(exc).__name__}") from None
        except requests.exceptions.RetryError:  # retries used up
            raise Unreachable(f"{method} {url.split('?')[0]}: gave up after retries") from None
        self.retries += retries_of(resp)
        if resp.status_code >= 400:
            try:
                errors = resp.json().get("errors") or []
            except ValueError:
                errors = []
            raise ApiError(resp.status_code, errors if isinstance(errors, list) else [], resp.text,
                           _seconds(resp.headers.get("Retry-After")))
        if resp.status_code == 204 or not resp.content:
            return {}
        return resp.json()

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
