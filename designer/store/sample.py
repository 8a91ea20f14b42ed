"""A realistic, deterministic sample shop, so the program has history on first start.

``generate(store, customers, days, seed)`` fills an empty store; the same
arguments always give the same rows (ids, times, properties). What it makes:

**Customers** (``external_id`` ``c000001``...): a first name, an email at a
reserved ``example.*`` domain, a ``timezone`` drawn from 25 IANA zones
across the Americas, Europe, Africa, Asia and Oceania (about 4% ``NULL``:
unknown), ``consent`` 1 for about 80%, 0 for 15%, ``NULL`` (never asked) for
5%. ``properties``: ``country`` (ISO code, when the zone is known) and, for
about 40% (the more engaged ones), ``loyalty_tier`` ``bronze``/``silver``/``gold``.

**Events** over the window ``[end - days, end)`` (``end`` defaults to the
fixed :data:`DEFAULT_END`, so output does not depend on the day it runs):

* ``signup`` ``{source}``: for the ~25% of customers who join during the
  window; they are active only from then on.
* Sessions, at a customer-specific rate (heavy-tailed engagement, about two
  per customer per month on average), at plausible local hours (lunch and
  evening peaks in the customer's zone): ``view`` ``{product_id, category,
  price, product_name, url, image_url}`` of 1-15 products a minute or so apart;
  ``add_to_cart`` ``{cart_id, product_id, category, price, quantity,
  product_name, url, image_url}`` for ~11% of views; now and then
  ``remove_from_cart`` ``{cart_id, product_id, price, quantity, product_name}``.
  The product's name, page and picture are what shop integrations send with
  these events (so message templates can show the product); they follow from
  the product id alone and draw nothing from the random source, so a seed
  gives the same times, ids and prices as it always did.
* A cart left at the end of a session goes to ``checkout_started``
  ``{cart_id, price, items}`` half the time, and 70% of those to
  ``purchase`` ``{order_id, cart_id, price, items}`` minutes later, so most
  purchases come within an hour of the cart; 12% of the carts still open come
  back one to several days later and buy; the rest are abandoned. ``price``
  on checkouts and purchases is the order value.
* Email campaigns every third day at 10:00 UTC to customers with consent 1:
  ``email_open`` ``{campaign_id}`` (~20%, hours after the send) and
  ``email_click`` ``{campaign_id, product_id}`` (~18% of opens), often
  followed by a session.

On average that is about 8 events per customer per 30 days (``generate``
returns the exact count): 100,000 customers over 40 days give about 1.1
million events, 500 customers over 60 days about 8,000. Product ids are integers 1000-1399; cart and order ids
are strings; prices are numbers with two decimals.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import tempfile
import time as _time
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import accumulate
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from designer.store.bulk import finish_bulk_load, start_bulk_load
from designer.store.codec import dedupe_key, dumps_properties
from designer.store.db import StoreError, open_store
from designer.store.schema import customers as customers_table
from designer.store.schema import imports
from designer.store.settings import SAMPLE_CURRENCY, write_currency
from designer.store.writer import StoreWriter

#: Default end of the generated window: a fixed moment, so a seed always
#: gives the same store (2025-06-01T00:00:00Z).
DEFAULT_END = 1748736000000

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000

#: Size of the store the editor opens on first start.
DEFAULT_CUSTOMERS = 500
DEFAULT_DAYS = 60
DEFAULT_SEED = 7

FIRST_NAMES = (
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Mateo", "Sofia", "Leon",
    "Amelia", "Hugo", "Chloe", "Louis", "Isabella", "Luca", "Hannah", "Jonas", "Freja", "Oscar",
    "Aarav", "Priya", "Ananya", "Rohan", "Yuki", "Haruto", "Sakura", "Minjun", "Seoyeon", "Wei",
    "Mei", "Chen", "Ngozi", "Chidi", "Amara", "Thabo", "Lerato", "Fatima", "Omar", "Layla",
    "Youssef", "Ines", "Pablo", "Lucia", "Valentina", "Santiago", "Camila", "Joao", "Beatriz", "Ana",
    "Zofia", "Jakub", "Elin", "Astrid", "Aoife", "Cian", "Giulia", "Marco", "Chiara", "Daan",
    "Jack", "Charlotte", "Ruby", "Maia", "Nikau", "Aroha", "Sipho", "Kofi", "Ama", "Tariq",
)
LAST_NAMES = (
    "smith", "garcia", "muller", "martin", "rossi", "silva", "kim", "tanaka", "patel", "nguyen",
    "kowalski", "johansson", "murphy", "dubois", "okafor", "mensah", "dlamini", "cohen", "haddad", "lopez",
    "schmidt", "bianchi", "santos", "sato", "singh", "wang", "li", "jensen", "brown", "wilson",
)
DOMAINS = ("example.com", "example.org", "example.net")

#: (IANA zone, ISO country, weight). ``None`` stands for "zone unknown".
ZONES = (
    ("America/New_York", "US", 14), ("America/Chicago", "US", 7), ("America/Denver", "US", 3),
    ("America/Los_Angeles", "US", 8), ("America/Toronto", "CA", 4), ("America/Mexico_City", "MX", 3),
    ("America/Sao_Paulo", "BR", 4), ("America/Argentina/Buenos_Aires", "AR", 1),
    ("Europe/London", "GB", 9), ("Europe/Dublin", "IE", 1), ("Europe/Paris", "FR", 6),
    ("Europe/Berlin", "DE", 7), ("Europe/Madrid", "ES", 3), ("Europe/Rome", "IT", 3),
    ("Europe/Amsterdam", "NL", 2), ("Europe/Stockholm", "SE", 2), ("Europe/Warsaw", "PL", 2),
    ("Africa/Lagos", "NG", 1), ("Africa/Johannesburg", "ZA", 1), ("Asia/Kolkata", "IN", 3),
    ("Asia/Singapore", "SG", 1), ("Asia/Tokyo", "JP", 3), ("Asia/Seoul", "KR", 1),
    ("Australia/Sydney", "AU", 3), ("Pacific/Auckland", "NZ", 1), (None, None, 4),
)
#: Relative chance of a session starting in each local hour (0-23).
HOUR_WEIGHTS = (1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 1.5, 2.5, 3, 3.2, 3.5, 4.5, 4.5, 3.5, 3.2, 3.2, 3.5, 4, 5, 5.5, 5, 3.5, 2)
CATEGORIES = ("shoes", "outerwear", "knitwear", "accessories", "home", "beauty", "electronics", "toys", "books")
SIGNUP_SOURCES = ("web", "popup", "checkout", "app")
PRODUCTS = 400
#: Words the catalogue's product names are made of (per category, and a style word).
PRODUCT_WORDS = {
    "shoes": ("Runner", "Loafer", "Trail Boot", "Sneaker", "Sandal"),
    "outerwear": ("Parka", "Rain Jacket", "Wool Coat", "Puffer Vest", "Trench"),
    "knitwear": ("Merino Sweater", "Cardigan", "Cable Knit", "Roll Neck", "Knit Beanie"),
    "accessories": ("Leather Belt", "Tote Bag", "Scarf", "Wallet", "Sunglasses"),
    "home": ("Linen Throw", "Ceramic Mug", "Table Lamp", "Cushion", "Candle"),
    "beauty": ("Face Serum", "Hand Cream", "Lip Balm", "Body Oil", "Clay Mask"),
    "electronics": ("Earbuds", "Speaker", "Power Bank", "Smart Watch", "Headphones"),
    "toys": ("Building Set", "Plush Bear", "Puzzle", "Wooden Train", "Kite"),
    "books": ("Cookbook", "Novel", "Travel Guide", "Notebook", "Poetry Collection"),
}
PRODUCT_STYLES = ("Classic", "Everyday", "Nordic", "Urban", "Coastal", "Heritage", "Studio", "Alpine")
SHOP_URL = "https://shop.example"


@dataclass(frozen=True)
class SampleSummary:
    """What :func:`generate` wrote."""

    customers: int
    events: int
    start: int  # epoch ms UTC, inclusive
    end: int  # epoch ms UTC, exclusive
    seconds: float
    import_id: int


@dataclass
class _Customer:
    external_id: str
    zone: str | None
    consent: int | None
    engagement: float
    joined: int  # epoch ms from which the customer is active
    new: bool


class _Shop:
    """Catalog, zones and the random source, shared by all customers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.products = []
        for i in range(PRODUCTS):
            price = min(900.0, max(3.0, math.exp(rng.gauss(3.4, 0.8))))
            self.products.append((1000 + i, rng.choice(CATEGORIES), round(price, 2)))
        # Zipf-like popularity: a few best sellers, a long tail.
        self.product_cum = list(accumulate(1.0 / (rank + 1) ** 0.9 for rank in range(PRODUCTS)))
        self.zone_cum = list(accumulate(w for _, _, w in ZONES))
        self.hour_cum = list(accumulate(HOUR_WEIGHTS))
        self._midnights: dict[tuple[str | None, int], int] = {}
        self._details: dict[int, dict] = {}

    def details(self, pid: int, category: str) -> dict:
        """The name, page and picture shop integrations send with a product's events (from its id alone)."""
        cached = self._details.get(pid)
        if cached is None:
            words = PRODUCT_WORDS.get(category, ("Item",))
            name = f"{PRODUCT_STYLES[pid % len(PRODUCT_STYLES)]} {words[(pid // len(PRODUCT_STYLES)) % len(words)]}"
            slug = name.lower().replace(" ", "-")
            cached = self._details[pid] = {"product_name": name, "url": f"{SHOP_URL}/products/{slug}-{pid}",
                                           "image_url": f"{SHOP_URL}/images/products/{pid}.jpg"}
        return cached

    def product(self) -> tuple[int, str, float]:
        r = self.rng.random() * self.product_cum[-1]
        return self.products[bisect(self.product_cum, r)]

    def local_midnight(self, zone: str | None, day: int) -> int:
        """Epoch ms of local midnight of UTC day number ``day`` in ``zone`` (UTC if unknown)."""
        key = (zone, day)
        value = self._midnights.get(key)
        if value is None:
            noon = datetime.fromtimestamp(day * 86400 + 43200, timezone.utc)
            offset = noon.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() if zone else 0
            value = self._midnights[key] = day * DAY_MS - int(offset * 1000)
        return value

    def session_start(self, zone: str | None, around: int) -> int:
        """A start time on the local day of ``around`` at a plausible local hour."""
        rng = self.rng
        day = around // DAY_MS
        hour = bisect(self.hour_cum, rng.random() * self.hour_cum[-1])
        return self.local_midnight(zone, day) + hour * HOUR_MS + rng.randrange(HOUR_MS)


