"""Webhook steps delivered by the runtime: the rendered body to a receiver on loopback, with a
stable Idempotency-Key, repeated by urllib3's Retry after a 503 and kept failed after the tries."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from designer.publish.delivery import WebhookSender
from designer.publish.http import RetryPolicy
from designer.runtime.delivery import MAX_ATTEMPTS, DeliveryWorker
from tests.runtime.test_api import HOUR, T0


class Receiver:
    """An HTTP server on loopback that answers each call with the next status of ``answers``."""

    def __init__(self, answers: list[int]) -> None:
        self.calls: list[tuple[str, str, str, str]] = []
        self.answers = answers
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server hook's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                outer.calls.append((self.command, self.path, self.headers.get("Idempotency-Key"), body))
                status = outer.answers.pop(0) if outer.answers else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/cart"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _flow(url: str) -> dict:
    return {"format": "trigger-flow", "version": 1, "id": "cart-hook", "name": "Cart hook",
            "settings": {"timezone": "UTC"},
            "nodes": [{"id": "n1", "kind": "trigger", "x": 0, "y": 0, "config": {"event": "add_to_cart"}},
                      {"id": "n2", "kind": "webhook", "x": 0, "y": 100,
                       "config": {"url": url, "method": "POST",
                                  "body": '{"customer": "{{ external_id }}", "cart": "{{ event.cart_id }}"}'}}],
            "edges": [{"from": "n1", "to": "n2"}]}


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(answers: list[int]) -> Receiver:
        made.append(Receiver(answers))
        return made[-1]

    yield make
    for r in made:
        r.close()


def _decided(make_client, url: str):
    client = make_client()
    client.post("/clock", json={"now": T0 - HOUR})
    assert client.put("/flows/cart-hook", json=_flow(url)).status_code == 200, "the flow deploys"
    for name in ("ann", "bob"):
        client.post("/events", json={"customer": name, "event": "add_to_cart", "time": T0,
                                     "properties": {"cart_id": f"cart-{name}"}})
    client.post("/clock", json={"now": T0 + HOUR})
    assert [m["status"] for m in client.get("/messages").json()["messages"]] == ["queued", "queued"]
    return client


def test_webhook_calls_carry_the_rendered_body_and_a_stable_key_and_are_retried(make_client, receiver, tmp_path):
    from designer.store.db import open_store

    hook = receiver([503])  # the first call fails: urllib3's Retry repeats it (POST, with the key)
    client = _decided(make_client, hook.url)
    engine = open_store(tmp_path / "runtime.db")
    fast = RetryPolicy(total=3, backoff_factor=0.0, backoff_jitter=0.0,
                       methods=frozenset({"POST"}))
    worker = DeliveryWorker(engine, None, WebhookSender(policy=fast))
    assert worker.deliver_all() == 2
    engine.dispose()
    assert len(hook.calls) == 3  # ann's call twice (503, then 200), bob's once
    first, retried, other = hook.calls
    assert first[2] == retried[2] != other[2] and first[2].startswith("outbox-")
    bodies = sorted((json.loads(c[3]) for c in (retried, other)), key=lambda b: b["customer"])
    assert bodies == [{"cart": "cart-ann", "customer": "ann"}, {"cart": "cart-bob", "customer": "bob"}]
    assert {m["status"] for m in client.get("/messages").json()["messages"]} == {"sent"}


def test_a_webhook_that_keeps_refusing_ends_failed_with_the_reason(make_client, receiver, tmp_path, monkeypatch):
    from designer.runtime import delivery
    from designer.store.db import open_store

    hook = receiver([500] * 100)
    client = _decided(make_client, hook.url)
    monkeypatch.setattr(delivery.time, "sleep", lambda _s: None)  # the backoff between tries, not under test
    engine = open_store(tmp_path / "runtime.db")
    once = RetryPolicy(total=0, backoff_factor=0.0, backoff_jitter=0.0)
    assert DeliveryWorker(engine, None, WebhookSender(policy=once)).deliver_all() == 0
    engine.dispose()
    msgs = client.get("/messages").json()["messages"]
    assert [m["status"] for m in msgs] == ["failed", "failed"]
    assert all("HTTP 500" in m["reason"] for m in msgs)
    assert len(hook.calls) == 2 * MAX_ATTEMPTS
