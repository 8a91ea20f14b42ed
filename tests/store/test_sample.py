"""The sample shop: deterministic, plausible funnel, what the docstring promises; the default store."""

from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select

from designer.store.db import StoreError, open_store
from designer.store.sample import DAY_MS, DEFAULT_END, HOUR_MS, ensure_default_store, generate
from designer.store.schema import customers, events
from designer.store.timeparse import is_zone


def content_digest(path) -> str:
    engine = open_store(path)
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for row in conn.execute(select(customers).order_by(customers.c.id)):
            digest.update(repr(tuple(row)).encode())
        for row in conn.execute(select(events).order_by(events.c.id)):
            digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return digest.hexdigest()


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("sample") / "shop.db"
    summary = generate(path, customers=600, days=60, seed=3)
    engine = open_store(path)
    with engine.connect() as conn:
        people = [dict(r) for r in conn.execute(select(customers)).mappings()]
        evs = [
            (r.customer_id, r.name, r.time, json.loads(r.properties))
            for r in conn.execute(select(events.c.customer_id, events.c.name, events.c.time, events.c.properties))
        ]
    engine.dispose()
    return path, summary, people, evs


def test_same_seed_same_store_other_seed_other_store(tmp_path, shop):
    path, summary, _, _ = shop
    again = tmp_path / "again.db"
    generate(again, customers=600, days=60, seed=3)
    assert content_digest(again) == content_digest(path)
    other = tmp_path / "other.db"
    generate(other, customers=600, days=60, seed=4)
    assert content_digest(other) != content_digest(path)


def test_window_and_counts(shop):
    _, summary, people, evs = shop
    assert summary.customers == len(people) == 600
    assert summary.events == len(evs) > 600 * 8
    assert summary.end == DEFAULT_END and summary.start == DEFAULT_END - 60 * DAY_MS
    assert all(summary.start <= t < summary.end for _, _, t, _ in evs)


def test_customers_have_names_emails_world_zones_mostly_consent_and_tiers(shop):
    _, _, people, _ = shop
    assert all(p["first_name"] and "@example." in p["email"] for p in people)
    zones = [p["timezone"] for p in people if p["timezone"]]
    assert all(is_zone(z) for z in zones)
    regions = {z.split("/")[0] for z in zones}
    assert {"America", "Europe", "Asia"} <= regions and len(set(zones)) >= 15
    consent = Counter(p["consent"] for p in people)
    assert consent[1] > 0.7 * len(people) and consent[0] > 0 and consent[None] > 0
    tiers = Counter(json.loads(p["properties"]).get("loyalty_tier") for p in people)
    assert tiers["gold"] > 0 and tiers["silver"] > 0 and tiers["bronze"] > 0 and tiers[None] > len(people) / 3


def test_event_properties_as_documented(shop):
    _, _, _, evs = shop
    names = Counter(n for _, n, _, _ in evs)
    assert set(names) == {"signup", "view", "add_to_cart", "remove_from_cart", "checkout_started", "purchase",
                          "email_open", "email_click"}
    for _, name, _, props in evs:
        if name == "add_to_cart":
            assert {"cart_id", "product_id", "price"} <= set(props)
        elif name == "purchase":
            assert {"cart_id", "price", "order_id"} <= set(props) and props["price"] > 0
        elif name == "view":
            assert isinstance(props["product_id"], int)
        elif name in ("email_open", "email_click"):
            assert props["campaign_id"].startswith("cmp-")


def test_signups_only_for_new_customers_and_first(shop):
    _, _, _, evs = shop
    by_customer = defaultdict(list)
    for cid, name, t, _ in evs:
        by_customer[cid].append((t, name))
    signed = [sorted(v) for v in by_customer.values() if any(n == "signup" for _, n in v)]
    assert 0.1 * 600 < len(signed) < 0.4 * 600
    assert all(v[0][1] == "signup" and sum(n == "signup" for _, n in v) == 1 for v in signed)


def test_funnel_most_purchases_within_an_hour_some_later_many_carts_never(shop):
    _, _, _, evs = shop
    first_add, bought = {}, {}
    for _, name, t, props in evs:
        if name == "add_to_cart":
            first_add[props["cart_id"]] = min(t, first_add.get(props["cart_id"], t))
        elif name == "purchase":
            bought[props["cart_id"]] = t
    assert set(bought) <= set(first_add)
    delays = [bought[c] - first_add[c] for c in bought]
    within_hour = sum(d <= HOUR_MS for d in delays)
    later = sum(d > 12 * HOUR_MS for d in delays)
    never = len(first_add) - len(bought)
    assert within_hour > len(delays) / 2
    assert later > 0
    assert never > len(first_add) / 3


def test_email_engagement_only_for_consenting_customers(shop):
    _, _, people, evs = shop
    consent = {p["id"]: p["consent"] for p in people}
    emailed = {cid for cid, name, _, _ in evs if name.startswith("email_")}
    assert emailed and all(consent[c] == 1 for c in emailed)


def test_sample_refuses_a_store_with_customers(tmp_path):
    path = tmp_path / "s.db"
    generate(path, customers=5, days=3, seed=1)
    with pytest.raises(StoreError, match="already has 5 customers"):
        generate(path, customers=5, days=3, seed=1)


def test_default_store_is_made_once_in_the_given_place(tmp_path, monkeypatch):
    target = tmp_path / "data" / "store.db"
    path = ensure_default_store(target)
    assert path == target and target.exists()
    leftovers = [p.name for p in target.parent.iterdir() if p.name.startswith(".sample-")]
    assert leftovers == []
    digest = content_digest(target)
    assert ensure_default_store(target) == target
    assert content_digest(target) == digest  # not regenerated


def test_default_store_path_uses_the_app_data_folder(monkeypatch, tmp_path):
    import platformdirs

    from designer import identity
    from designer.store import sample

    monkeypatch.delenv(identity.DATA_DIR_ENV, raising=False)
    monkeypatch.setattr(platformdirs, "user_data_path", lambda app, author=None: tmp_path / str(author) / app)
    assert sample.default_store_path() == tmp_path / "TriggerFlowDesigner" / "TriggerFlowDesigner" / "sample-store.db"
