"""The event store's tables, as SQLAlchemy Core metadata.

Every other part of the program reads the store through these definitions, so
their names and meanings are kept stable; later changes arrive as migrations
(:mod:`designer.store.migrations`) that bump :data:`SCHEMA_VERSION`.

Conventions, chosen so the engine can read without surprises:

* Times are ``INTEGER`` epoch **milliseconds UTC** everywhere (``events.time``,
  ``imports.started``, ``runs.window_from`` ...). No timezone-naive text.
* ``properties`` / ``figures`` / ``mapping`` / ``rejects`` columns hold JSON
  *text* (portable across SQLite and PostgreSQL; SQLite's ``json_extract``
  works on them). Event properties keep numbers as JSON numbers; ids too big
  for a float (e.g. 19-digit category ids) are kept as exact strings.
* ``customers.consent`` is ``1`` (yes), ``0`` (no) or ``NULL`` (unknown: the
  source said nothing). Nothing ever invents a consent value.
* ``customers.timezone`` is an IANA zone name (``Europe/Paris``) or ``NULL``.
* Canonical event names: ``view``, ``add_to_cart``, ``remove_from_cart``,
  ``checkout_started``, ``purchase``, ``signup``, ``email_open``,
  ``email_click``; anything else is a custom name kept as imported.
* ``events.dedupe_key`` is a signed 64-bit integer digest of the event name
  and properties JSON (:func:`designer.store.codec.dedupe_key`);
  ``(customer_id, time, dedupe_key)`` is unique, so the same event imported
  twice, from one file or two, is stored once.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
)

#: The version a freshly created store has; migrations bring older stores here.
SCHEMA_VERSION = 6

#: Canonical event names the presets map to (others are kept as custom names).
CANONICAL_EVENTS = (
    "view",
    "add_to_cart",
    "remove_from_cart",
    "checkout_started",
    "purchase",
    "signup",
    "email_open",
    "email_click",
)

# A 64-bit key on PostgreSQL and friends, but the plain INTEGER that SQLite
# needs for a primary key to be the (fast) rowid alias.
Id = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

#: Key/value facts about the store itself: ``schema_version``, ``key_id`` (names the
#: pseudonymisation key, which is kept outside the store: :mod:`designer.store.keys`),
#: ``created`` (epoch ms).
meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

#: One row per imported file (events or customer profiles).
imports = Table(
    "imports",
    metadata,
    Column("id", Id, primary_key=True),
    Column("kind", Text, nullable=False),  # "events" | "customers" | "sample"
    Column("file", Text, nullable=False),  # path as given (display only)
    Column("sha256", Text, nullable=False),  # of the file's bytes as stored on disk
    Column("size", BigInteger, nullable=False, default=0),  # bytes
    Column("mapping", Text, nullable=False, default="{}"),  # JSON: preset/mapping/tz/privacy used
    Column("mapping_hash", Text, nullable=False, default=""),  # same file + same mapping = same import
    Column("rows_read", BigInteger, nullable=False, default=0),
    Column("rows_loaded", BigInteger, nullable=False, default=0),
    Column("rows_rejected", BigInteger, nullable=False, default=0),
    Column("rows_duplicate", BigInteger, nullable=False, default=0),
    # Records of the file fully processed and committed: where a resume starts.
    Column("checkpoint", BigInteger, nullable=False, default=0),
    Column("started", BigInteger, nullable=False),  # epoch ms
    Column("finished", BigInteger, nullable=True),  # epoch ms, NULL while running
    # "running" -> "done"; "interrupted" (Ctrl-C or crash, resumable);
    # "rolled_back" (its events removed); "failed" (could not run at all).
    Column("status", Text, nullable=False),
    Column("pid", Integer, nullable=True),  # of the importing process, to spot a dead one
    Column("host", Text, nullable=True),
    Column("rejects", Text, nullable=False, default="[]"),  # JSON: first 100 {"line", "reason"}
    # JSON {kind: count} over every rejected row (bookkeeping.reject_kind); NULL before version 4.
    Column("reject_counts", Text, nullable=True),
)
Index("ix_imports_sha256", imports.c.sha256)

customers = Table(
    "customers",
    metadata,
    Column("id", Id, primary_key=True),  # internal; events refer to it
    Column("external_id", Text, nullable=False, unique=True),  # the shop's id, exact text
    Column("email", Text, nullable=True),
    Column("first_name", Text, nullable=True),
    Column("timezone", Text, nullable=True),  # IANA name or NULL
    Column("consent", Integer, nullable=True),  # 1 yes, 0 no, NULL unknown
    Column("properties", Text, nullable=False, default="{}"),  # JSON object
    # The import that first created this customer (events or profile import):
    # rolling an import back removes the customers it alone brought in. Later
    # imports never change it (a profile import records its changes in
    # profile_changes instead).
    Column("import_id", Id, ForeignKey("imports.id", ondelete="SET NULL"), nullable=True),
)

#: What a profile import changed in customers it did not create, so rolling it
#: back restores them: ``before`` and ``after`` are JSON objects of the
#: changed fields (``email``, ``first_name``, ``timezone``, ``consent``,
#: ``properties`` as its JSON text). One row per import and customer, kept
#: from that import's first change; erased with the customer.
profile_changes = Table(
    "profile_changes",
    metadata,
    Column("id", Id, primary_key=True),
    Column("import_id", Id, ForeignKey("imports.id", ondelete="CASCADE"), nullable=False),
    Column("customer_id", Id, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
)
Index("ix_profile_changes_import", profile_changes.c.import_id, profile_changes.c.customer_id, unique=True)
Index("ix_profile_changes_customer", profile_changes.c.customer_id)

events = Table(
    "events",
    metadata,
    Column("id", Id, primary_key=True),
    Column("customer_id", Id, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("time", BigInteger, nullable=False),  # epoch ms UTC
    Column("properties", Text, nullable=False, default="{}"),  # JSON object
    Column("import_id", Id, ForeignKey("imports.id", ondelete="SET NULL"), nullable=True),
    Column("dedupe_key", BigInteger, nullable=False),  # see the module docstring
)
# One index serves two needs: the engine's per-customer reads in time order
# (its (customer_id, time) prefix) and dedupe (unique with the key). A
# separate unique index on dedupe_key alone would cost every insert a third
# B-tree for no gain: the key already digests the customer and the time.
Index("ix_events_customer_time", events.c.customer_id, events.c.time, events.c.dedupe_key, unique=True)
Index("ix_events_name_time", events.c.name, events.c.time)

#: Stored simulation results, so two versions of a flow can be compared on
#: the same history. Written by the engine; the store only keeps them.
runs = Table(
    "runs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("flow_id", Text, nullable=False),
    Column("flow_hash", Text, nullable=False),  # hash of the flow JSON simulated
    Column("flow_json", Text, nullable=False),
    Column("window_from", BigInteger, nullable=False),  # epoch ms UTC, inclusive
    Column("window_to", BigInteger, nullable=False),  # epoch ms UTC, exclusive
    Column("created", BigInteger, nullable=False),  # epoch ms UTC
    Column("figures", Text, nullable=False, default="{}"),  # JSON: per node / send / summary
)
Index("ix_runs_flow", runs.c.flow_id, runs.c.created)

#: The right to erasure leaves a trace that it happened, and nothing more:
#: no id, no email, only when and how much was removed.
erasures = Table(
    "erasures",
    metadata,
    Column("id", Id, primary_key=True),
    Column("time", BigInteger, nullable=False),  # epoch ms UTC
    Column("events_deleted", BigInteger, nullable=False),
)


#: Ids erased by ``forget``, as keyed hashes (:mod:`designer.store.erased`), never as the id:
#: later events and profile rows of an erased id are refused.
erased_ids = Table(
    "erased_ids",
    metadata,
    Column("hash", Text, primary_key=True),
    Column("time", BigInteger, nullable=False),  # epoch ms UTC
)
