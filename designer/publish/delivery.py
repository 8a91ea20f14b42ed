"""Sending one outbox message by SMTP, with a Message-ID that is the same on every attempt.

The Message-ID is derived from the outbox row (its id and the store's identity), so a
message sent again after a crash is recognisably the same message to every MTA and
mailbox on the way (see designer/runtime/delivery.py for the guarantee).
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