def _customers(rng: random.Random, count: int, start: int, end: int) -> tuple[list[_Customer], list[dict]]:
    zone_cum = list(accumulate(w for _, _, w in ZONES))
    people, rows = [], []
    width = max(6, len(str(count)))
    for i in range(1, count + 1):
        external_id = f"c{i:0{width}d}"
        first = rng.choice(FIRST_NAMES)
        last = rng.choice(LAST_NAMES)
        email = f"{first.lower()}.{last}{rng.randrange(1, 1000)}@{rng.choice(DOMAINS)}"
        zone, country, _ = ZONES[bisect(zone_cum, rng.random() * zone_cum[-1])]
        r = rng.random()
        consent = 1 if r < 0.80 else (0 if r < 0.95 else None)
        # Heavy-tailed engagement (mean about 1); a sixth of customers are nearly dormant.
        engagement = 0.08 if rng.random() < 0.17 else rng.lognormvariate(-0.25, 0.8)
        properties: dict = {}
        if country:
            properties["country"] = country
        tier_score = engagement * rng.uniform(0.6, 1.4)
        if tier_score > 2.4:
            properties["loyalty_tier"] = "gold"
        elif tier_score > 1.5:
            properties["loyalty_tier"] = "silver"
        elif tier_score > 0.95:
            properties["loyalty_tier"] = "bronze"
        new = rng.random() < 0.25
        joined = start + int(rng.random() * (end - start)) if new else start
        people.append(_Customer(external_id, zone, consent, engagement, joined, new))
        rows.append(
            {
                "external_id": external_id,
                "email": email,
                "first_name": first,
                "timezone": zone,
                "consent": consent,
                "properties": dumps_properties(properties),
            }
        )
    return people, rows


