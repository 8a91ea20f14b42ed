"""The runtime's state, in the same SQL store as the history (SQLAlchemy Core).

Created beside the store's own tables on first use (``create_all`` only adds
missing tables). Times are epoch ms UTC like everywhere in the store.

* ``runtime_flows``: one row per deployed flow id (current version, paused, deleted).
* ``runtime_versions``: every version ever deployed, with the flow file and the
  range of entry times it takes journeys for (``[entries_from, entries_to)``;
  ``entries_to`` is set when a newer version replaces it). Journeys keep the
  version they entered in.
* ``runtime_outbox``: every decided send or skip, unique on (version, customer,
  journey, node): a decision is recorded once however often it is replayed.
* ``runtime_wakeups``: per customer, the next moment their journeys need a look.
* ``runtime_state``: key/value (the clock, counters).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, Table, Text, UniqueConstraint

from designer.store.schema import Id

metadata = MetaData()

flows = Table(
    "runtime_flows", metadata,
    Column("id", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("paused", Integer, nullable=False, default=0),
    Column("deleted", Integer, nullable=False, default=0),
)

versions = Table(
    "runtime_versions", metadata,
    Column("id", Id, primary_key=True),
    Column("flow_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("flow_hash", Text, nullable=False),
    Column("document", Text, nullable=False),
    Column("entries_from", BigInteger, nullable=False),
    Column("entries_to", BigInteger, nullable=True),
    Column("deployed_at", BigInteger, nullable=False),
    UniqueConstraint("flow_id", "version"),
)

outbox = Table(
    "runtime_outbox", metadata,
    Column("id", Id, primary_key=True),
    Column("version_id", Id, nullable=False),
    Column("flow_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("customer_id", Id, nullable=False),
    Column("external_id", Text, nullable=False),
    Column("journey", Text, nullable=False),
    Column("node", Text, nullable=False),
    Column("time", BigInteger, nullable=False),
    Column("channel", Text, nullable=True),
    Column("subject", Text, nullable=True),
    Column("status", Text, nullable=False),  # queued | sending | sent | failed | skipped
    Column("reason", Text, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("decided_at", BigInteger, nullable=False),
    UniqueConstraint("version_id", "customer_id", "journey", "node", name="uq_runtime_outbox_decision"),
)
Index("ix_runtime_outbox_status", outbox.c.status, outbox.c.id)
Index("ix_runtime_outbox_customer", outbox.c.customer_id)

wakeups = Table(
    "runtime_wakeups", metadata,
    Column("customer_id", Id, primary_key=True),
    Column("wake_at", BigInteger, nullable=False),
)
Index("ix_runtime_wakeups_time", wakeups.c.wake_at)

state = Table(
    "runtime_state", metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)


def create_tables(engine) -> None:
    """Add the runtime's tables to a store that lacks them; two workers starting at once on a
    server take turns (the second finds the tables made)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7531903)")
        metadata.create_all(conn)
