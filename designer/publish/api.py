"""The part of every target's HTTP client that is the same for all of them.

One ``requests.Session`` per client (see :mod:`designer.publish.http` for the
retry policy), the base URL and per-call timeout, the count of retries made,
and one way of turning an error answer into :class:`ApiError`: each target
says how its error body names the field at fault (:meth:`ApiClient.parse_errors`),
and the publisher turns that field into the node it came from. The key lives
in the session's headers only; no message built here contains a header.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from designer.publish.http import RetryPolicy, make_session, retries_of


class Unreachable(Exception):
    """No answer: a timeout, a refused or reset connection, retries used up."""


@dataclass(frozen=True)
class FieldError:
    """One problem the server named: its text and the request field it points at (if it said)."""

    text: str
    field: str | None = None


@dataclass
class ApiError(Exception):
    status: int
    problems: list[FieldError] = field(default_factory=list)
    text: str = ""
    #: Seconds the server asked to wait (429's ``Retry-After``), if it said.
    retry_after: float | None = None
    #: The target's raw error objects, for callers that need more than text and field.
    errors: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        if not self.problems:
            return f"HTTP {self.status}: {self.text[:200]}"
        return "; ".join(f"{p.text} (at {p.field})" if p.field else p.text for p in self.problems)

    @property
    def refuses_key(self) -> bool:
        return self.status in (401, 403)


def describe_errors(exc: ApiError, node_of_field: Callable[["str | None"], "str | None"]) -> str:
    """The server's problems, each with the field it named and the flow's node behind that field."""
    parts = []
    for p in exc.problems or [FieldError(f"HTTP {exc.status}")]:
        node = node_of_field(p.field)
        parts.append(p.text + (f" at {p.field}" if p.field else "") + (f" (node {node})" if node else ""))
    return "; ".join(parts)


def seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class ApiClient:
    """A target's API over one session; subclasses add the target's headers, errors and calls."""

    #: The target's name, as the CLI and the keyring know it.
    target = ""

    def __init__(self, headers: dict[str, str], *, base_url: str, timeout: float = 30.0,
                 policy: RetryPolicy | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = 0
        self.session = make_session(headers, policy)
        # A short one-way fingerprint of the credentials, never the key itself: enough to tell two
        # accounts apart in a publish record, useless for getting the key back.
        auth = headers.get("Authorization", "")
        self._key_print = hashlib.sha256(auth.encode("utf-8")).hexdigest()[:12] if auth else "none"

    def destination(self) -> str:
        """Where this client publishes (server and account), as the publish record keeps it, so a
        record made for one account is not taken for another's (a staging account, then the shop's)."""
        return f"{self.base_url} key:{self._key_print}"

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def parse_errors(self, data: object) -> tuple[list[FieldError], list[dict]]:
        """The problems in an error answer's JSON body (override per target): (problems, raw objects)."""
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return [FieldError(data["message"])], [data]
        return [], []

    def request(self, method: str, path_or_url: str, *, params: dict | None = None,
                body: dict | None = None) -> dict:
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        where = f"{method} {url.split('?')[0]}"
        try:
            resp = self.session.request(method, url, params=params, json=body, timeout=self.timeout)
        except requests.exceptions.RetryError:  # retries used up
            raise Unreachable(f"{where}: gave up after retries") from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise Unreachable(f"{where}: {type(exc).__name__}") from None
        self.retries += retries_of(resp)
        if resp.status_code >= 400:
            try:
                data = resp.json()
            except ValueError:
                data = None
            problems, raw = self.parse_errors(data)
            raise ApiError(resp.status_code, problems, resp.text, seconds(resp.headers.get("Retry-After")), raw)
        if resp.status_code == 204 or not resp.content:
            return {}
        return resp.json()
