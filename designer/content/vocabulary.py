"""The names the store can fill: profile properties and each event's properties, as seen in the data.

Content lint uses it to flag a token no customer has (``event.product_name``
when the cart events carry no name); the editor uses it to complete tokens.
It reads a bounded sample of rows (the newest of each event name), so it costs
the same on a shop of any size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine, select

from designer.content.context import LINKS, SHOP
from designer.engine.history import PROFILE_COLUMNS, parse_object
from designer.store.schema import customers, events

SAMPLE_ROWS = 500
FACT_NAMES = ("order_count", "total_spent", "days_since_last_order", "days_since_first_seen", "first_seen",
              "last_seen", "last_order")
#: Names every message has, whatever the store holds.
BASE_NAMES = (*PROFILE_COLUMNS, "external_id", *FACT_NAMES, *LINKS, *SHOP, "profile", "event", "cart", "viewed",
              "flow", "node", "now", "currency", "subject", "preview_text")
CART_NAMES = ("items", "total", "count", "id")


@dataclass
class Vocabulary:
    """Profile property names, and property names per event name, seen in the store."""

    profile: set[str] = field(default_factory=set)
    events: dict[str, set[str]] = field(default_factory=dict)

    def top_level(self) -> set[str]:
        return set(BASE_NAMES) | self.profile

    def event_names(self, event: str | None) -> set[str]:
        return {"name", "time"} | self.events.get(event or "", set())


def read_vocabulary(store: Engine, sample: int = SAMPLE_ROWS) -> Vocabulary:
    vocab = Vocabulary()
    with store.connect() as conn:
        for (props,) in conn.execute(select(customers.c.properties).order_by(customers.c.id.desc()).limit(sample)):
            vocab.profile.update(parse_object(props))
        names = [n for (n,) in conn.execute(select(events.c.name).distinct())]
        for name in names:
            keys = vocab.events.setdefault(name, set())
            rows = conn.execute(select(events.c.properties).where(events.c.name == name)
                                .order_by(events.c.time.desc()).limit(sample))
            for (props,) in rows:
                keys.update(parse_object(props))
    return vocab
