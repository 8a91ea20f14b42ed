"""Several runtime workers on one PostgreSQL store (the throwaway server the store tests start):
real ``serve`` processes and delivery workers, one held at a checkpoint while the other works,
then killed; every customer decided once, every message delivered once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from email import message_from_bytes
from email.policy import default

import pytest

requests = pytest.importorskip("requests")
pytest.importorskip("psycopg2")

from tests.runtime.processes import (BOUND, ROOT, SHOPPERS, child_env, delivery,  # noqa: E402,F401
                                     expected_messages, populate, serves, smtp_server, wait_until)
from tests.runtime.test_api import HOUR, T0  # noqa: E402
from tests.runtime.test_delivery import _assert_rendered_cart, _kill_when_held  # noqa: E402
from tests.store.test_postgresql import pg, server  # noqa: E402,F401


def test_two_serve_processes_share_the_decisions_and_take_over_a_dead_ones_claim(pg, serves, tmp_path):
    marker = tmp_path / "held"
    b = serves(pg, workers=2)  # uvicorn's own worker processes, beside a second serve command
    populate(b)
    a = serves(pg, hold=f"decide:{marker}")
    end = T0 + 3 * HOUR
    # A moves the clock and is held with its first claimed customer decided but not committed.
    def held_call() -> None:
        try:
            requests.post(a.url + "/clock", json={"now": end}, timeout=BOUND)
        except requests.ConnectionError:
            pass  # A is killed while it holds this call

    threading.Thread(target=held_call, daemon=True).start()
    wait_until(marker.exists, "the first worker never reached the checkpoint")
    # B decides every other customer meanwhile (SKIP LOCKED passes over A's), then waits for A's.
    answer: dict = {}
    threading.Thread(target=lambda: answer.update(r=requests.post(b.url + "/clock", json={"now": end},
                                                                  timeout=BOUND)), daemon=True).start()
    wait_until(lambda: len(b.call("GET", "/messages")["messages"]) == SHOPPERS - 1,
                "the second worker did not decide the customers the first does not hold")
    assert "r" not in answer  # B is waiting for the customer A holds
    os.kill(int(marker.read_text()), signal.SIGKILL)  # A dies mid-decision: its transaction rolls back
    a.proc.wait(timeout=BOUND)
    wait_until(lambda: "r" in answer, "the second worker never took over the dead worker's claim")
    assert answer["r"].status_code == 200
    msgs = b.call("GET", "/messages")["messages"]
    assert sorted((m["customer"], m["node"], m["time_ms"]) for m in msgs) == expected_messages()
    assert {m["status"] for m in msgs} == {"queued"}
    # A restarted worker finds nothing left to decide: nothing is decided twice.
    again = serves(pg)
    again.call("POST", "/clock", json={"now": end + 1})
    assert len(again.call("GET", "/messages")["messages"]) == SHOPPERS


def test_two_delivery_workers_share_the_outbox_and_a_dead_ones_message_is_sent_once(pg, serves, smtp_server, tmp_path):
    handler, port = smtp_server
    b = serves(pg)
    populate(b)
    b.call("POST", "/clock", json={"now": T0 + 3 * HOUR})
    assert len(b.call("GET", "/messages", params={"status": "queued"})["messages"]) == SHOPPERS
    marker = tmp_path / "held"
    held = delivery(pg, port, f"claimed:{marker}")
    wait_until(marker.exists, "the first delivery worker never claimed a message")
    other = delivery(pg, port)
    assert other.wait(timeout=BOUND) == 0  # sends all but the held one, which it skips
    assert len(set(handler.ids)) == SHOPPERS - 1
    _kill_when_held(held, marker)
    last = delivery(pg, port)
    assert last.wait(timeout=BOUND) == 0
    assert Counter(Counter(handler.ids).values()) == Counter({1: SHOPPERS})  # every message once
    assert Counter(m["status"] for m in b.call("GET", "/messages")["messages"]) == Counter({"sent": SHOPPERS})
    _assert_rendered_cart(message_from_bytes(handler.bodies[-1], policy=default))


def test_several_workers_on_sqlite_are_refused(tmp_path):
    r = subprocess.run([sys.executable, "main.py", "serve", "--db", str(tmp_path / "s.db"), "--workers", "2"],
                       cwd=ROOT, env=child_env(), capture_output=True, text=True, timeout=BOUND)
    assert r.returncode == 1 and "PostgreSQL" in r.stderr and "Traceback" not in r.stderr
