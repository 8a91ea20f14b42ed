"""The email an outbox row delivers: rendered by designer/content for that customer at that moment.

The same renderer as the preview, ``render`` and the backtest's checks: the
flow version the journey runs (not the latest), the customer's profile and
history as of the message's time, and the trigger event that began that
journey (its entry time is the first part of the outbox's journey key), so
the cart in a reminder is the cart the journey is about. Templates come from
the shipped library. A message that does not render (a missing template, a
name the context lacks) is not sent as a stand-in: delivery marks it failed
with the problem.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from designer.content.context import build_context
from designer.content.message import RenderedMessage, Renderer, preview_problems
from designer.content.moment import moment_at, read_customer
from designer.content.templates import TemplateLibrary
from designer.model import io
from designer.model.flow import Flow
from designer.runtime import tables as t
from designer.store.settings import store_currency


class NotRenderable(Exception):
    """Why an outbox row has no message to send (the row's failure reason)."""


class MessageBuilder:
    """Renders outbox rows; flows and compiled templates are cached per version."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._flows: dict[int, tuple[Flow, Renderer]] = {}
        #: The shop's currency, read on the first render (money in messages is written in it).
        self._currency: str | None = None

    def _version(self, version_id: int) -> tuple[Flow, Renderer]:
        found = self._flows.get(version_id)
        if found is None:
            with self.engine.connect() as conn:
                doc = conn.execute(select(t.versions.c.document).where(t.versions.c.id == version_id)).scalar()
            if doc is None:
                raise NotRenderable(f"flow version {version_id} is not in the store")
            found = self._flows[version_id] = (io.loads(doc), Renderer(TemplateLibrary.for_flow(None)))
        return found

    def render(self, row) -> RenderedMessage:
        """The message of outbox ``row`` (version_id, node, external_id, journey, time)."""
        flow, renderer = self._version(row.version_id)
        node = flow.nodes.get(row.node)
        if node is None:
            raise NotRenderable(f"node {row.node} is not in version {row.version} of {row.flow_id}")
        customer = read_customer(self.engine, row.external_id)
        if customer is None:
            raise NotRenderable(f"customer {row.external_id!r} is not in the store")
        entry = int(str(row.journey).split(":", 1)[0])
        if self._currency is None:
            self._currency = store_currency(self.engine)
        msg = renderer.render(node.kind, node.id, node.config,
                              build_context(moment_at(flow, node.id, customer, int(row.time), entry),
                                            currency=self._currency))
        if msg.problems:
            raise NotRenderable(f"node {node.id}: " + "; ".join(preview_problems(msg)))
        return msg
