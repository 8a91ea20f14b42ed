"""A send node's message for one context: subject, preview text, HTML and text parts, SMS, webhook.

One function per channel, registered by node kind (:data:`CHANNELS`), so a new
send kind adds an entry rather than a branch. Problems (a missing template, a
name the context lacks, a sandbox violation) are collected on the message, each
with its template and line, rather than raised: the preview shows them, the
CLI prints them, the backtest counts them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from typing import Any

from designer.content.sandbox import RenderError, TemplateProblem, render_bounded
from designer.content.templates import TemplateLibrary, TemplateLoadError

DEFAULT_FROM_NAME = "The Shop"
DEFAULT_FROM_EMAIL = "hello@shop.example"


@dataclass
class RenderedMessage:
    """What one customer would receive from one send node."""

    channel: str  # "email" | "sms" | "webhook"
    node_id: str
    template: str | None = None
    subject: str = ""
    preview_text: str = ""
    from_name: str = ""
    from_email: str = ""
    to: str = ""
    html: str = ""
    text: str = ""
    url: str = ""
    method: str = ""
    problems: list[TemplateProblem] = field(default_factory=list)
    #: Names a preview found missing (marked in the output instead of failing).
    missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and not self.missing


def html_to_text(html: str) -> str:
    """The plain-text part made from the HTML (inscriptis keeps table layout and link targets readable)."""
    from inscriptis import get_text
    from inscriptis.css_profiles import CSS_PROFILES
    from inscriptis.model.config import ParserConfig

    config = ParserConfig(css=CSS_PROFILES["strict"], display_links=True, display_anchors=False)
    # Pictures wrapped in links would print as empty "[ ](url)" lines: the product name beside links the same page.
    text = get_text(re.sub(r"<a\b[^>]*>\s*<img\b[^>]*>\s*</a>", "", html, flags=re.I), config)
    text = re.sub(r"\[\s*\]\([^)]*\)", "", text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:  # at most one blank line in a row
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"


class Renderer:
    """Renders send nodes with one template library (compiled templates are cached there)."""

    def __init__(self, library: TemplateLibrary) -> None:
        self.library = library

    def _text(self, msg: RenderedMessage, source: str, ctx: dict, label: str, *, html: bool = False) -> str:
        lib = self.library
        try:
            tpl = lib.string(source, html=html, label=label)
            return render_bounded(lib.html_env if html else lib.text_env, tpl, ctx, name=label, missing=msg.missing)
        except (RenderError, TemplateLoadError) as exc:
            msg.problems.append(exc.problem)
            return ""

    def render(self, kind: str, node_id: str, config: dict, ctx: dict) -> RenderedMessage:
        """The message the node ``node_id`` of ``kind`` with ``config`` sends for the context ``ctx``."""
        channel = CHANNELS.get(kind)
        if channel is None:
            raise ValueError(f"{kind} is not a send kind")
        return channel(self, node_id, config, ctx)

    # -- channels -------------------------------------------------------------
    def email(self, node_id: str, config: dict, ctx: dict) -> RenderedMessage:
        name = str(config.get("template") or "")
        msg = RenderedMessage("email", node_id, template=name or None, to=str(ctx.get("email") or ""))
        lib = self.library
        defaults: dict[str, str] = {}
        tpl = None
        if not name:
            msg.problems.append(TemplateProblem("missing-template", "the send names no template"))
        else:
            try:
                tpl = lib.email(name)
                defaults = tpl.defaults
            except TemplateLoadError as exc:
                msg.problems.append(exc.problem)

        def pick(key: str) -> str:
            value = config.get(key)
            return str(value) if value not in (None, "") else defaults.get(key, "")

        msg.subject = self._text(msg, pick("subject"), ctx, f"{node_id} subject").strip()
        msg.preview_text = self._text(msg, pick("preview_text"), ctx, f"{node_id} preview text").strip()
        msg.from_name = self._text(msg, pick("from_name") or DEFAULT_FROM_NAME, ctx, f"{node_id} from name").strip()
        msg.from_email = pick("from_email") or DEFAULT_FROM_EMAIL
        if tpl is not None:
            body_ctx = {**ctx, "subject": msg.subject, "preview_text": msg.preview_text}
            try:
                msg.html = render_bounded(lib.html_env, tpl.html, body_ctx, name=name + ".html", missing=msg.missing)
                if tpl.text is not None:
                    msg.text = render_bounded(lib.text_env, tpl.text, body_ctx, name=name + ".txt", missing=msg.missing)
            except RenderError as exc:
                msg.problems.append(exc.problem)
            if msg.html and not msg.text:
                msg.text = html_to_text(msg.html)
        return msg

    def sms(self, node_id: str, config: dict, ctx: dict) -> RenderedMessage:
        msg = RenderedMessage("sms", node_id, to=str(ctx.get("phone") or ""))
        msg.text = self._text(msg, str(config.get("body") or ""), ctx, f"{node_id} body").strip()
        return msg

    def webhook(self, node_id: str, config: dict, ctx: dict) -> RenderedMessage:
        msg = RenderedMessage("webhook", node_id, url=str(config.get("url") or ""),
                              method=str(config.get("method") or "POST"))
        body = config.get("body")
        source = body if isinstance(body, str) else json.dumps(body or {})
        msg.text = self._text(msg, source, ctx, f"{node_id} body")
        return msg


#: Node kind -> how its message renders.
CHANNELS: dict[str, Callable[..., RenderedMessage]] = {
    "send_email": Renderer.email,
    "send_sms": Renderer.sms,
    "webhook": Renderer.webhook,
}


def is_send(kind: str) -> bool:
    return kind in CHANNELS


def to_eml(msg: RenderedMessage, *, when: int | None = None) -> bytes:
    """The email as an RFC 5322 ``multipart/alternative`` message (text first, then HTML)."""
    em = EmailMessage()
    em["From"] = formataddr((msg.from_name, msg.from_email))
    if msg.to:
        em["To"] = msg.to
    em["Subject"] = msg.subject
    moment = datetime.fromtimestamp(when / 1000, timezone.utc) if when is not None else datetime.now(timezone.utc)
    em["Date"] = format_datetime(moment)
    em["Message-ID"] = make_msgid(domain=msg.from_email.rpartition("@")[2] or None)
    em["List-Unsubscribe"] = "<{{unsubscribe_url}}>"
    em.set_content(msg.text or " ", subtype="plain", charset="utf-8")
    em.add_alternative(msg.html, subtype="html", charset="utf-8")
    return em.as_bytes()


def render_for(renderer: Renderer, node: Any, ctx: dict) -> RenderedMessage:
    """Render a flow node (anything with ``kind``, ``id``, ``config``)."""
    return renderer.render(node.kind, node.id, node.config, ctx)


def preview_problems(msg: RenderedMessage) -> list[str]:
    """Every problem of a message as one line each (problems first, then names a preview marked)."""
    lines = [str(p) for p in msg.problems]
    lines += [f"'{name}' is not in this message's context" for name in msg.missing]
    return lines
