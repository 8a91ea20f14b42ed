"""The names a message sees, built from plain data (no store, no flow file), so it is testable by hand.

At the moment a journey reaches a send, the message sees:

* the profile at the top level: ``first_name``, ``email``, ``external_id``,
  ``timezone``, ``consent`` and every stored property (also as ``profile.NAME``);
* derived facts as of that moment: ``order_count``, ``total_spent``,
  ``days_since_last_order``, ``days_since_first_seen``, ``first_seen``, ``last_seen``;
* ``event``: the trigger event's properties, with ``event.name`` and ``event.time``;
* ``cart``: ``cart.items`` (each ``product_id``, ``product_name``, ``url``,
  ``image_url``, ``category``, ``price``, ``quantity``, ``line_total``),
  ``cart.total``, ``cart.count``, ``cart.id``;
* ``viewed``: the products viewed most recently (newest first, each once);
* ``flow`` (``flow.id``, ``flow.name``), ``node`` (``node.id``), ``now`` (epoch ms);
* links: ``unsubscribe_url``, ``view_in_browser_url``, ``preferences_url``
  (placeholders the publisher or runtime replaces); the shop: ``shop_name``,
  ``shop_url``, ``currency``.

Values are :class:`Record` dicts that know their dotted name, so a missing
``event.product_name`` is reported as exactly that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Placeholders the publisher (or the runtime's delivery) replaces with real links.
LINKS = {
    "unsubscribe_url": "{{unsubscribe_url}}",
    "view_in_browser_url": "{{view_in_browser_url}}",
    "preferences_url": "{{preferences_url}}",
}
#: The shop's name and address until a store or flow setting names them.
SHOP = {"shop_name": "The Shop", "shop_url": "https://shop.example"}
#: The events whose products make up a cart, and the one that takes a product out.
ADD_EVENTS = ("add_to_cart",)
REMOVE_EVENTS = ("remove_from_cart",)
VIEW_EVENTS = ("view",)
RECENTLY_VIEWED = 4
PRODUCT_KEYS = ("product_id", "product_name", "url", "image_url", "category", "price")


class Record(dict):
    """A dict that knows its dotted name in the context (for messages about missing names).

    Made by :func:`record`: a context holds several (the event, the cart and each of its items,
    each viewed product), and a Python ``__init__`` would cost more than filling the dict."""

    __slots__ = ("_path",)


def record(path: str, values: Mapping[str, Any] | Iterable = ()) -> Record:
    """A :class:`Record` named ``path`` holding ``values``."""
    r = Record(values)
    r._path = path
    return r


def _product(path: str, props: Mapping[str, Any]) -> Record:
    """The product keys of an event's properties (``None`` for those it lacks)."""
    return record(path, zip(PRODUCT_KEYS, map(props.get, PRODUCT_KEYS)))


@dataclass
class Moment:
    """Everything about one customer at one send, as plain data."""

    profile: dict[str, Any]
    facts: dict[str, Any]
    now: int
    event: dict[str, Any] | None = None  # the trigger event's properties (plus name, time)
    events: list[tuple[str, int, dict]] = field(default_factory=list)  # (name, time, properties) up to now
    entry_time: int | None = None
    entry_key: str | None = None  # the trigger's key property (e.g. cart_id)
    flow_id: str = ""
    flow_name: str = ""
    node_id: str = ""


def _number(v: Any, default: float = 0.0) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else default


def cart_items(events: list[tuple[str, int, dict]], key: str | None, key_value: Any,
               since: int | None) -> list[Record]:
    """The products in the cart: adds minus removes, among events since ``since`` whose ``key``
    property is ``key_value`` (all of them when there is no key). Same product twice adds quantity."""
    items: dict[Any, Record] = {}
    for name, t, props in events:
        if since is not None and t < since:
            continue
        if key is not None and props.get(key) != key_value:
            continue
        if name in ADD_EVENTS:
            pid = props.get("product_id", len(items))
            qty = _number(props.get("quantity"), 1.0)
            item = items.get(pid)
            if item is None:
                item = _product(f"cart.items[{len(items)}]", props)
                item["quantity"] = 0
                items[pid] = item
            item["quantity"] = int(item["quantity"] + qty) if float(item["quantity"] + qty).is_integer() \
                else item["quantity"] + qty
        elif name in REMOVE_EVENTS:
            pid = props.get("product_id")
            if pid in items:
                items[pid]["quantity"] -= _number(props.get("quantity"), 1.0)
                if items[pid]["quantity"] <= 0:
                    del items[pid]
    out = list(items.values())
    for item in out:
        item["line_total"] = round(_number(item.get("price")) * _number(item["quantity"]), 2)
    return out


def recently_viewed(events: list[tuple[str, int, dict]], limit: int = RECENTLY_VIEWED) -> list[Record]:
    """The last ``limit`` distinct products viewed, newest first."""
    seen: dict[Any, Record] = {}
    for name, _t, props in reversed(events):
        if name in VIEW_EVENTS:
            pid = props.get("product_id")
            if pid is not None and pid not in seen:
                seen[pid] = _product(f"viewed[{len(seen)}]", props)
                if len(seen) >= limit:
                    break
    return list(seen.values())


def build_context(m: Moment, *, currency: str = "USD", links: Mapping[str, str] | None = None,
                  shop: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The render context for one moment (see the module docstring)."""
    event = record("event", m.event or {})
    key = m.entry_key
    if key is None and "cart_id" in event:
        key, since = "cart_id", None  # a purchase or checkout: the cart it closed
    else:
        since = m.entry_time
    key_value = event.get(key) if key is not None else None
    items = cart_items(m.events, key, key_value, since) if (key is None or key_value is not None) else []
    if key is None and event.get("name") not in ADD_EVENTS:
        items = []  # no key and no cart event: nothing says which cart
    total = round(sum(i["line_total"] for i in items), 2)
    cart = record("cart", {"items": items, "total": total, "count": sum(_number(i["quantity"]) for i in items),
                           "id": key_value if key == "cart_id" else event.get("cart_id")})
    profile = record("profile", m.profile)
    ctx: dict[str, Any] = dict(SHOP if shop is None else shop)
    ctx.update(m.profile)
    ctx.update(m.facts)
    ctx.update(LINKS if links is None else links)
    ctx.update({
        "profile": profile,
        "event": event,
        "cart": cart,
        "viewed": recently_viewed(m.events),
        "flow": record("flow", {"id": m.flow_id, "name": m.flow_name}),
        "node": record("node", {"id": m.node_id}),
        "now": m.now,
        "currency": currency,
    })
    return ctx