def _session(shop: _Shop, c: _Customer, t: int, out: list, carts: dict, seed_product=None) -> None:
    """Views, cart actions, checkout and purchase of one visit starting at ``t``."""
    rng = shop.rng
    views = 1
    while views < 15 and rng.random() < 0.65:
        views += 1
    cart = carts.get("open")
    added = False
    for v in range(views):
        pid, category, price = seed_product if (v == 0 and seed_product) else shop.product()
        info = shop.details(pid, category)
        out.append((t, "view", {"product_id": pid, "category": category, "price": price, **info}))
        if rng.random() < 0.11:
            t += 10_000 + int(rng.expovariate(1 / 40_000))
            if cart is None or t - cart["opened"] > 7 * DAY_MS:
                cart = {"id": f"cart-{rng.getrandbits(40):010x}", "items": [], "opened": t}
                carts["open"] = cart
            cart["items"].append(price)
            added = True
            out.append((t, "add_to_cart", {"cart_id": cart["id"], "product_id": pid, "category": category,
                                           "price": price, "quantity": 1, **info}))
            if len(cart["items"]) > 1 and rng.random() < 0.08:
                t += 15_000 + int(rng.expovariate(1 / 60_000))
                removed = cart["items"].pop(0)
                out.append((t, "remove_from_cart", {"cart_id": cart["id"], "product_id": pid, "price": removed,
                                                    "quantity": 1, "product_name": info["product_name"]}))
        t += 5_000 + int(rng.expovariate(1 / 55_000))
    if not added or not cart["items"]:
        return  # checkouts follow a cart filled in this visit
    if rng.random() < 0.5:
        t += MINUTE_MS + int(rng.expovariate(1 / (3 * MINUTE_MS)))
        value = round(sum(cart["items"]), 2)
        out.append((t, "checkout_started", {"cart_id": cart["id"], "price": value, "items": len(cart["items"])}))
        if rng.random() < 0.7:
            t += 2 * MINUTE_MS + int(rng.expovariate(1 / (6 * MINUTE_MS)))
            _purchase(rng, cart, t, out)
            carts.pop("open")


