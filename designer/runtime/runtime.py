"""The runtime's decisions: deployed flows, the clock, and the decide step per customer.

Decide (DESIGN.md "The runtime"): when a customer's event arrives or their
timer is due, replay their history up to the clock through the backtest's
interpreter (:func:`designer.engine.replay.replay_customer`); the sends and
skips it decides that the outbox lacks are new and go in, in the same
transaction as the customer's next wake-up. A decision is final once the
clock has passed its time, so the runtime's messages are the backtest's.

The clock: ``now`` is exclusive, as a backtest window's end; decisions at
times before it are made. In manual mode it moves only through
:meth:`Runtime.advance`; an event later than it waits until it gets there.

Late events (an event before the clock, so before decisions already made):
stored and counted (``late_events``); the customer is replayed, new decisions
go in, and nothing already in the outbox is withdrawn or changed: a message
once decided stays decided.

Versions: each deploy of a changed flow is a new version that takes the
journeys entering from then on; the previous one keeps the journeys that
entered before. Both run in the same replay (so smart sending sees both), each
starting journeys only for its own range of entry times. A paused flow's decisions are
recorded as ``skipped`` (reason "flow paused"), so resuming never sends
anything late; a deleted flow decides nothing more and its queued messages
are withdrawn as skipped.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, delete, func, select, update

from designer.engine.plan import compile_flow
from designer.engine.replay import replay_customers
from designer.engine.simulate import flow_hash
from designer.model import io
from designer.model.flow import Flow
from designer.runtime import claims
from designer.runtime import tables as t
from designer.runtime.checkpoints import checkpoint
from designer.runtime.ingest import IngestResult, upsert_customer, write_events
from designer.runtime.reading import RuntimeError_, RuntimeReading
from designer.store.db import open_store
from designer.store.schema import customers, events

FUTURE_SLACK_MS = 5 * 60_000


@dataclass
class Version:
    id: int
    flow_id: str
    version: int
    flow: Flow
    entries_from: int
    entries_to: int | None
    paused: bool


class Runtime(RuntimeReading):
    """All state lives in the store; this object holds only caches and a lock."""

    def __init__(self, store, clock: str = "manual") -> None:
        self.engine: Engine = open_store(store)
        t.create_tables(self.engine)
        self.clock = clock
        self.lock = threading.RLock()
        self._plans: dict[int, tuple] = {}
        self._compiled_sets: dict[tuple, list] = {}
        #: Per decision: the decide step (replay and outbox write), and for one that queued a
        #: message, the time from the clock passing (the run's start) to the commit.
        self.decision_ms: list[float] = []
        self.due_to_outbox_ms: list[float] = []

    # -- state -----------------------------------------------------------------
    def _get(self, conn, key: str, default: int = 0) -> int:
        v = conn.execute(select(t.state.c.value).where(t.state.c.key == key)).scalar()
        return int(v) if v is not None else default

    def _add(self, conn, key: str, n: int) -> None:
        claims.add(conn, key, n)

    def now(self, conn=None) -> int:
        if self.clock == "wall":
            return int(time.time() * 1000)
        if conn is None:
            with self.engine.connect() as c:
                return self._get(c, "clock")
        return self._get(conn, "clock")

    # -- flows -----------------------------------------------------------------
    def deploy(self, flow_id: str, flow: Flow) -> dict:
        with self.lock, self.engine.begin() as conn:
            now = self.now(conn)
            digest = flow_hash(flow)
            row = conn.execute(select(t.flows).where(t.flows.c.id == flow_id)).first()
            if row is not None and not row.deleted:
                current = conn.execute(select(t.versions).where(t.versions.c.flow_id == flow_id,
                                                                t.versions.c.version == row.version)).first()
                if current.flow_hash == digest:
                    return {"id": flow_id, "version": row.version, "changed": False}
                conn.execute(update(t.versions).where(t.versions.c.id == current.id).values(entries_to=now))
            number = (conn.execute(select(func.max(t.versions.c.version)).where(t.versions.c.flow_id == flow_id))
                      .scalar() or 0) + 1
            if row is not None and row.deleted:
                conn.execute(update(t.versions).where(t.versions.c.flow_id == flow_id,
                                                      t.versions.c.entries_to.is_(None)).values(entries_to=now))
            conn.execute(t.versions.insert().values(flow_id=flow_id, version=number, flow_hash=digest,
                                                    document=io.dumps(flow), entries_from=now, entries_to=None,
                                                    deployed_at=now))
            if row is None:
                conn.execute(t.flows.insert().values(id=flow_id, version=number, paused=0, deleted=0))
            else:
                conn.execute(update(t.flows).where(t.flows.c.id == flow_id).values(version=number, deleted=0))
            # Events the clock has not reached may start journeys of this version, or be read by
            # it though no flow read them before (so nobody is woken for them): look at them.
            claims.wake(conn, dict(conn.execute(select(events.c.customer_id, func.min(events.c.time))
                                                .where(events.c.time >= now).group_by(events.c.customer_id)).all()))
            return {"id": flow_id, "version": number, "changed": True}

    def flows(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.flows).where(t.flows.c.deleted == 0).order_by(t.flows.c.id)).all()
        return [{"id": r.id, "version": r.version, "paused": bool(r.paused)} for r in rows]

    def flow(self, flow_id: str) -> dict:
        with self.engine.connect() as conn:
            row = conn.execute(select(t.flows).where(t.flows.c.id == flow_id, t.flows.c.deleted == 0)).first()
            if row is None:
                raise RuntimeError_("not_found", f"no deployed flow {flow_id!r}", 404, "id")
            doc = conn.execute(select(t.versions.c.document).where(t.versions.c.flow_id == flow_id,
                                                                   t.versions.c.version == row.version)).scalar()
        return {"id": row.id, "version": row.version, "paused": bool(row.paused), "flow": json.loads(doc)}

    def set_paused(self, flow_id: str, paused: bool) -> dict:
        with self.lock, self.engine.begin() as conn:
            n = conn.execute(update(t.flows).where(t.flows.c.id == flow_id, t.flows.c.deleted == 0)
                             .values(paused=int(paused))).rowcount
            if not n:
                raise RuntimeError_("not_found", f"no deployed flow {flow_id!r}", 404, "id")
        return self.flow(flow_id) | {"flow": None}

    def delete(self, flow_id: str) -> None:
        with self.lock, self.engine.begin() as conn:
            n = conn.execute(update(t.flows).where(t.flows.c.id == flow_id, t.flows.c.deleted == 0)
                             .values(deleted=1)).rowcount
            if not n:
                raise RuntimeError_("not_found", f"no deployed flow {flow_id!r}", 404, "id")
            conn.execute(update(t.outbox).where(t.outbox.c.flow_id == flow_id, t.outbox.c.status == "queued")
                         .values(status="skipped", reason="flow deleted"))

    def _live(self, conn) -> list[Version]:
        """Every version of every flow not deleted, each with its plan index."""
        rows = conn.execute(select(t.versions, t.flows.c.paused).join(t.flows, t.flows.c.id == t.versions.c.flow_id)
                            .where(t.flows.c.deleted == 0).order_by(t.versions.c.id)).all()
        out = []
        for r in rows:
            cached = self._plans.get(r.id)
            if cached is None:
                cached = self._plans[r.id] = (io.loads(r.document),)
            out.append(Version(r.id, r.flow_id, r.version, cached[0], r.entries_from, r.entries_to, bool(r.paused)))
        return out

    def _compiled(self, live: list[Version]) -> list:
        """The plans of the live versions, compiled once per set of versions (plans hold no state)."""
        key = tuple(v.id for v in live)
        plans = self._compiled_sets.get(key)
        if plans is None:
            self._compiled_sets.clear()
            plans = self._compiled_sets[key] = [compile_flow(v.flow, i) for i, v in enumerate(live)]
        return plans

    # -- input -----------------------------------------------------------------
    def ingest(self, raws: list) -> IngestResult:
        with self.lock:
            with self.engine.begin() as conn:
                now = self.now(conn)
                latest = now + FUTURE_SLACK_MS if self.clock == "wall" else None
                result = write_events(conn, raws, latest)
                if result.touched:
                    ids = dict(conn.execute(select(customers.c.external_id, customers.c.id)
                                            .where(customers.c.external_id.in_(list(result.touched)))).all())
                    waiting = set(conn.execute(select(t.wakeups.c.customer_id)
                                               .where(t.wakeups.c.customer_id.in_(list(ids.values())))).scalars())
                    triggers, read = self._interest(self._live(conn))
                    late, wakes = 0, {}
                    for ext, first in result.touched.items():
                        when = self._wake_for(now, ids[ext] in waiting, result.names[ext], triggers, read)
                        if when is not None:
                            wakes[ids[ext]] = when
                        late += first < now
                    claims.wake(conn, wakes)
                    self._add(conn, "events_ingested", result.accepted)
                    self._add(conn, "late_events", late)
                checkpoint("ingested")
            self.run_due()
            return result

    def _interest(self, live: list[Version]) -> tuple[set[str], set[str] | None]:
        """The events that start journeys in some deployed flow, and every event any of them reads
        (None: all), lower case: names match loosely here, so a near miss wakes a customer (a
        replay that finds nothing) and never leaves one asleep."""
        plans = self._compiled(live)
        read: set[str] | None = set()
        for p in plans:
            read = None if read is None or "*" in p.event_names else read | {n.lower() for n in p.event_names}
        return {p.trigger_event.lower() for p in plans if p.trigger_event}, read

    def _reads(self, live: list[Version]) -> set[str] | None:
        """The event names the live versions' replays read, as the reader's query names them (None: all)."""
        plans = self._compiled(live)
        return None if any("*" in p.event_names for p in plans) else set().union(*(p.event_names for p in plans))

    @staticmethod
    def _wake_for(now: int, waiting: bool, names: dict[str, int], triggers: set[str],
                  read: set[str] | None) -> int | None:
        """When new events make a customer worth a look. Only events some flow reads count: a
        replay reads no other (the reader's query leaves them out), so one would decide just what
        the last did. A customer with a wake-up (journeys in progress, or events the clock has not
        reached) or a late event is looked at from the first new event that counts; one with
        neither, only from their first event that starts a journey somewhere: any other event
        cannot decide anything until then (it is stored, and read by every later replay), so the
        runtime skips a replay that would find nothing."""
        seen = {name: t for name, t in names.items() if read is None or name.lower() in read}
        if not seen:
            return None
        first = min(seen.values())
        if waiting or first < now:
            return first
        starts = [t for name, t in seen.items() if name.lower() in triggers]
        return min(starts) if starts else None

    def upsert_customer(self, external_id: str, body) -> None:
        with self.lock, self.engine.begin() as conn:
            try:
                cid = upsert_customer(conn, external_id, body)
            except ValueError as exc:
                field, _, message = str(exc).partition(": ")
                raise RuntimeError_("invalid", str(exc), 422, field) from None
            # A changed profile can change what the customer's history decides: replay it. A
            # customer without events has nothing to replay (their first event wakes them), so
            # loading a shop's profiles before its events costs no replay per profile.
            if conn.execute(select(events.c.id).where(events.c.customer_id == cid).limit(1)).first() is not None:
                claims.wake(conn, {cid: self.now(conn) - 1})

    # -- the clock -------------------------------------------------------------
    def advance(self, to: int) -> int:
        if self.clock != "manual":
            raise RuntimeError_("wall_clock", "the clock moves by itself: serve --clock manual to set it", 409, "now")
        with self.lock:
            with self.engine.begin() as conn:
                if not claims.move_clock(conn, to):
                    now = self._get(conn, "clock")
                    raise RuntimeError_("clock_backwards", f"the clock is at {now}; it only moves forward", 422, "now")
            return self.run_due()

    def run_due(self) -> int:
        """Decide for every customer whose wake-up is before the clock; returns how many.

        Returns once none is due: customers other workers hold are waited for (see claims.py),
        so a ``POST /clock`` answers after everything due has run, whichever worker ran it.
        """
        done = 0
        with self.lock:
            passed = time.perf_counter()  # the clock passed these due times (or the events came) now
            now = self.now()
            size = claims.batch_size(self.engine)
            while True:
                with self.engine.connect() as conn:
                    due = claims.due(conn, now)
                    live = self._live(conn)  # once per batch: deploys wait for the runtime's lock
                if not due:
                    return done
                decided = 0
                for start in range(0, len(due), size):
                    decided += self._decide_timed(due[start:start + size], now, passed, live=live)
                if not decided:  # every one held by another worker: wait for the first of them
                    decided += self._decide_timed(due[:1], now, passed, wait=True, live=live)
                done += decided

    def _decide_timed(self, customer_ids: list[int], now: int, passed: float, wait: bool = False,
                      live: list[Version] | None = None) -> int:
        """:meth:`decide` with its figures: each customer decided took the whole transaction
        (claim to commit), and a message was in the outbox that long after the clock passed."""
        started = time.perf_counter()
        made = self.decide(customer_ids, now, wait=wait, live=live)
        ended = time.perf_counter()
        self.decision_ms.extend([(ended - started) * 1000] * len(made))
        self.due_to_outbox_ms.extend([(ended - passed) * 1000] * sum(made.values()))
        return len(made)

    def decide(self, customer_ids: list[int], now: int, wait: bool = False,
               live: list[Version] | None = None) -> dict[int, int]:
        """Claim those of ``customer_ids`` still due and replay them up to ``now``; their new
        decisions and next wake-ups commit together, in one transaction. Returns, per customer
        claimed, how many messages it decided (a customer not due any more, or held by another
        worker, is left out)."""
        with self.engine.begin() as conn:
            held = claims.claim(conn, customer_ids, now, wait)
            claimed = [c for c in customer_ids if c in held]  # in due order: the outbox's ids follow it
            if not claimed:
                return {}
            if live is None:
                live = self._live(conn)
            made = dict.fromkeys(claimed, 0)
            replays = {}
            if live:
                plans = self._compiled(live)
                window_from = min(v.entries_from for v in live)
                replays = replay_customers(plans, self.engine, claimed, window_from, now,
                                           [(v.entries_from, v.entries_to) for v in live])
                rows = self._new_decisions(conn, claimed, replays, live, plans, now)
                if rows:
                    conn.execute(t.outbox.insert(), rows)
                    for r in rows:
                        made[r["customer_id"]] += r["status"] == "queued"
                    checkpoint("decide")
            self._next_wakes(conn, claimed, replays, live, now)
        return made

    def _new_decisions(self, conn, claimed: list[int], replays: dict, live: list[Version], plans: list,
                       now: int) -> list[dict]:
        """The outbox rows of the replays' decisions the outbox lacks (each journey in its own version).
        Only customers with decisions are looked up (most replays of a step decide nothing yet)."""
        deciding = [cid for cid in claimed if replays[cid].decisions]
        if not deciding:
            return []
        have = set(conn.execute(select(t.outbox.c.customer_id, t.outbox.c.version_id, t.outbox.c.journey,
                                       t.outbox.c.node).where(t.outbox.c.customer_id.in_(deciding))).all())
        external = dict(conn.execute(select(customers.c.id, customers.c.external_id)
                                     .where(customers.c.id.in_(deciding))).all())
        rows = []
        for cid in deciding:
            for d in replays[cid].decisions:
                v = live[d.flow]
                if d.entry_time < v.entries_from or (v.entries_to is not None and d.entry_time >= v.entries_to):
                    continue  # a journey of another version of this flow
                if (cid, v.id, d.journey, d.node) in have:
                    continue
                node = plans[d.flow].nodes[d.node]
                if d.what == "sent":
                    status, reason = ("skipped", "flow paused") if v.paused else ("queued", None)
                else:
                    status, reason = "skipped", d.detail
                rows.append({"version_id": v.id, "flow_id": v.flow_id, "version": v.version,
                             "customer_id": cid, "external_id": external[cid], "journey": d.journey,
                             "node": d.node, "time": d.time, "channel": node.channel,
                             "subject": v.flow.nodes[d.node].config.get("subject"), "status": status,
                             "reason": reason, "attempts": 0, "decided_at": now})
        return rows

    def _next_wakes(self, conn, claimed: list[int], replays: dict, live: list[Version], now: int) -> None:
        """Each claimed customer's next look: the first step a replay foresees, or their first
        event some flow reads that the clock has not reached yet (stored, but not part of this
        replay; a deploy wakes those with any such event: see :meth:`deploy`). A claimed row
        is updated in place (not deleted and made again): a wake-up another worker is waiting to
        move earlier then lands on it."""
        later = select(events.c.customer_id, func.min(events.c.time)).where(events.c.customer_id.in_(claimed),
                                                                             events.c.time >= now)
        names = self._reads(live)
        if names is not None:  # (an event no flow reads would change no replay: see _wake_for)
            later = later.where(events.c.name.in_(sorted(names)))
        pending = dict(conn.execute(later.group_by(events.c.customer_id)).all())
        moved, done = [], []
        for cid in claimed:
            replay = replays.get(cid)
            wakes = [w for w in (pending.get(cid), replay.next_wake if replay is not None else None) if w is not None]
            if wakes:
                moved.append({"cid": cid, "when": min(wakes)})
            else:
                done.append(cid)
        if moved:
            conn.execute(update(t.wakeups).where(t.wakeups.c.customer_id == bindparam("cid"))
                         .values(wake_at=bindparam("when")), moved)
        if done:
            conn.execute(delete(t.wakeups).where(t.wakeups.c.customer_id.in_(done)))
