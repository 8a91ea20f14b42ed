"""How several runtime workers (threads, ``serve --workers N`` processes, machines) share one store.

A due customer is *claimed* by locking their ``runtime_wakeups`` row for the
decide transaction (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL): a
second worker skips that customer and decides the next, so no customer is
decided by two workers at once, and the decision and the next wake-up commit
together. A claim is the transaction itself, with no lease to expire: a worker
that dies (kill -9, a lost machine) loses its connection, the server rolls the
transaction back and the row is free for the next worker at once (for a
machine that vanishes without closing its connection, after TCP keepalive or
the server's ``idle_in_transaction_session_timeout``).

A wake-up is moved earlier with one atomic upsert (``INSERT ... ON CONFLICT DO
UPDATE SET wake_at = least(...)``): an event ingested while another worker
decides that customer waits for that decision to commit, then lands on the
wake-up it wrote, so it is never lost. Counters are incremented in SQL for the
same reason.

SQLite has no row locks (``FOR UPDATE`` is not rendered there) and one writer
at a time: one process serves a SQLite store, its threads taking turns on
the runtime's lock.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Connection, Text, cast, func, select, update

from designer.runtime import tables as t


def shared(conn_or_engine) -> bool:
    """Whether several processes may work on this store at once (a server with row locks)."""
    return conn_or_engine.dialect.name == "postgresql"


def _insert(conn: Connection):
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def wake(conn: Connection, when: dict[int, int]) -> None:
    """Look at each customer of ``when`` again at its time at the latest (an earlier wake-up
    stays); one statement for them all, in id order (two ingests on a server lock the rows in
    the same order, so they never deadlock)."""
    if not when:
        return
    stmt = _insert(conn)(t.wakeups)
    least = func.least if conn.dialect.name == "postgresql" else func.min  # SQLite's min(a, b) is scalar
    conn.execute(stmt.on_conflict_do_update(index_elements=[t.wakeups.c.customer_id],
                                            set_={"wake_at": least(t.wakeups.c.wake_at, stmt.excluded.wake_at)}),
                 [{"customer_id": c, "wake_at": w} for c, w in sorted(when.items())])


def claim(conn: Connection, customer_ids: list[int], now: int, wait: bool) -> set[int]:
    """Lock the wake-ups of those of ``customer_ids`` due before ``now`` for this transaction;
    returns the ids locked.

    ``wait=False`` skips a customer another worker holds; ``wait=True`` waits for that worker's
    decision to commit (or its connection to die) and then looks again, so a caller that found
    only held customers can wait for them instead of polling.
    """
    q = (select(t.wakeups.c.customer_id).where(t.wakeups.c.customer_id.in_(customer_ids), t.wakeups.c.wake_at < now)
         .with_for_update(skip_locked=not wait))
    return set(conn.execute(q).scalars())


def batch_size(conn_or_engine) -> int:
    """How many due customers one decide transaction claims.

    One process alone on a store (SQLite) decides all it finds in one
    transaction: one read of their events, one interpreter, one commit. On a
    shared store each transaction claims one customer, so the due customers of
    a step spread over every worker and a worker that dies holds back only one.
    """
    return 1 if shared(conn_or_engine) else DUE_LIMIT


#: The most due customers looked up (and decided together, alone on a store) at a time.
DUE_LIMIT = 500


def due(conn: Connection, now: int, limit: int = DUE_LIMIT) -> list[int]:
    """Customers whose wake-up is before ``now``, earliest first (a candidate list: claim each)."""
    return list(conn.execute(select(t.wakeups.c.customer_id).where(t.wakeups.c.wake_at < now)
                             .order_by(t.wakeups.c.wake_at).limit(limit)).scalars())


def init_counter(conn: Connection, key: str, value: int = 0) -> None:
    conn.execute(_insert(conn)(t.state).values(key=key, value=str(value)).on_conflict_do_nothing())


def add(conn: Connection, key: str, n: int) -> None:
    """``key`` += ``n`` in one statement (two workers counting at once both count)."""
    if n:
        init_counter(conn, key)
        conn.execute(update(t.state).where(t.state.c.key == key)
                     .values(value=cast(cast(t.state.c.value, BigInteger) + n, Text)))


def move_clock(conn: Connection, to: int) -> bool:
    """Set the manual clock to ``to`` unless it is already later; False when it is."""
    init_counter(conn, "clock")
    return conn.execute(update(t.state).where(t.state.c.key == "clock",
                                              cast(t.state.c.value, BigInteger) <= to)
                        .values(value=str(to))).rowcount == 1
