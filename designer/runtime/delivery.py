"""The delivery worker: sends queued outbox rows and marks them sent.

Each row goes ``queued`` -> ``sending`` (claimed, committed) -> SMTP -> ``sent``
(committed). A crash leaves a row ``queued`` or ``sending``; on start the worker
sends every ``sending`` row again, with the same ``Message-ID``.

Guarantee per channel:

* email (SMTP): no message is lost (a row leaves ``sending`` only once the
  server accepted it); a crash after the server accepted the message and before
  the row was marked sends it once more with the same ``Message-ID``, so it is
  delivered once to anything that deduplicates by Message-ID (MTAs and mailbox
  providers do), at least once on the wire. SMTP has no way to ask a server
  whether it already has a message, so no sender can do better.
* a failure (refused, unreachable) retries with backoff (``next_try``), and after
  :data:`MAX_ATTEMPTS` the row ends ``failed`` with the reason.

Between the steps the worker passes named checkpoints; with
``FLOW_RUNTIME_HOLD=<name>:<file>`` it writes ``<file>`` there and stops
(waits forever), so a test can kill it at exactly that point.
"""

from __future__ import annotations

import argparse
import html
import os
import smtplib
import time
from pathlib import Path

from sqlalchemy import select, update

from designer.publish.delivery import Outgoing, SmtpSender
from designer.runtime import tables as t
from designer.store.db import open_store
from designer.store.schema import customers

MAX_ATTEMPTS = 5


def render_subject(template: str, context: dict) -> str:
    """The subject line through jinja2's sandbox (plain text: no HTML escaping); a template that
    fails to render is sent as written rather than lost."""
    from jinja2 import TemplateError
    from jinja2.sandbox import SandboxedEnvironment

    try:
        known = {k: v for k, v in context.items() if v is not None}  # unknown stays undefined: `default` applies
        return SandboxedEnvironment(autoescape=False).from_string(template).render(**known)
    except TemplateError:
        return template


def checkpoint(name: str) -> None:
    hold = os.environ.get("FLOW_RUNTIME_HOLD", "")
    wanted, _, marker = hold.partition(":")
    if wanted == name and marker:
        Path(marker).write_text(str(os.getpid()))
        while True:  # held here until the process is killed
            time.sleep(3600)


class DeliveryWorker:
    def __init__(self, engine, sender: SmtpSender) -> None:
        self.engine = engine
        self.sender = sender
        t.create_tables(engine)

    def _next(self):
        with self.engine.begin() as conn:
            row = conn.execute(select(t.outbox, customers.c.email, customers.c.first_name)
                               .join(customers, customers.c.id == t.outbox.c.customer_id)
                               .where(t.outbox.c.status.in_(("sending", "queued")),
                                      t.outbox.c.channel == "email")
                               .order_by(t.outbox.c.status.desc(), t.outbox.c.id).limit(1)).first()
            if row is None:
                return None
            # "sending" sorts after "queued" descending: rows left mid-send by a crash go first.
            conn.execute(update(t.outbox).where(t.outbox.c.id == row.id)
                         .values(status="sending", attempts=t.outbox.c.attempts + 1))
            return row

    def deliver_all(self) -> int:
        """Send until nothing is queued; returns how many were sent."""
        sent = 0
        while (row := self._next()) is not None:
            checkpoint("claimed")
            subject = render_subject(row.subject or "", {"first_name": row.first_name, "email": row.email})
            if not row.email:
                self._finish(row.id, "failed", "the customer has no email address")
                continue
            msg = Outgoing(row.id, row.email, subject, subject,
                           f"<p>{html.escape(subject)}</p>")
            try:
                self.sender.send(msg)
            except (smtplib.SMTPException, OSError) as exc:
                final = row.attempts + 1 >= MAX_ATTEMPTS
                self._finish(row.id, "failed" if final else "queued", str(exc))
                if not final:
                    time.sleep(min(30.0, 0.5 * 2 ** row.attempts))  # backoff before the next try
                continue
            checkpoint("sent")
            self._finish(row.id, "sent", None)
            sent += 1
        return sent

    def _finish(self, row_id: int, status: str, reason: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(t.outbox).where(t.outbox.c.id == row_id).values(status=status, reason=reason))


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
