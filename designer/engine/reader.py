"""Reading the store for a simulation: only the events the flows can look at, customer by customer.

The flows' plans say which event names they read and how far back; those, the
window's end and simple trigger filters go into the SQL, so the database
skips everything else (on the sample shop an abandoned-cart flow reads about a
tenth of the events). Rows stream in (customer, time, id) order in batches,
so memory holds one batch and one customer, whatever the size of the history;
profiles are fetched only for customers who have a trigger event in the window.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter

from sqlalchemy import Engine, and_, case, cast, func, literal, null, or_, select

from designer.engine.history import PROFILE_COLUMNS, History, base_profile
from designer.engine.plan import FlowPlan
from designer.store.schema import customers, events

BATCH_ROWS = 20_000
PROFILE_BATCH = 500
_first = itemgetter(0)


@dataclass
class ReadSpec:
    """What to read: names (None: all), time bounds, and per-name property filters."""

    names: set[str] | None
    time_from: int | None
    time_to: int
    #: name -> [(property, text)] equalities every event of that name must pass.
    name_filters: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: (trigger name, window start, window end) per flow: which customers need a profile.
    triggers: list[tuple[str, int, int]] = field(default_factory=list)
    #: Read the table front to back instead of through the name index (see :func:`choose_scan`).
    full_scan: bool = False
    #: (first, last) event time in the store when known: a time bound every stored event
    #: meets is left out of the SQL (see :func:`sql_time_bounds`).
    span: tuple[int, int] | None = None
    #: Profile properties the flows read (None: all); a profile column no flow reads is not fetched.
    profile_names: set[str] | None = None
    #: Event names whose properties the flows read (None: all); other events come without them
    #: (on the sample shop most events are views no rule looks into: not fetching their
    #: properties took a third off the read, and the sort behind it got smaller).
    props_names: set[str] | None = None


def read_spec(plans: list[FlowPlan], window_from: int, window_to: int,
              span: tuple[int, int] | None = None) -> ReadSpec:
    names: set[str] | None = set()
    lookback: int | None = 0
    for plan in plans:
        if "*" in plan.event_names:
            names = None
        elif names is not None:
            names |= plan.event_names
        lookback = None if lookback is None or plan.lookback_ms is None else max(lookback, plan.lookback_ms)
    # A name read only as a filtered trigger can be filtered in SQL; one read otherwise cannot.
    filters: dict[str, list[tuple[str, str]]] = {}
    if names is not None:
        needed_plain: set[str] = set()
        for plan in plans:
            needed_plain |= plan.event_names - {plan.trigger_event}
            if plan.trigger_pushdown is None:
                needed_plain.add(plan.trigger_event)
        for plan in plans:
            if plan.trigger_pushdown and plan.trigger_event not in needed_plain:
                if plan.trigger_event in filters and filters[plan.trigger_event] != plan.trigger_pushdown:
                    needed_plain.add(plan.trigger_event)  # two different filters: read them all
                    filters.pop(plan.trigger_event)
                elif plan.trigger_event not in needed_plain:
                    filters[plan.trigger_event] = plan.trigger_pushdown
    return ReadSpec(
        names=names,
        time_from=None if lookback is None else window_from - lookback,
        time_to=window_to,
        name_filters=filters,
        triggers=[(p.trigger_event, window_from, window_to) for p in plans],
        span=span,
        profile_names=set().union(*(p.profile_names for p in plans)),
        props_names=set().union(*(p.props_names for p in plans)),
    )


#: From this share of the table on, SQLite reads the table front to back rather than
#: through the name index: finding each row from the index is a jump to a random page,
#: and past a few percent of the rows that costs more than reading every page in order
#: (on a million sample events, 10% of them: 0.8 s through the index, 0.4 s in order).
FULL_SCAN_SHARE = 0.03


def choose_scan(conn, spec: ReadSpec, rows_to_read: int) -> bool:
    """Whether to read the whole table in order (SQLite only; other planners judge for themselves)."""
    if conn.dialect.name != "sqlite" or rows_to_read == 0:
        return False
    # The table's size from its id range, two seeks (a count reads a whole index: 5 ms on a
    # million rows, every run). Deleted rows only make it look larger, erring toward the index.
    lowest = select(func.min(events.c.id)).scalar_subquery()
    highest = select(func.max(events.c.id)).scalar_subquery()
    lo, hi = conn.execute(select(lowest, highest)).one()
    total = hi - lo + 1 if lo is not None else 0
    return total > 0 and rows_to_read / total >= FULL_SCAN_SHARE


def count_rows(conn, engine: Engine, spec: ReadSpec) -> int:
    """How many rows a run will read (a count on the name index: quick)."""
    stmt = events_query(engine, spec).order_by(None).with_only_columns(func.count())
    return conn.execute(stmt).scalar() or 0


def sql_time_bounds(spec: ReadSpec) -> tuple[int | None, int | None]:
    """The (from, to) time bounds the SQL states; None where every stored event meets the bound.

    A backtest over the whole history asks for every time the store holds,
    and on a read of the whole table the two comparisons took a fifth of the
    database's time. A bound left out here is applied to the rows as they
    arrive instead (:func:`stream`), in case events were added since the
    span was read.
    """
    time_from, time_to = spec.time_from, spec.time_to
    if spec.span is not None:
        first, last = spec.span
        if time_from is not None and time_from <= first:
            time_from = None
        if time_to > last:
            time_to = None
    return time_from, time_to


def events_query(engine: Engine, spec: ReadSpec, customer_lo: int | None = None, customer_hi: int | None = None,
                 customer_id: int | None = None):
    # The id only orders events of the same moment; it is not fetched.
    cols = (events.c.customer_id, events.c.name, events.c.time, _properties(spec))
    conds = []
    time_from, time_to = sql_time_bounds(spec)
    if time_to is not None:
        conds.append(events.c.time < time_to)
    if time_from is not None:
        conds.append(events.c.time >= time_from)
    if spec.names is not None:
        plain = sorted(n for n in spec.names if n not in spec.name_filters)
        parts = []
        if plain:
            parts.append(events.c.name.in_(plain))
        for name, tests in sorted(spec.name_filters.items()):
            parts.append(and_(events.c.name == name, *(
                _json_text(engine, prop) == value for prop, value in tests)))
        conds.append(or_(*parts) if parts else literal(False))
    if customer_id is not None:
        conds.append(events.c.customer_id == customer_id)
    if customer_lo is not None:
        conds.append(events.c.customer_id >= customer_lo)
    if customer_hi is not None:
        conds.append(events.c.customer_id < customer_hi)
    return select(*cols).where(*conds).order_by(events.c.customer_id, events.c.time, events.c.id)


def _properties(spec: ReadSpec):
    """The properties column, or NULL for the events whose properties no flow reads."""
    wanted = spec.props_names
    if wanted is None or (spec.names is not None and spec.names <= wanted):
        return events.c.properties
    if not wanted:
        return null().label("properties")
    return case((events.c.name.in_(sorted(wanted)), events.c.properties), else_=null()).label("properties")


def _json_text(engine: Engine, prop: str):
    """The text of a top-level JSON property, in the database's own JSON function."""
    if engine.dialect.name == "postgresql":
        return cast(events.c.properties, _jsonb()).op("->>")(prop)
    if engine.dialect.name in ("mysql", "mariadb"):
        return func.json_unquote(func.json_extract(events.c.properties, f"$.{prop}"))
    return func.json_extract(events.c.properties, f"$.{prop}")


