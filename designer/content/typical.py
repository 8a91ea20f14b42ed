"""A typical customer's message, for places that show content without a chosen customer.

Cards and tables show a send's subject *rendered* (never raw jinja); lint
renders every send once to check its output. Both use :func:`typical_moment`:
a made-up but plausible customer with a cart of one product, so every shipped
template renders fully without a store.
"""

from __future__ import annotations

from designer.content.context import Moment, build_context
from designer.content.sandbox import RenderError, render_bounded
from designer.content.templates import TemplateLibrary, TemplateLoadError, parse_header

DAY_MS = 86_400_000
#: 2025-05-01T12:00:00Z
TYPICAL_NOW = 1746100800000
_PRODUCT = {"product_id": 1001, "product_name": "Classic Runner", "url": "https://shop.example/products/classic-runner-1001",
            "image_url": "https://shop.example/images/products/1001.jpg", "category": "shoes", "price": 79.0}


def typical_moment(flow_id: str = "", flow_name: str = "", node_id: str = "", trigger_event: str = "add_to_cart",
                   key: str | None = "cart_id") -> Moment:
    now = TYPICAL_NOW
    entry = now - 3_600_000
    cart = {"cart_id": "cart-0000000001", **_PRODUCT, "quantity": 1}
    events = [
        ("purchase", now - 40 * DAY_MS, {"order_id": "ord-1", "cart_id": "cart-0", "price": 120.0, "items": 2}),
        ("view", entry - 60_000, dict(_PRODUCT)),
        ("add_to_cart", entry, cart),
    ]
    trigger = next((e for e in reversed(events) if e[0] == trigger_event), None)
    event = {**trigger[2], "name": trigger[0], "time": trigger[1]} if trigger else \
        {**cart, "order_id": "ord-2", "name": trigger_event, "time": entry}
    facts = {"first_seen": now - 90 * DAY_MS, "last_seen": entry, "order_count": 1, "total_spent": 120.0,
             "last_order": now - 40 * DAY_MS, "days_since_last_order": 40.0, "days_since_first_seen": 90.0}
    profile = {"email": "alex@example.com", "first_name": "Alex", "timezone": "Europe/London", "consent": 1,
               "external_id": "typical", "country": "GB"}
    return Moment(profile=profile, facts=facts, now=now, event=event, events=events, entry_time=event["time"],
                  entry_key=key, flow_id=flow_id, flow_name=flow_name, node_id=node_id)


def typical_context(flow=None, node_id: str = "") -> dict:
    trigger = next((n for n in flow.nodes.values() if n.kind == "trigger"), None) if flow is not None else None
    event = (trigger.config.get("event") if trigger else None) or "add_to_cart"
    key = (trigger.config.get("key") if trigger else None) or None
    return build_context(typical_moment(getattr(flow, "id", ""), getattr(flow, "name", ""), node_id, event, key))


def rendered_summary(kind: str, config: dict, library: TemplateLibrary | None = None, flow=None,
                     node_id: str = "") -> str | None:
    """A send's card line rendered for a typical customer: the email's subject (or the template's
    title when the subject does not render), the SMS text; ``None`` for other kinds.
    Only the subject renders (not the body), so cards stay cheap."""
    if kind not in ("send_email", "send_sms"):
        return None
    lib = library or TemplateLibrary.for_flow(None, preview=True)
    ctx = typical_context(flow, node_id)
    name = str(config.get("template") or "")
    raw = lib.raw_source(name + ".html")[0] if name else None
    defaults = parse_header(raw) if raw else {}
    source = str(config.get("subject") or defaults.get("subject", "")) if kind == "send_email" \
        else str(config.get("body") or "")
    missing: list[str] = []
    try:
        shown = render_bounded(lib.text_env, lib.string(source, html=False, label="summary"), ctx,
                               missing=missing).strip()
    except (RenderError, TemplateLoadError):
        shown = ""
    if shown and not missing:
        return shown
    if raw is not None:
        return defaults.get("title") or name.replace("_", " ").capitalize()
    return source or name


_SHIPPED: TemplateLibrary | None = None
_CARDS: dict[tuple[str, str], str | None] = {}


def card_summary(kind: str, config: dict) -> str | None:
    """:func:`rendered_summary` with the shipped library, remembered per config (cards repaint often)."""
    global _SHIPPED
    import json

    key = (kind, json.dumps(config, sort_keys=True, default=str))
    if key not in _CARDS:
        if _SHIPPED is None:
            _SHIPPED = TemplateLibrary.for_flow(None, preview=True)
        if len(_CARDS) > 4096:
            _CARDS.clear()
        _CARDS[key] = rendered_summary(kind, config, _SHIPPED)
    return _CARDS[key]
