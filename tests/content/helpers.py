"""Hand-made customers and a template folder for content tests."""

from __future__ import annotations

from pathlib import Path

from designer.content.context import Moment, build_context
from designer.content.message import Renderer
from designer.content.templates import TemplateLibrary

HOUR = 3_600_000
DAY = 86_400_000
NOW = 1_746_100_800_000  # 2025-05-01T12:00:00Z


def library(tmp_path: Path, files: dict[str, str], *, preview: bool = False) -> TemplateLibrary:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return TemplateLibrary([folder], preview=preview)


def moment(**over) -> Moment:
    """Ana, in Tokyo, two orders (10 and 20.50), a cart of two products after one was removed."""
    entry = NOW - 2 * HOUR
    events = [
        ("purchase", NOW - 30 * DAY, {"order_id": "o1", "price": 10.0}),
        ("purchase", NOW - 10 * DAY, {"order_id": "o2", "price": 20.5}),
        ("view", entry - 60_000, {"product_id": 7, "product_name": "Old Lamp", "price": 5.0}),
        ("add_to_cart", entry, {"cart_id": "k1", "product_id": 1, "product_name": "Wool Scarf", "price": 25.0,
                                "quantity": 1, "url": "https://shop.example/p/1", "category": "accessories"}),
        ("add_to_cart", entry + 1000, {"cart_id": "k1", "product_id": 2, "product_name": "Tea Mug", "price": 7.5,
                                       "quantity": 2}),
        ("add_to_cart", entry + 2000, {"cart_id": "other", "product_id": 3, "product_name": "Not mine", "price": 99.0}),
        ("add_to_cart", entry + 3000, {"cart_id": "k1", "product_id": 4, "product_name": "Removed", "price": 1.0}),
        ("remove_from_cart", entry + 4000, {"cart_id": "k1", "product_id": 4, "price": 1.0}),
    ]
    m = Moment(profile={"first_name": "Ana", "email": "ana@example.com", "timezone": "Asia/Tokyo",
                        "external_id": "c1", "loyalty_tier": "gold"},
               facts={"order_count": 2, "total_spent": 30.5, "days_since_last_order": 10.0,
                      "days_since_first_seen": 30.0},
               now=NOW, event={**events[3][2], "name": "add_to_cart", "time": entry}, events=events,
               entry_time=entry, entry_key="cart_id", flow_id="f1", flow_name="Flow", node_id="n5")
    for k, v in over.items():
        setattr(m, k, v)
    return m


def render_email(lib: TemplateLibrary, template: str, m: Moment | None = None, **config):
    return Renderer(lib).render("send_email", "n5", {"template": template, **config},
                                build_context(m or moment()))