def _jsonb():
    from sqlalchemy.dialects.postgresql import JSONB

    return JSONB


@dataclass
class ReadStats:
    """Counters the reader keeps while streaming (for progress and the result)."""

    rows: int = 0
    customers: int = 0
    last_customer: int | None = None


def _compile(conn, stmt) -> tuple[str, list]:
    """The SQL text and positional parameters SQLAlchemy renders for ``stmt`` (SQLite)."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    values = compiled.params  # built anew on each access: once, not per parameter
    return str(compiled), [values[k] for k in compiled.positiontup]


def _execute(conn, stmt, not_indexed: str | None = None, sql: str | None = None, params: list | None = None):
    """Rows of a SELECT as plain tuples, in batches.

    On SQLite the statement SQLAlchemy compiled runs on the driver's cursor,
    which hands back tuples (the engine reads millions of rows; wrapping each
    in a Row object costs a noticeable share of a run); ``sql`` and ``params``
    give that text already compiled, for a statement run many times.
    Elsewhere it streams through SQLAlchemy. ``not_indexed`` names a table
    SQLite must read front to back (its ``NOT INDEXED`` clause, which
    SQLAlchemy does not render).
    """
    if conn.dialect.name == "sqlite":
        if sql is None:
            sql, params = _compile(conn, stmt)
        if not_indexed:
            sql = re.sub(rf"\bFROM {not_indexed}\b", f"FROM {not_indexed} NOT INDEXED", sql, count=1)
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(sql, params)
            while True:
                part = cursor.fetchmany(BATCH_ROWS)
                if not part:
                    return
                yield part
        finally:
            cursor.close()
    else:
        result = conn.execution_options(yield_per=BATCH_ROWS).execute(stmt)
        for part in result.partitions():
            yield [tuple(r) for r in part]


def stream(conn, engine: Engine, spec: ReadSpec, stats: ReadStats, *, customer_lo: int | None = None,
           customer_hi: int | None = None, customer_id: int | None = None) -> Iterator[tuple[int, list[tuple]]]:
    """(customer id, its rows as (customer_id, name, time, properties)) in customer order."""
    stmt = events_query(engine, spec, customer_lo, customer_hi, customer_id)
    current: int | None = None
    rows: list[tuple] = []
    scan = "events" if spec.full_scan and customer_id is None else None
    # Bounds the SQL left out hold for every event the span saw; one added since is dropped here.
    unchecked = sql_time_bounds(spec) != (spec.time_from, spec.time_to)
    lowest = spec.time_from if spec.time_from is not None else float("-inf")
    for part in _execute(conn, stmt, not_indexed=scan):
        if unchecked:
            part = [r for r in part if lowest <= r[2] < spec.time_to]
        stats.rows += len(part)
        for cid, group in groupby(part, key=_first):
            if cid != current:
                if rows:
                    stats.customers += 1
                    stats.last_customer = current
                    yield current, rows
                current, rows = cid, list(group)
            else:
                rows.extend(group)
    if rows:
        stats.customers += 1
        stats.last_customer = current
        yield current, rows


def has_trigger(rows: list[tuple], triggers: list[tuple[str, int, int]]) -> bool:
    """Whether any row is a trigger event of one of the flows, inside that flow's window."""
    if len(triggers) > 1 and len({(lo, hi) for _, lo, hi in triggers}) == 1:
        # Flows run together share one window: one pass over the rows for all trigger names.
        names = {name for name, _, _ in triggers}
        _, lo, hi = triggers[0]
        for r in rows:
            if r[1] in names and lo <= r[2] < hi:
                return True
        return False
    for name, lo, hi in triggers:
        for r in rows:
            if r[1] == name and lo <= r[2] < hi:
                return True
    return False


