"""kill -9 of a real ``serve`` process, held at a checkpoint rather than raced: during ingestion,
mid-decision, and during delivery to an SMTP server on loopback; after a restart every event is
stored once, every customer decided once and every message delivered once."""

from __future__ import annotations

import threading
from collections import Counter
from email import message_from_bytes
from email.policy import default

import pytest

pytest.importorskip("requests")

from tests.runtime.processes import (SHOPPERS, expected_messages, populate, serves,  # noqa: E402,F401
                                     shopper_events, smtp_server, wait_until)
from tests.runtime.test_api import HOUR, T0  # noqa: E402
from tests.runtime.test_delivery import _assert_rendered_cart  # noqa: E402


def _held(serve, marker, path: str, body) -> None:
    threading.Thread(target=serve.post_quietly, args=(path, body), daemon=True).start()
    wait_until(lambda: marker.exists() or serve.proc.poll() is not None, "the server never reached the checkpoint")
    assert serve.proc.poll() is None, "the server ended instead of holding"
    serve.kill()


def _outbox(serve) -> list[tuple]:
    return sorted((m["customer"], m["node"], m["time_ms"]) for m in serve.call("GET", "/messages")["messages"])


def test_killed_during_ingestion_the_batch_is_lost_whole_and_posting_it_again_stores_it_once(serves, tmp_path):
    db, marker = tmp_path / "runtime.db", tmp_path / "held"
    first = serves(db, hold=f"ingested:{marker}")
    populate(first, events=False)
    batch = [shopper_events(i) for i in range(SHOPPERS)]
    _held(first, marker, "/events", batch)  # written, not committed: the client got no answer
    again = serves(db)
    assert again.call("GET", "/messages")["messages"] == []
    answer = again.call("POST", "/events", json=batch)  # the client posts the unanswered batch again
    assert (answer["accepted"], answer["duplicates"]) == (SHOPPERS, 0)
    assert again.call("POST", "/events", json=batch)["duplicates"] == SHOPPERS  # and a third time: dedupe
    again.call("POST", "/clock", json={"now": T0 + 3 * HOUR})
    assert _outbox(again) == expected_messages()


def test_killed_mid_decision_the_decision_is_made_once_after_the_restart(serves, tmp_path):
    db, marker = tmp_path / "runtime.db", tmp_path / "held"
    first = serves(db, hold=f"decide:{marker}")
    populate(first)
    _held(first, marker, "/clock", {"now": T0 + 3 * HOUR})  # a decision made, not committed
    again = serves(db)  # the clock's move was committed: what was due runs on the restart
    again.call("POST", "/clock", json={"now": T0 + 3 * HOUR})  # answers once all of it has run
    assert _outbox(again) == expected_messages()


@pytest.mark.parametrize("point", ["claimed", "sent"])
def test_killed_during_delivery_every_message_arrives_once(point, serves, smtp_server, tmp_path):
    handler, port = smtp_server
    db, marker = tmp_path / "runtime.db", tmp_path / "held"
    first = serves(db, hold=f"{point}:{marker}", smtp_port=port)
    populate(first)
    first.call("POST", "/clock", json={"now": T0 + 3 * HOUR})  # queued; the delivery thread takes the first
    wait_until(marker.exists, "the delivery thread never reached the checkpoint")
    first.kill()
    before = list(handler.ids)
    assert len(before) == (1 if point == "sent" else 0)
    again = serves(db, smtp_port=port)
    wait_until(lambda: Counter(m["status"] for m in again.call("GET", "/messages")["messages"])
               == Counter({"sent": SHOPPERS}), "the restarted server did not deliver the outbox")
    ids = Counter(handler.ids)
    assert len(ids) == SHOPPERS  # every message arrived
    if point == "claimed":
        assert set(ids.values()) == {1}  # nothing reached the server before the crash: once on the wire
    else:
        # Accepted by the SMTP server but not yet marked: sent again under the same Message-ID.
        assert ids[before[0]] == 2 and sorted(ids.values()) == [1] * (SHOPPERS - 1) + [2]
    _assert_rendered_cart(message_from_bytes(handler.bodies[-1], policy=default))
