"""Rendering for the preview in Qt's thread pool: reading the customer and rendering take the time,
the window never waits. Each job carries a generation number; the panel shows only the newest."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QRunnable, Signal
from sqlalchemy import select, text

from designer.content.context import build_context
from designer.content.message import Renderer
from designer.content.moment import Customer, moment_at, read_customer
from designer.content.templates import TemplateLibrary
from designer.content.vocabulary import Vocabulary, read_vocabulary
from designer.model import io
from designer.store.db import open_store
from designer.store.schema import customers

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


@dataclass
class PreviewResult:
    generation: int
    page: str
    customer: str | None
    message: object | None = None
    error: str | None = None


@dataclass
class StoreFacts:
    """What the panel needs from a store once: the names it can fill, customers to pick from."""

    vocabulary: Vocabulary
    customers: list[str] = field(default_factory=list)


class _Signals(QObject):
    done = Signal(object)


def _send(signals: _Signals, value) -> None:
    """Report to the panel, unless it went away meanwhile (the window closed while this ran)."""
    try:
        signals.done.emit(value)
    except RuntimeError:
        pass


class PreviewJob(QRunnable):
    _customers: dict[tuple[str, str], Customer] = {}

    def __init__(self, request: PreviewRequest) -> None:
        super().__init__()
        self.request = request
        self.signals = _Signals()

    def run(self) -> None:  # in a pool thread
        from designer.ui.content.page import note_page, page_for

        r = self.request
        try:
            flow = io.from_json(r.flow_json)
            node = flow.nodes[r.node_id]
            customer = self._customer(r.store, r.customer) if r.store and r.customer else None
            if customer is None:
                from designer.content.typical import typical_context

                ctx = typical_context(flow, node.id)
                shown = None
            else:
                ctx = build_context(moment_at(flow, node.id, customer, _moment(flow, customer)))
                shown = customer.external_id
            lib = TemplateLibrary.for_flow(r.flow_path, r.overrides, preview=True)
            msg = Renderer(lib).render(node.kind, node.id, node.config, ctx)
            _send(self.signals, PreviewResult(r.generation, page_for(msg, r.width), shown, msg))
        except Exception as exc:  # shown in the preview; a broken draft must not take the panel down
            _send(self.signals, PreviewResult(r.generation, note_page(f"Cannot preview: {exc}"), None,
                                              error=str(exc)))

    @classmethod
    def _customer(cls, store: str, external_id: str) -> Customer | None:
        key = (store, external_id)
        if key not in cls._customers:
            engine = open_store(store)
            try:
                found = read_customer(engine, external_id)
            finally:
                engine.dispose()
            if found is None:
                return None
            if len(cls._customers) > 64:
                cls._customers.clear()
            cls._customers[key] = found
        return cls._customers[key]


def _moment(flow, customer: Customer) -> int:
    """An hour after the customer's latest trigger event (their last event when they have none)."""
    trigger = next((n for n in flow.nodes.values() if n.kind == "trigger"), None)
    name = trigger.config.get("event") if trigger is not None else None
    times = [t for n, t, _ in customer.events if n == name]
    if times:
        return times[-1] + HOUR_MS
    return customer.events[-1][1] if customer.events else 0


class StoreJob(QRunnable):
    """Reads a store's vocabulary and the customers who have the trigger event."""

    def __init__(self, store: str, trigger_event: str | None) -> None:
        super().__init__()
        self.store, self.trigger_event = store, trigger_event
        self.signals = _Signals()

    def run(self) -> None:
        try:
            engine = open_store(self.store)
            try:
                vocab = read_vocabulary(engine)
                with engine.connect() as conn:
                    if self.trigger_event:
                        ids = [r[0] for r in conn.execute(text(
                            "SELECT c.external_id FROM customers c WHERE EXISTS (SELECT 1 FROM events e "
                            "WHERE e.customer_id = c.id AND e.name = :n) ORDER BY c.id LIMIT :k"),
                            {"n": self.trigger_event, "k": PICKER_LIMIT})]
                    else:
                        ids = [r[0] for r in conn.execute(select(customers.c.external_id)
                                                          .order_by(customers.c.id).limit(PICKER_LIMIT))]
            finally:
                engine.dispose()
            _send(self.signals, StoreFacts(vocab, ids))
        except Exception as exc:  # a store that cannot be read: the panel falls back to the typical customer
            _send(self.signals, exc)