#: SQLite text of the profile query by (number of ids, columns fetched) (see :func:`profiles`).
_PROFILE_SQL: dict[tuple[int, tuple[bool, ...]], str] = {}


def profiles(conn, ids: list[int], names: set[str] | None = None) -> dict[int, tuple[dict, str | None]]:
    """(profile from the columns, properties JSON not yet merged) of the given customers
    (an id without a row gets an empty profile); of the :data:`PROFILE_COLUMNS`, only
    those in ``names`` (None: all)."""
    out: dict[int, tuple[dict, str | None]] = {}
    # A column no rule reads comes back as NULL, which leaves it out of the profile: on the
    # sample shop an abandoned-cart run never reads email or first name, and not turning
    # them into Python text saved a sixth of the profile reads.
    fetched = tuple(names is None or c in names for c in PROFILE_COLUMNS)
    cols = (customers.c.id, customers.c.external_id, customers.c.properties,
            *(customers.c[c] if wanted else null() for c, wanted in zip(PROFILE_COLUMNS, fetched)))
    sqlite = conn.dialect.name == "sqlite"
    for start in range(0, len(ids), PROFILE_BATCH):
        chunk = ids[start:start + PROFILE_BATCH]
        stmt = sql = None
        if sqlite:
            # Building and compiling an IN of hundreds of ids took more time than running it:
            # the text is compiled once per chunk length and the ids are bound as they come.
            sql = _PROFILE_SQL.get((len(chunk), fetched))
            if sql is None:
                sql, params = _compile(conn, select(*cols).where(customers.c.id.in_(chunk)))
                if params != chunk:
                    raise AssertionError("the profile query binds more than the ids")
                _PROFILE_SQL[(len(chunk), fetched)] = sql
        else:
            stmt = select(*cols).where(customers.c.id.in_(chunk))
        for part in _execute(conn, stmt, sql=sql, params=chunk):
            for row in part:
                out[row[0]] = (base_profile(row[1], row[3:]), row[2])
    for i in ids:
        if i not in out:  # (setdefault would build the empty profile for every id)
            out[i] = ({"external_id": str(i)}, None)
    return out


@contextmanager
def reading(engine: Engine):
    """A connection for one streaming read.

    On SQLite the sort behind ``ORDER BY customer_id, time`` spills to a
    temporary file once it outgrows the page cache, instead of the store's
    default in-memory temp storage, so a run's memory stays flat however many
    events it reads. The connection goes back to the pool as it came.
    """
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            before = conn.exec_driver_sql("PRAGMA temp_store").scalar()
            conn.exec_driver_sql("PRAGMA temp_store=FILE")
        try:
            yield conn
        finally:
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA temp_store={int(before or 0)}")


def customers_with_history(engine: Engine, spec: ReadSpec, stats: ReadStats, *,
                           customer_lo: int | None = None, customer_hi: int | None = None,
                           customer_id: int | None = None) -> Iterator[tuple[int, tuple[dict, str | None], History]]:
    """Each customer with a trigger event in the window, as (id, (profile, properties JSON), history).

    Profiles are fetched in batches of :data:`PROFILE_BATCH` customers, so a
    customer comes out slightly after its rows were read.
    """
    with reading(engine) as conn:
        pending: list[tuple[int, list[tuple]]] = []
        for cid, rows in stream(conn, engine, spec, stats, customer_lo=customer_lo, customer_hi=customer_hi,
                                customer_id=customer_id):
            if not has_trigger(rows, spec.triggers):
                continue
            pending.append((cid, rows))
            if len(pending) >= PROFILE_BATCH:
                found = profiles(conn, [c for c, _ in pending], spec.profile_names)
                for c, r in pending:
                    yield c, found[c], History(r, 1)
                pending = []
        if pending:
            found = profiles(conn, [c for c, _ in pending], spec.profile_names)
            for c, r in pending:
                yield c, found[c], History(r, 1)
