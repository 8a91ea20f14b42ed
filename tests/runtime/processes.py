"""Real runtime processes for the tests: ``serve`` on a port of its own, delivery workers, an SMTP
server on loopback, and waiting on conditions (never on time) with a bound for a hung test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.runtime.test_api import FLOW, HOUR, T0
from tests.runtime.test_delivery import Collector

ROOT = Path(__file__).resolve().parents[2]
SHOPPERS = 6
BOUND = 120  # seconds: only a bound on a hung test, never a pace the test relies on


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(hold: str | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("FLOW_RUNTIME_HOLD", None)
    env.pop("FLOW_RUNTIME_TOKEN", None)
    if hold:
        env["FLOW_RUNTIME_HOLD"] = hold
    return env


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


class Serve:
    """``python main.py serve --clock manual`` over ``db``; ``hold``: a checkpoint to stop at."""

    def __init__(self, db: str, hold: str | None = None, workers: int = 1, smtp_port: int | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "main.py", "serve", "--db", str(db), "--clock", "manual", "--port", str(self.port),
                "--workers", str(workers)]
        if smtp_port:
            args += ["--smtp", f"127.0.0.1:{smtp_port}"]
        self.proc = subprocess.Popen(args, cwd=ROOT, env=child_env(hold), stdout=subprocess.DEVNULL,
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

    def post_quietly(self, path: str, body) -> None:
        """A call the process is killed during (it never answers)."""
        try:
            requests.post(self.url + path, json=body, timeout=BOUND)
        except requests.ConnectionError:
            pass

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no clean-up runs
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=BOUND)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def serves():
    made: list[Serve] = []

    def make(*a, **kw) -> Serve:
        made.append(Serve(*a, **kw))
        return made[-1]

    yield make
    for s in made:
        s.stop()


def shopper_events(i: int) -> dict:
    return {"customer": f"shopper{i}", "event": "add_to_cart", "time": T0 + i * 60_000,
            "properties": {"cart_id": "c1", "price": 150}}


def populate(b: Serve, events: bool = True) -> None:
    """The clock an hour before T0, the abandoned-cart flow, :data:`SHOPPERS` profiles (and their carts)."""
    b.call("POST", "/clock", json={"now": T0 - HOUR})
    b.call("PUT", f"/flows/{FLOW['id']}", json=FLOW)
    for i in range(SHOPPERS):
        name = f"shopper{i}"
        b.call("PUT", f"/customers/{name}", json={"email": f"{name}@example.com", "consent": True,
                                                  "properties": {"consent": True}})
    if events:
        b.call("POST", "/events", json=[shopper_events(i) for i in range(SHOPPERS)])


def expected_messages() -> list[tuple]:
    return [(f"shopper{i}", "n5", T0 + i * 60_000 + HOUR) for i in range(SHOPPERS)]


@pytest.fixture
def smtp_server():
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    port = free_port()
    handler = Collector()
    controller = aiosmtpd.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def delivery(db: str, port: int, hold: str | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "designer.runtime.delivery", "--db", str(db),
                             "--smtp", f"127.0.0.1:{port}"], cwd=ROOT, env=child_env(hold))
