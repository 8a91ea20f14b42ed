"""Sending one outbox message by SMTP or to a webhook, with an id that is the same on every attempt.

The Message-ID is derived from the outbox row (its id and the store's identity), so a
message sent again after a crash is recognisably the same message to every MTA and
mailbox on the way (see designer/runtime/delivery.py for the guarantee). A webhook call
carries the same id as its ``Idempotency-Key`` header, for a receiver to drop a repeat.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr


@dataclass(frozen=True)
class Outgoing:
    row_id: int
    to: str
    subject: str
    text: str
    html: str
    #: The From display name the message rendered with (the address is the sender's).
    from_name: str = ""


def message_id(row_id: int, domain: str) -> str:
    return f"<outbox-{row_id}@{domain}>"


class SmtpSender:
    def __init__(self, host: str, port: int, sender: str, domain: str = "flow-runtime.local") -> None:
        self.host, self.port, self.sender, self.domain = host, port, sender, domain

    def build(self, msg: Outgoing) -> EmailMessage:
        m = EmailMessage()
        m["From"] = formataddr((msg.from_name, self.sender)) if msg.from_name else self.sender
        m["To"], m["Subject"] = msg.to, msg.subject
        m["Message-ID"] = message_id(msg.row_id, self.domain)
        m.set_content(msg.text or " ")
        m.add_alternative(msg.html, subtype="html")
        return m

    def send(self, msg: Outgoing) -> None:
        """Raises ``smtplib.SMTPException`` or ``OSError`` when the server refuses or cannot be reached."""
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.send_message(self.build(msg))


class WebhookFailed(Exception):
    """The webhook did not take the call (an error status after the retries, or no answer)."""


class WebhookSender:
    """Webhook calls through one ``requests`` session with urllib3 ``Retry`` (designer.publish.http).

    Every call carries an ``Idempotency-Key`` derived from the outbox row, so POST is repeated
    too on 429, 5xx and lost connections: a receiver that honours the key does the work once.
    """

    def __init__(self, domain: str = "flow-runtime.local", timeout: float = 30.0, policy=None) -> None:
        from designer.publish.http import RetryPolicy, make_session

        methods = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "POST", "PATCH"})
        self.session = make_session({"Content-Type": "application/json"}, policy or RetryPolicy(methods=methods))
        self.domain, self.timeout = domain, timeout

    def send(self, row_id: int, method: str, url: str, body: str) -> None:
        import requests

        key = message_id(row_id, self.domain).strip("<>")
        try:
            resp = self.session.request(method or "POST", url, data=body.encode("utf-8"),
                                        headers={"Idempotency-Key": key}, timeout=self.timeout)
        except requests.RequestException as exc:
            raise WebhookFailed(f"{method} {url}: {type(exc).__name__}") from None
        if resp.status_code >= 400:
            raise WebhookFailed(f"{method} {url}: HTTP {resp.status_code}")
