"""The preview page: the inbox line above the email at a chosen width, or an SMS as a phone shows it.

Plain functions of a rendered message, so what the panel shows is testable
without a window. Customer data in the inbox line is escaped here (a subject
is text, not HTML); the email itself goes into an ``<iframe srcdoc>``, so its
styles cannot touch the page around it.
"""

from __future__ import annotations

from html import escape

from designer.content.message import RenderedMessage, preview_problems
from designer.content.sms import segments

WIDTHS = {"desktop": 640, "mobile": 375}

_STYLE = """
body { margin: 0; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; background: #e9ecef; }
.problems { background: #fff5f5; color: #9b2c2c; border-bottom: 1px solid #feb2b2; padding: 8px 12px; font-size: 13px; }
.problems li { margin: 2px 0; }
.inbox { background: #fff; margin: 12px auto 0 auto; padding: 10px 14px; border-radius: 6px 6px 0 0;
         border-bottom: 1px solid #dee2e6; font-size: 14px; }
.inbox .from { font-weight: 600; color: #212529; }
.inbox .subject { font-weight: 600; color: #212529; }
.inbox .preview { color: #6c757d; }
iframe { display: block; margin: 0 auto 12px auto; border: 0; background: #fff; height: 1400px; }
.phone { width: 300px; margin: 16px auto; background: #fff; border-radius: 28px; border: 10px solid #212529;
         padding: 24px 14px; min-height: 360px; }
.bubble { background: #e9e9eb; color: #000; border-radius: 18px; padding: 10px 14px; font-size: 15px;
          line-height: 20px; white-space: pre-wrap; word-wrap: break-word; }
.segments { color: #6c757d; font-size: 12px; margin-top: 6px; text-align: right; }
.webhook { margin: 16px; background: #fff; padding: 12px; font-family: monospace; white-space: pre-wrap; }
.note { color: #6c757d; padding: 16px; }
"""


def _problems(msg: RenderedMessage) -> str:
    lines = preview_problems(msg)
    if not lines:
        return ""
    items = "".join(f"<li>{escape(line)}</li>" for line in lines)
    return f'<ul class="problems" id="problems">{items}</ul>'


def email_page(msg: RenderedMessage, width: str = "desktop") -> str:
    px = WIDTHS.get(width, WIDTHS["desktop"])
    inbox = (f'<div class="inbox" id="inbox" style="width:{px - 28}px">'
             f'<div class="from">{escape(msg.from_name)} &lt;{escape(msg.from_email)}&gt;</div>'
             f'<div><span class="subject" id="subject">{escape(msg.subject)}</span> '
             f'<span class="preview" id="preview-text">&mdash; {escape(msg.preview_text)}</span></div></div>')
    frame = f'<iframe id="email" style="width:{px}px" srcdoc="{escape(msg.html, quote=True)}"></iframe>' \
        if msg.html else '<p class="note">No body to show.</p>'
    return _page(_problems(msg) + inbox + frame)


def sms_page(msg: RenderedMessage) -> str:
    seg = segments(msg.text)
    return _page(_problems(msg) + f'<div class="phone"><div class="bubble" id="sms">{escape(msg.text)}</div>'
                 f'<div class="segments" id="segments">{escape(seg.describe())}</div></div>')


def webhook_page(msg: RenderedMessage) -> str:
    return _page(_problems(msg) + f'<div class="webhook" id="webhook">{escape(msg.method)} {escape(msg.url)}\n\n'
                 f'{escape(msg.text)}</div>')


def note_page(text: str) -> str:
    return _page(f'<p class="note" id="note">{escape(text)}</p>')


def _page(body: str) -> str:
    return f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{_STYLE}</style></head><body>{body}</body></html>'


PAGES = {"email": email_page, "sms": lambda m, _w="": sms_page(m), "webhook": lambda m, _w="": webhook_page(m)}


def page_for(msg: RenderedMessage, width: str = "desktop") -> str:
    return PAGES[msg.channel](msg, width)
