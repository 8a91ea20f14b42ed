"""Several runtime workers on one PostgreSQL store (the throwaway server the store tests start):
real ``serve`` processes and delivery workers, one held at a checkpoint while the other works,
then killed; every customer decided once, every message delivered once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

requests = pytest.importorskip("requests")
pytest.importorskip("psycopg2")

from tests.runtime.test_api import FLOW, HOUR, T0  # noqa: E402
from tests.runtime.test_delivery import Collector, _assert_rendered_cart, _kill_when_held  # noqa: E402
from tests.store.test_postgresql import pg, server  # noqa: E402,F401

ROOT = Path(__file__).resolve().parents[2]
SHOPPERS = 6
BOUND = 120  # seconds: only a bound on a hung test, never a pace the test relies on


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(hold: str | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("FLOW_RUNTIME_HOLD", None)
    env.pop("FLOW_RUNTIME_TOKEN", None)
    if hold:
        env["FLOW_RUNTIME_HOLD"] = hold
    return env


class Serve:
    def __init__(self, db: str, hold: str | None = None, workers: int = 1) -> None:
        self.port = _port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "main.py", "serve", "--db", db, "--clock", "manual",
                                      "--port", str(self.port), "--workers", str(workers)],
                                     cwd=ROOT, env=_env(hold), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + BOUND
        while True:  # until it answers: uvicorn listens once the app (and every worker) is up
            assert self.proc.poll() is None, "serve ended before it listened"
            assert time.monotonic() < deadline, "serve never answered"
            try:
                if requests.get(self.url + "/health", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)

    def call(self, method: str, path: str, **kw):
        r = requests.request(method, self.url + path, timeout=BOUND, **kw)
        assert r.status_code < 300, r.text
        return r.json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=BOUND)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def serves():
    made: list[Serve] = []

    def make(*a, **kw) -> Serve:
        made.append(Serve(*a, **kw))
        return made[-1]

    yield make
    for s in made:
        s.stop()


def _populate(b: Serve) -> None:
    b.call("POST", "/clock", json={"now": T0 - HOUR})
    b.call("PUT", f"/flows/{FLOW['id']}", json=FLOW)
    for i in range(SHOPPERS):
        name = f"shopper{i}"
        b.call("PUT", f"/customers/{name}", json={"email": f"{name}@example.com", "consent": True,
                                                  "properties": {"consent": True}})
        b.call("POST", "/events", json={"customer": name, "event": "add_to_cart", "time": T0 + i * 60_000,
                                        "properties": {"cart_id": "c1", "price": 150}})


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_two_serve_processes_share_the_decisions_and_take_over_a_dead_ones_claim(pg, serves, tmp_path):
    marker = tmp_path / "held"
    b = serves(pg, workers=2)  # uvicorn's own worker processes, beside a second serve command
    _populate(b)
    a = serves(pg, hold=f"decide:{marker}")
    end = T0 + 3 * HOUR
    # A moves the clock and is held with its first claimed customer decided but not committed.
    def held_call() -> None:
        try:
            requests.post(a.url + "/clock", json={"now": end}, timeout=BOUND)
        except requests.ConnectionError:
            pass  # A is killed while it holds this call

    threading.Thread(target=held_call, daemon=True).start()
    _wait_until(marker.exists, "the first worker never reached the checkpoint")
    # B decides every other customer meanwhile (SKIP LOCKED passes over A's), then waits for A's.
    answer: dict = {}
    threading.Thread(target=lambda: answer.update(r=requests.post(b.url + "/clock", json={"now": end},
                                                                  timeout=BOUND)), daemon=True).start()
    _wait_until(lambda: len(b.call("GET", "/messages")["messages"]) == SHOPPERS - 1,
                "the second worker did not decide the customers the first does not hold")
    assert "r" not in answer  # B is waiting for the customer A holds
    os.kill(int(marker.read_text()), signal.SIGKILL)  # A dies mid-decision: its transaction rolls back
    a.proc.wait(timeout=BOUND)
    _wait_until(lambda: "r" in answer, "the second worker never took over the dead worker's claim")
    assert answer["r"].status_code == 200
    msgs = b.call("GET", "/messages")["messages"]
    assert sorted((m["customer"], m["node"], m["time_ms"], m["status"]) for m in msgs) == [
        (f"shopper{i}", "n5", T0 + i * 60_000 + HOUR, "queued") for i in range(SHOPPERS)]
    # A restarted worker finds nothing left to decide: nothing is decided twice.
    again = serves(pg)
    again.call("POST", "/clock", json={"now": end + 1})
    assert len(again.call("GET", "/messages")["messages"]) == SHOPPERS


@pytest.fixture
def smtp():
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    port = _port()
    handler = Collector()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _delivery(db: str, port: int, hold: str | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "designer.runtime.delivery", "--db", db,
                             "--smtp", f"127.0.0.1:{port}"], cwd=ROOT, env=_env(hold))


def test_two_delivery_workers_share_the_outbox_and_a_dead_ones_message_is_sent_once(pg, serves, smtp, tmp_path):
    handler, port = smtp
    b = serves(pg)
    _populate(b)
    b.call("POST", "/clock", json={"now": T0 + 3 * HOUR})
    assert len(b.call("GET", "/messages", params={"status": "queued"})["messages"]) == SHOPPERS
    marker = tmp_path / "held"
    held = _delivery(pg, port, f"claimed:{marker}")
    _wait_until(marker.exists, "the first delivery worker never claimed a message")
    other = _delivery(pg, port)
    assert other.wait(timeout=BOUND) == 0  # sends all but the held one, which it skips
    assert len(set(handler.ids)) == SHOPPERS - 1
    _kill_when_held(held, marker)
    last = _delivery(pg, port)
    assert last.wait(timeout=BOUND) == 0
    assert Counter(Counter(handler.ids).values()) == Counter({1: SHOPPERS})  # every message once
    assert Counter(m["status"] for m in b.call("GET", "/messages")["messages"]) == Counter({"sent": SHOPPERS})
    _assert_rendered_cart(message_from_bytes(handler.bodies[-1], policy=default))


def test_several_workers_on_sqlite_are_refused(tmp_path):
    r = subprocess.run([sys.executable, "main.py", "serve", "--db", str(tmp_path / "s.db"), "--workers", "2"],
                       cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=BOUND)
    assert r.returncode == 1 and "PostgreSQL" in r.stderr and "Traceback" not in r.stderr