def _purchase(rng: random.Random, cart: dict, t: int, out: list) -> None:
    value = round(sum(cart["items"]), 2)
    out.append(
        (t, "purchase", {"order_id": f"ord-{rng.getrandbits(40):010x}", "cart_id": cart["id"], "price": value, "items": len(cart["items"])})
    )


def _customer_events(shop: _Shop, c: _Customer, start: int, end: int, campaigns: list[tuple[int, str]]) -> list:
    rng = shop.rng
    out: list = []
    carts: dict = {}
    sessions: list[tuple[int, object]] = []
    if c.new:
        out.append((c.joined, "signup", {"source": rng.choice(SIGNUP_SOURCES)}))
        if rng.random() < 0.7:
            sessions.append((c.joined + 1000 + rng.randrange(60_000), None))
    rate = 0.065 * c.engagement / DAY_MS  # sessions per ms
    t = c.joined
    while True:
        t += int(rng.expovariate(rate))
        if t >= end:
            break
        s = shop.session_start(c.zone, t)
        if c.joined <= s < end:
            sessions.append((s, None))
    if c.consent == 1:
        open_p = min(0.6, 0.1 + 0.12 * c.engagement)
        for sent, campaign in campaigns:
            if sent < c.joined or rng.random() >= open_p:
                continue
            opened = sent + 60_000 + int(rng.expovariate(1 / (4 * HOUR_MS)))
            out.append((opened, "email_open", {"campaign_id": campaign}))
            if rng.random() < 0.18:
                product = shop.product()
                clicked = opened + 5_000 + int(rng.expovariate(1 / 90_000))
                out.append((clicked, "email_click", {"campaign_id": campaign, "product_id": product[0]}))
                if rng.random() < 0.6:
                    sessions.append((clicked + 3_000 + rng.randrange(20_000), product))
    sessions.sort(key=lambda s: s[0])
    for s, product in sessions:
        _session(shop, c, s, out, carts, product)
        cart = carts.get("open")
        if cart and cart["items"] and not cart.get("recovery_drawn"):
            cart["recovery_drawn"] = True
            if rng.random() < 0.12:
                back = s + HOUR_MS + int(rng.expovariate(1 / (1.5 * DAY_MS)))
                if back < end:
                    value = round(sum(cart["items"]), 2)
                    out.append((back, "checkout_started", {"cart_id": cart["id"], "price": value, "items": len(cart["items"])}))
                    _purchase(rng, cart, back + 2 * MINUTE_MS + rng.randrange(8 * MINUTE_MS), out)
                    carts.pop("open")
    return [e for e in out if start <= e[0] < end]


