"""What a runtime tells about itself: its outbox, a customer's journeys, figures and metrics.

Reading only; the deciding is ``runtime.py``'s. ``Runtime`` takes these methods from
``RuntimeReading``, which reads the store, the live versions and the clock the way the
deciding side keeps them.
"""

from __future__ import annotations

from sqlalchemy import func, select

from designer.engine.replay import replay_customer
from designer.runtime import tables as t
from designer.store.schema import customers


class RuntimeError_(Exception):
    """A request the runtime refuses: ``code`` and ``field`` go into the API's error body."""

    def __init__(self, code: str, message: str, status: int = 400, field: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status, self.field = code, message, status, field


class RuntimeReading:
    """The reading half of ``Runtime`` (its store engine, lock, live versions and clock)."""

    def messages(self, flow: str | None = None, customer: str | None = None, status: str | None = None,
                 since: int | None = None) -> list[dict]:
        q = select(t.outbox).order_by(t.outbox.c.id)
        if flow:
            q = q.where(t.outbox.c.flow_id == flow)
        if customer:
            q = q.where(t.outbox.c.external_id == customer)
        if status:
            q = q.where(t.outbox.c.status == status)
        if since is not None:
            q = q.where(t.outbox.c.time >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        out = []
        for r in rows:
            m = {"id": r.id, "flow": r.flow_id, "flow_version": r.version, "node": r.node, "customer": r.external_id,
                 "journey": r.journey, "time": r.time, "channel": r.channel, "status": r.status, "subject": r.subject}
            if r.reason:
                m["reason"] = r.reason
            out.append(m)
        return out

    def journeys(self, external_id: str) -> list[dict]:
        with self.lock, self.engine.connect() as conn:
            cid = conn.execute(select(customers.c.id).where(customers.c.external_id == external_id)).scalar()
            if cid is None:
                raise RuntimeError_("not_found", f"no customer {external_id!r}", 404, "id")
            live = self._live(conn)
            now = self.now(conn)
        plans = self._compiled(live)
        window_from = min((v.entries_from for v in live), default=now)
        replay = replay_customer(plans, self.engine, cid, window_from, now, [(v.entries_from, v.entries_to) for v in live])
        out = []
        for flow, key, step in replay.steps:
            v = live[flow]
            entry = int(key.split(":")[0])
            if entry < v.entries_from or (v.entries_to is not None and entry >= v.entries_to):
                continue
            out.append({"flow": v.flow_id, "flow_version": v.version, "journey": key, **step.to_json()})
        return out

    def figures(self, flow_id: str) -> dict:
        """The deployed flow's live figures, in a backtest's shape (see figures.py)."""
        from designer.runtime.figures import live_figures

        return live_figures(self, flow_id)

    def metrics(self) -> dict:
        with self.engine.connect() as conn:
            by_status = dict(conn.execute(select(t.outbox.c.status, func.count()).group_by(t.outbox.c.status)).all())
            now = self.now(conn)
            waiting = conn.execute(select(func.count()).select_from(t.wakeups)).scalar() or 0
            oldest = conn.execute(select(func.min(t.wakeups.c.wake_at))).scalar()
            return {"events_ingested": self._get(conn, "events_ingested"), "late_events": self._get(conn, "late_events"),
                    "customers_waiting": waiting, "messages": by_status,
                    "timer_lag_ms": max(0, now - oldest) if oldest is not None and oldest < now else 0}
