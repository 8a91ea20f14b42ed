"""What the preview runs on the panel's pool (plain functions, no Qt): reading the customer and
rendering take the time, the window never waits. Each request carries a generation number; the
panel shows only the newest."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import select, text

from designer.content.context import build_context
from designer.content.message import Renderer
from designer.content.moment import Customer, moment_at, read_customer
from designer.content.templates import TemplateLibrary
from designer.content.vocabulary import Vocabulary, read_vocabulary
from designer.model import io
from designer.store.db import open_store
from designer.store.schema import customers
from designer.store.settings import store_currency

HOUR_MS = 3_600_000
#: Customers offered in the picker (those with the flow's trigger event, newest ids first).
PICKER_LIMIT = 200


@dataclass
class PreviewRequest:
    generation: int
    flow_json: dict
    flow_path: str | None
    node_id: str
    overrides: dict[str, str]
    store: str | None
    customer: str | None
    width: str
    #: The moment to render for (epoch ms UTC): a message of a trace or backtest. None: an hour
    #: after the customer's latest trigger event.
    at: int | None = None
    #: When that message's journey entered: its trigger event is the one at this time.
    entry_time: int | None = None


@dataclass
class PreviewResult:
    generation: int
    page: str
    customer: str | None
    message: object | None = None
    error: str | None = None
    #: The moment the message was rendered at (None for the typical customer).
    at: int | None = None
    #: The customer's own time zone (IANA name), when the store knows it.
    zone: str | None = None


@dataclass
class StoreFacts:
    """What the panel needs from a store once: the names it can fill, customers to pick from."""

    vocabulary: Vocabulary
    customers: list[str] = field(default_factory=list)


#: (store, external id) -> (the customer, the store's currency)
_customers: dict[tuple[str, str], tuple[Customer, str]] = {}
_customers_lock = threading.Lock()


def render_preview(r: PreviewRequest) -> PreviewResult:
    """The page for one request (on a pool thread); a broken draft gives a page that says why."""
    from designer.ui.content.page import note_page, page_for

    try:
        flow = io.from_json(r.flow_json)
        node = flow.nodes[r.node_id]
        customer, currency = _customer(r.store, r.customer) if r.store and r.customer else (None, "")
        if customer is None:
            from designer.content.typical import typical_context

            ctx = typical_context(flow, node.id)
            shown = at = None
        else:
            at = r.at if r.at is not None else _moment(flow, customer)
            ctx = build_context(moment_at(flow, node.id, customer, at, r.entry_time if r.at is not None else None),
                                currency=currency)
            shown = customer.external_id
        lib = TemplateLibrary.for_flow(r.flow_path, r.overrides, preview=True)
        msg = Renderer(lib).render(node.kind, node.id, node.config, ctx)
        zone = customer.profile.get("timezone") if customer is not None else None
        return PreviewResult(r.generation, page_for(msg, r.width), shown, msg, at=at, zone=zone or None)
    except Exception as exc:  # shown in the preview; a broken draft must not take the panel down
        return PreviewResult(r.generation, note_page(f"Cannot preview: {exc}"), None, error=str(exc))


def forget_store(store: str) -> None:
    """Drop the histories read from ``store`` (it changed: an import, an erasure)."""
    with _customers_lock:
        for key in [k for k in _customers if k[0] == store]:
            del _customers[key]


def _customer(store: str, external_id: str) -> tuple[Customer | None, str]:
    """The customer's history and the store's currency, read once per store and id (typing
    re-renders often)."""
    key = (store, external_id)
    with _customers_lock:
        if key in _customers:
            return _customers[key]
    engine = open_store(store)
    try:
        found = read_customer(engine, external_id)
        currency = store_currency(engine)
    finally:
        engine.dispose()
    if found is None:
        return None, currency
    with _customers_lock:
        if len(_customers) > 64:
            _customers.clear()
        _customers[key] = (found, currency)
    return found, currency


def _moment(flow, customer: Customer) -> int:
    """An hour after the customer's latest trigger event (their last event when they have none)."""
    trigger = next((n for n in flow.nodes.values() if n.kind == "trigger"), None)
    name = trigger.config.get("event") if trigger is not None else None
    times = [t for n, t, _ in customer.events if n == name]
    if times:
        return times[-1] + HOUR_MS
    return customer.events[-1][1] if customer.events else 0


def read_store_facts(store: str, trigger_event: str | None) -> StoreFacts:
    """A store's vocabulary and the customers who have the trigger event (on a pool thread)."""
    engine = open_store(store)
    try:
        vocab = read_vocabulary(engine)
        with engine.connect() as conn:
            if trigger_event:
                ids = [r[0] for r in conn.execute(text(
                    "SELECT c.external_id FROM customers c WHERE EXISTS (SELECT 1 FROM events e "
                    "WHERE e.customer_id = c.id AND e.name = :n) ORDER BY c.id LIMIT :k"),
                    {"n": trigger_event, "k": PICKER_LIMIT})]
            else:
                ids = [r[0] for r in conn.execute(select(customers.c.external_id)
                                                  .order_by(customers.c.id).limit(PICKER_LIMIT))]
    finally:
        engine.dispose()
    return StoreFacts(vocab, ids)
