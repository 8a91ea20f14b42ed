"""Which message a customer got in a backtest, and when: the moment a preview renders it for.

A message of a trace (a ``sent`` step) is a :class:`MessageMoment`: the send,
the customer, when it went and when that journey entered (its trigger event,
so the preview sees the same ``event`` and cart the message would have). The
Trace, the Journeys view and the Content panel's "recipient from the last
backtest" all hand the panel one of these.

A stored run does not keep every decision about every customer (see
:mod:`designer.engine.audit`): the run's own decisions about one customer are
derived by tracing them again with the run's flows and window. So a random
recipient of a send is found by tracing customers the run could have entered,
in random order, until one got that send's message.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine

from designer.engine.audit import KINDS, audit_customer, audited_customers
from designer.engine.figures import TraceStep
from designer.engine.runs import load_run

#: How many customers a search for a recipient traces at least before it gives up.
MAX_TRIES = 300
#: When the run says how many customers got the message, the search tries this many times the
#: number a random order needs on average (candidates / recipients): it then misses a recipient
#: less than once in 20,000 searches, however rare the message.
TRIES_PER_EXPECTED = 10


@dataclass(frozen=True)
class MessageMoment:
    """One message as it went: ``at`` is when (epoch ms UTC), ``entry_time`` when its journey entered."""

    node: str
    customer: str
    at: int
    entry_time: int | None = None
    #: The journey's number in the trace it came from (0-based; -1 when unknown).
    journey: int = -1
    #: The stored run it came from, when it came from one.
    run_id: int | None = None


def entry_times(steps: Iterable[TraceStep]) -> dict[int, int]:
    """Journey number -> the time it entered (its trigger event's time)."""
    out: dict[int, int] = {}
    for s in steps:
        if s.what == "entered" and s.journey >= 0:
            out.setdefault(s.journey, s.time)
    return out


def message_of(step: TraceStep, customer: str, entries: dict[int, int]) -> MessageMoment | None:
    """The message a trace step stands for (None: the step sent nothing)."""
    if step.what != "sent" or not step.node:
        return None
    return MessageMoment(step.node, customer, step.time, entries.get(step.journey), step.journey)


def messages_in_trace(steps: list[TraceStep], customer: str) -> list[MessageMoment]:
    """Every message of a customer's trace, in the trace's order."""
    entries = entry_times(steps)
    return [m for m in (message_of(s, customer, entries) for s in steps) if m is not None]


class NoRecipient(LookupError):
    """No customer tried got the send's message (the reason, in words for the user)."""


def _messages_from_run(engine: Engine, run_id: int, flow_id: str, node_id: str, customer: str) -> list[MessageMoment]:
    rows = [r for r in audit_customer(engine, run_id, customer).rows if r.flow == flow_id]
    entries: dict[int, int] = {}
    for r in rows:
        if r.decision == KINDS["entered"]:
            entries.setdefault(r.journey, r.time)
    return [MessageMoment(node_id, customer, r.time, entries.get(r.journey), r.journey, run_id)
            for r in rows if r.decision == KINDS["sent"] and r.node == node_id]


def random_recipient(engine: Engine, run_id: int, node_id: str, *, rng: random.Random | None = None,
                     cancelled: Callable[[], bool] = lambda: False, tries: int = MAX_TRIES,
                     recipients: int | None = None) -> MessageMoment:
    """One message the stored run ``run_id`` sent from ``node_id``, to a customer picked at random.

    ``recipients``: how many customers the run says got it (raises the number of tries for a rare
    message, see :data:`TRIES_PER_EXPECTED`). Raises :class:`NoRecipient` when the run is not in the
    store, or none of the customers tried (in random order among those the run could have entered)
    got the message.
    """
    rng = rng or random.Random()
    run = load_run(engine, run_id)
    if run is None:
        raise NoRecipient(f"run {run_id} is no longer in the store")
    candidates = list(audited_customers(engine, run, [run.flow()]))
    rng.shuffle(candidates)
    if recipients:
        tries = max(tries, -(-TRIES_PER_EXPECTED * len(candidates) // recipients))
    for customer in candidates[:tries]:
        if cancelled():
            break
        got = _messages_from_run(engine, run_id, run.flow_id, node_id, customer)
        if got:
            return rng.choice(got)
    tried = min(len(candidates), tries)
    raise NoRecipient(f"none of the {tried} customer{'s' * (tried != 1)} tried got {node_id}'s message in run "
                      f"{run_id}")
