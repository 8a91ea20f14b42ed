"""What a run is set up from and merged into, shared by every way of running one.

The one-process run, its helper processes and the cluster's tasks all start
from the same pieces: the window filled from the stored history, empty results
with the flows' up-front warnings, the programme's rules in a form that
travels between processes, and the merge of partial results. They live here
so each of those callers reads them from one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select, text

from designer.engine.facts import SCORES
from designer.engine.figures import NodeFigures, SimulationResult
from designer.engine.horizon import unfinished
from designer.engine.plan import FlowPlan
from designer.engine.programme import ProgrammeFigures
from designer.engine.segmentation import segment_warnings
from designer.engine.versions import flow_hash
from designer.model.flow import Flow
from designer.model.programme import Programme
from designer.store.schema import customers, events

Window = tuple[int | None, int | None]


class SimulationError(Exception):
    """A simulation that cannot run: a flow with errors, an unknown customer, a bad window, a store
    that cannot be read. ``flow_errors`` tells the first case apart (the user must fix the flow)."""

    def __init__(self, message: str, *, flow_errors: bool = False) -> None:
        super().__init__(message)
        self.flow_errors = flow_errors


class SimulationCancelled(Exception):
    """The run was cancelled through its ``cancel`` argument."""



def score_books(engine: Engine, plans: list[FlowPlan]) -> dict:
    """The predictive-score models the flows' rules need (none: no flow reads a score), trained
    once for the run and shared by every process; scikit-learn missing is a run that cannot start."""
    if not any(p.derived_facts & SCORES for p in plans):
        return {}
    from designer.engine.scores import ScoresUnavailable, books_for_run

    try:
        return books_for_run(engine, plans)
    except ScoresUnavailable as exc:
        raise SimulationError(f"a flow reads a predictive score: {exc}") from None


def resolve_window(engine: Engine, window: Window | None,
                   span: tuple[int, int] | None = None) -> tuple[int, int]:
    """Fill missing window ends from the stored history (first event, last event + 1 ms);
    ``span``: the history's (first, last) event times when already read."""
    lo, hi = window if window is not None else (None, None)
    if lo is None or hi is None:
        first, last = span if span is not None else history_span(engine)
        if lo is None:
            lo = first if first is not None else 0
        if hi is None:
            hi = last + 1 if last is not None else lo
    if hi < lo:
        from designer.engine.clock import iso

        raise SimulationError(f"the window ends ({iso(hi)}) before it starts ({iso(lo)}); the store's "
                              "history may not reach that far, or --from and --to are swapped")
    return int(lo), int(hi)


#: The distinct event names, each found by one seek on the (name, time) index (a loose index scan).
_NAMES = text(
    "WITH RECURSIVE n(name) AS (SELECT min(name) FROM events UNION ALL "
    "SELECT (SELECT min(name) FROM events WHERE name > n.name) FROM n WHERE n.name IS NOT NULL) "
    "SELECT name FROM n WHERE name IS NOT NULL"
)


def history_span(engine: Engine) -> tuple[int | None, int | None]:
    """The first and last event times in the store, from the (name, time) index.

    ``min(time)`` over the whole table would read every index entry; per event
    name it is one seek, and stores hold a handful of names.
    """
    with engine.connect() as conn:
        try:
            names = list(conn.execute(_NAMES).scalars())
        except Exception:  # a database without recursive queries: read it all
            conn.rollback()
            return tuple(conn.execute(select(func.min(events.c.time), func.max(events.c.time))).one())
        first = last = None
        for name in names:
            lo = conn.execute(select(func.min(events.c.time)).where(events.c.name == name)).scalar()
            hi = conn.execute(select(func.max(events.c.time)).where(events.c.name == name)).scalar()
            if lo is not None:
                first = lo if first is None else min(first, lo)
                last = hi if last is None else max(last, hi)
    return first, last


#: A programme's rules as they travel to helper processes: (cap as (messages, window ms) or None,
#: collision window ms); None when the flows do not run as a programme.
ProgrammeRules = tuple[tuple[int, int] | None, int] | None


def programme_rules(programme: Programme | None) -> ProgrammeRules:
    if programme is None:
        return None
    cap = (programme.cap.messages, programme.cap.window_ms) if programme.cap else None
    return (cap, programme.collision_ms)


def with_programme(results: list[SimulationResult], rules: ProgrammeRules) -> list[SimulationResult]:
    """The results, sharing one :class:`ProgrammeFigures` when the flows run as a programme."""
    if rules is not None:
        figures = ProgrammeFigures([r.flow_id for r in results], rules[0], rules[1])
        for r in results:
            r.programme = figures
    return results


def new_results(plans: list[FlowPlan], window_from: int, window_to: int, rules: ProgrammeRules,
                digests: list[str] | None = None) -> list[SimulationResult]:
    """A run's empty results (with what the flows cannot show in the window said up front)."""
    digests = digests or [None] * len(plans)
    return with_programme([empty_result(p, window_from, window_to, d) for p, d in zip(plans, digests)], rules)


def add_run_warnings(flows: list[Flow], results: list[SimulationResult]) -> None:
    """Warnings drawn from a whole run's figures (steps too thin to keep, splits that change nothing)."""
    for flow, r in zip(flows, results):
        r.warnings.extend(segment_warnings(flow, r))


def merge_parts(results: list[SimulationResult], parts: list[SimulationResult]) -> None:
    """Add a partition's figures (its programme figures once: every result shares them)."""
    for r, part in zip(results, parts):
        r.merge(part)
    if results and results[0].programme is not None and parts and parts[0].programme is not None:
        results[0].programme.merge(parts[0].programme)


def empty_result(plan: FlowPlan, window_from: int, window_to: int, digest: str | None = None) -> SimulationResult:
    """Zero figures for ``plan`` (``digest``: its flow hash when known), with the run's warnings."""
    result = SimulationResult(
        flow_id=plan.flow.id, flow_name=plan.flow.name, flow_hash=digest or flow_hash(plan.flow),
        window_from=window_from, window_to=window_to,
        nodes={n.id: NodeFigures(kind=n.kind) for n in plan.flow.nodes.values()},
    )
    result.warnings.extend(unfinished(plan, window_from, window_to))
    return result


def cancel_check(cancel: Any) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if hasattr(cancel, "is_set"):
        return cancel.is_set
    if callable(cancel):
        return lambda: bool(cancel())
    raise TypeError("cancel must be an Event-like object with is_set() or a callable")


def customer_id_of(engine: Engine, external_id: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(customers.c.id).where(customers.c.external_id == str(external_id))).scalar()
    if found is None:
        raise SimulationError(f"no customer with id {external_id!r} in the store")
    return int(found)


def id_range(engine: Engine) -> tuple[int, int]:
    """[lowest, highest + 1) customer id. Asked as two subqueries because SQLite answers a
    lone min() or max() of the key with one seek, but both in one SELECT by reading every row."""
    lowest = select(func.min(customers.c.id)).scalar_subquery()
    highest = select(func.max(customers.c.id)).scalar_subquery()
    with engine.connect() as conn:
        lo, hi = conn.execute(select(lowest, highest)).one()
    return (int(lo), int(hi) + 1) if lo is not None else (0, 0)
