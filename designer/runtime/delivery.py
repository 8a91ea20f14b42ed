"""The delivery worker: sends queued outbox email and marks it sent.

What goes out is the message designer/content renders for that customer at
that moment (:mod:`designer.runtime.messages`), with a ``Message-ID`` derived
from the outbox row, the same on every attempt.

Claims. On SQLite (one process) a row goes ``queued`` -> ``sending``
(committed) -> SMTP -> ``sent`` (committed); a crash leaves it ``queued`` or
``sending``, and the next run sends the ``sending`` rows again first. On
PostgreSQL, where several workers share the outbox, a row is claimed with
``SELECT ... FOR UPDATE SKIP LOCKED`` in a transaction that stays open while
the message is sent and commits it ``sent``: another worker skips it, and if
the worker dies its transaction rolls back, the row is ``queued`` again and
the next worker takes it over at once (see claims.py).

Guarantee per channel:

* email (SMTP): no message is lost (a row leaves ``queued``/``sending`` only
  once the server accepted it); a crash after the server accepted the message
  and before the row was marked sends it once more with the same
  ``Message-ID``, so it is delivered once to anything that deduplicates by
  Message-ID (MTAs and mailbox providers do), at least once on the wire. SMTP
  has no way to ask a server whether it already has a message, so no sender
  can do better.
* a failure (refused, unreachable) retries with backoff, and after
  :data:`MAX_ATTEMPTS` the row ends ``failed`` with the reason; a message
  that does not render ends ``failed`` at once, with the problem.

Between the steps the worker passes the checkpoints ``claimed`` and ``sent``
(see checkpoints.py), so a test can kill it at exactly that point.
"""

from __future__ import annotations

import argparse
import smtplib
import time

from sqlalchemy import select, update

from designer.publish.delivery import Outgoing, SmtpSender
from designer.runtime import claims
from designer.runtime import tables as t
from designer.runtime.checkpoints import checkpoint
from designer.runtime.messages import MessageBuilder, NotRenderable
from designer.store.db import open_store
from designer.store.schema import customers

MAX_ATTEMPTS = 5


class DeliveryWorker:
    def __init__(self, engine, sender: SmtpSender) -> None:
        self.engine = engine
        self.sender = sender
        self.builder = MessageBuilder(engine)
        t.create_tables(engine)

    def _pending(self):
        return (select(t.outbox, customers.c.email).join(customers, customers.c.id == t.outbox.c.customer_id)
                .where(t.outbox.c.status.in_(("sending", "queued")), t.outbox.c.channel == "email")
                # "sending" sorts after "queued" descending: rows left mid-send by a crash go first.
                .order_by(t.outbox.c.status.desc(), t.outbox.c.id).limit(1))

    def deliver_all(self) -> int:
        """Send until nothing is left to claim; returns how many were sent."""
        sent = 0
        one = self._one_shared if claims.shared(self.engine) else self._one_alone
        while (outcome := one()) is not None:
            sent += outcome
        return sent

    def _one_alone(self) -> int | None:
        with self.engine.begin() as conn:
            row = conn.execute(self._pending()).first()
            if row is None:
                return None
            conn.execute(update(t.outbox).where(t.outbox.c.id == row.id)
                         .values(status="sending", attempts=t.outbox.c.attempts + 1))
        status, reason = self._send(row)
        with self.engine.begin() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == row.id).values(status=status, reason=reason))
        return self._after(row, status)

    def _one_shared(self) -> int | None:
        with self.engine.begin() as conn:
            row = conn.execute(self._pending().with_for_update(skip_locked=True, of=t.outbox)).first()
            if row is None:
                return None
            status, reason = self._send(row)
            conn.execute(update(t.outbox).where(t.outbox.c.id == row.id)
                         .values(status=status, reason=reason, attempts=t.outbox.c.attempts + 1))
        return self._after(row, status)

    def _send(self, row) -> tuple[str, str | None]:
        """Render and send one claimed row: its new status and the reason."""
        checkpoint("claimed")
        if not row.email:
            return "failed", "the customer has no email address"
        try:
            msg = self.builder.render(row)
        except NotRenderable as exc:
            return "failed", str(exc)
        try:
            self.sender.send(Outgoing(row.id, row.email, msg.subject, msg.text, msg.html, msg.from_name))
        except (smtplib.SMTPException, OSError) as exc:
            return ("failed" if row.attempts + 1 >= MAX_ATTEMPTS else "queued"), str(exc)
        checkpoint("sent")
        return "sent", None

    def _after(self, row, status: str) -> int:
        if status == "queued":  # a failure to retry: back off before the next try
            time.sleep(min(30.0, 0.5 * 2 ** row.attempts))
        return int(status == "sent")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="deliver the runtime's queued email once")
    p.add_argument("--db", required=True)
    p.add_argument("--smtp", required=True, metavar="HOST:PORT")
    p.add_argument("--from", dest="sender", default="shop@example.com")
    args = p.parse_args(argv)
    host, _, port = args.smtp.rpartition(":")
    worker = DeliveryWorker(open_store(args.db), SmtpSender(host, int(port), args.sender))
    print(worker.deliver_all())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
