"""Delivery across a crash: a real worker process killed at a checkpoint it is held at, then
restarted; every outbox message reaches the SMTP server, under one stable Message-ID."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd.controller")

from tests.runtime.test_api import FLOW, HOUR, T0, _shopper  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


class Collector:
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.bodies: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content)
        self.ids.append(msg["Message-ID"])
        self.bodies.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Collector()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _queued_store(make_client, tmp_path, n: int = 3) -> Path:
    client = make_client()
    client.post("/clock", json={"now": T0 - HOUR})
    client.put(f"/flows/{FLOW['id']}", json=FLOW)
    for i in range(n):
        _shopper(client, f"shopper{i}", T0 + i * 60_000)
    client.post("/clock", json={"now": T0 + 2 * HOUR})
    assert len(client.get("/messages", params={"status": "queued"}).json()["messages"]) == n
    return tmp_path / "runtime.db"


def _worker(db: Path, port: int, hold: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("FLOW_RUNTIME_HOLD", None)
    if hold:
        env["FLOW_RUNTIME_HOLD"] = hold
    return subprocess.Popen([sys.executable, "-m", "designer.runtime.delivery", "--db", str(db),
                             "--smtp", f"127.0.0.1:{port}"], cwd=ROOT, env=env)


def _kill_when_held(proc: subprocess.Popen, marker: Path) -> None:
    deadline = time.monotonic() + 120  # only a bound on a hung test: the worker writes the marker when held
    while not marker.exists():
        assert proc.poll() is None, "the worker ended before reaching the checkpoint"
        assert time.monotonic() < deadline, "the worker never reached the checkpoint"
        time.sleep(0.05)
    proc.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no clean-up runs
    proc.wait()


def _assert_rendered_cart(msg) -> None:
    """The template's body for that shopper's cart (one item at 150), not a stand-in: both parts."""
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "your cart is saved" in html and "Total $150.00" in html and "cart?id=c1" in html
    assert "your cart is saved" in text and "Return to your cart" in text


def _statuses(make_client) -> Counter:
    client = make_client()
    return Counter(m["status"] for m in client.get("/messages").json()["messages"])


@pytest.mark.parametrize("point", ["claimed", "sent"])
def test_a_worker_killed_mid_delivery_loses_and_doubles_nothing(point, make_client, tmp_path, smtp):
    handler, port = smtp
    db = _queued_store(make_client, tmp_path)
    marker = tmp_path / "held"
    _kill_when_held(_worker(db, port, f"{point}:{marker}"), marker)
    before = list(handler.ids)
    assert len(before) == (1 if point == "sent" else 0)  # killed after / before the server took the first
    restarted = _worker(db, port)
    assert restarted.wait(timeout=120) == 0
    assert _statuses(make_client) == Counter({"sent": 3})
    ids = Counter(handler.ids)
    assert len(ids) == 3  # every message arrived
    if point == "claimed":
        assert set(ids.values()) == {1}  # nothing reached the server before the crash: once on the wire
    else:
        # The one accepted but not yet marked is sent again, under the same Message-ID.
        assert ids[before[0]] == 2 and sorted(ids.values()) == [1, 1, 2]
    first = message_from_bytes(handler.bodies[-1], policy=default)
    assert first["Subject"] == "Hi, you left something behind"  # rendered: the shoppers have no first name
    _assert_rendered_cart(first)
    again = _worker(db, port)
    assert again.wait(timeout=120) == 0
    assert len(handler.ids) == sum(ids.values())  # a worker over a delivered outbox sends nothing


def test_a_message_that_does_not_render_fails_with_the_problem_and_sends_nothing(make_client, tmp_path, smtp):
    import copy

    from designer.publish.delivery import SmtpSender
    from designer.runtime.delivery import DeliveryWorker

    handler, port = smtp
    client = make_client()
    client.post("/clock", json={"now": T0 - HOUR})
    broken = copy.deepcopy(FLOW)
    send = next(n for n in broken["nodes"] if n["id"] == "n5")
    send["config"]["template"] = "no_such_template"
    assert client.put(f"/flows/{FLOW['id']}", json=broken).status_code == 200
    _shopper(client, "ann", T0)
    client.post("/clock", json={"now": T0 + 2 * HOUR})
    from designer.store.db import open_store

    engine = open_store(tmp_path / "runtime.db")
    assert DeliveryWorker(engine, SmtpSender("127.0.0.1", port, "shop@example.com")).deliver_all() == 0
    engine.dispose()
    (msg,) = client.get("/messages").json()["messages"]
    assert msg["status"] == "failed" and "n5" in msg["reason"] and "no_such_template" in msg["reason"]
    assert handler.ids == []


def test_delivered_money_is_in_the_stores_currency(make_client, tmp_path, smtp):
    from designer.publish.delivery import SmtpSender
    from designer.runtime.delivery import DeliveryWorker
    from designer.store.db import open_store
    from designer.store.settings import set_store_currency

    handler, port = smtp
    db = _queued_store(make_client, tmp_path, n=1)
    engine = open_store(db)
    try:
        set_store_currency(engine, "EUR")
        assert DeliveryWorker(engine, SmtpSender("127.0.0.1", port, "shop@example.com")).deliver_all() == 1
    finally:
        engine.dispose()
    html = message_from_bytes(handler.bodies[-1], policy=default).get_body(("html",)).get_content()
    assert "Total €150.00" in html and "$" not in html