def generate(
    store: str | os.PathLike | Engine,
    customers: int = DEFAULT_CUSTOMERS,
    days: int = DEFAULT_DAYS,
    seed: int = DEFAULT_SEED,
    *,
    end: int = DEFAULT_END,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 50_000,
) -> SampleSummary:
    """Fill an empty store with a sample shop (see the module docstring).

    ``progress(customers_done, customers_total)`` is called now and then.
    Refuses a store that already has customers, so real data is never mixed
    with invented data. Everything is written in one transaction: either the
    whole sample is there or none of it.
    """
    if customers < 1 or days < 1:
        raise ValueError("customers and days must be at least 1")
    began = _time.perf_counter()
    engine = open_store(store)
    start = end - days * DAY_MS
    rng = random.Random(seed)
    shop = _Shop(rng)
    people, rows = _customers(rng, customers, start, end)
    first_campaign_day = start // DAY_MS + 1
    campaigns = [
        (day * DAY_MS + 10 * HOUR_MS, f"cmp-{n + 1:03d}")
        for n, day in enumerate(range(first_campaign_day, end // DAY_MS, 3))
    ]
    settings = {"customers": customers, "days": days, "seed": seed, "end": end}
    total_events = 0
    with engine.begin() as conn:
        existing = conn.execute(select(func.count()).select_from(customers_table)).scalar()
        if existing:
            raise StoreError(f"the store already has {existing} customers; generate sample data into a new store")
        write_currency(conn, SAMPLE_CURRENCY)
        import_id = conn.execute(
            imports.insert().values(
                kind="sample",
                file="<sample>",
                sha256=hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest(),
                size=0,
                mapping=json.dumps(settings, sort_keys=True),
                mapping_hash="sample",
                started=int(_time.time() * 1000),
                status="running",
                pid=os.getpid(),
            )
        ).inserted_primary_key[0]
        for row in rows:
            row["import_id"] = import_id
        conn.execute(customers_table.insert(), rows)
        ids = dict(conn.execute(select(customers_table.c.external_id, customers_table.c.id)).all())
        bulk = start_bulk_load(conn, import_id)
        writer = StoreWriter(conn, import_id, bulk=bulk)
        pending: list[tuple] = []
        for n, c in enumerate(people, 1):
            cid = c.external_id
            internal = ids[cid]
            for t, name, props in sorted(_customer_events(shop, c, start, end, campaigns), key=lambda e: e[0]):
                text = dumps_properties(props)
                pending.append((internal, name, t, text, dedupe_key(name, text)))
            if len(pending) >= batch:
                total_events += writer.insert_events(pending)
                pending = []
                if progress:
                    progress(n, customers)
        total_events += writer.insert_events(pending)
        if bulk:
            total_events -= finish_bulk_load(conn)
        conn.execute(
            imports.update()
            .where(imports.c.id == import_id)
            .values(
                rows_read=total_events,
                rows_loaded=total_events,
                finished=int(_time.time() * 1000),
                status="done",
            )
        )
    if progress:
        progress(customers, customers)
    return SampleSummary(customers, total_events, start, end, _time.perf_counter() - began, import_id)


def default_store_path() -> Path:
    """Where the editor keeps its store unless the user picks another (the app data folder)."""
    from designer import identity

    return identity.data_dir() / "sample-store.db"


def ensure_default_store(path: str | os.PathLike | None = None) -> Path:
    """The default store's path, generating the small sample shop there if none exists.

    The store is built in a temporary file beside the target and renamed into
    place, so an interrupted first start never leaves a half-made store that
    would later pass for a complete one.
    """
    target = Path(path) if path is not None else default_store_path()
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".sample-", suffix=".db", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()
    try:
        engine = open_store(tmp)
        try:
            generate(engine, DEFAULT_CUSTOMERS, DEFAULT_DAYS, DEFAULT_SEED)
            with engine.connect() as conn:
                # Fold the write-ahead log into the file, so one file moves into place.
                conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
        finally:
            engine.dispose()
        os.replace(tmp, target)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
    return target
