"""One customer and their journeys, as the interpreter's node behaviours see them.

A :class:`Customer` is the state journeys of the same customer share during a
run (the profile update_profile changes, the last message per channel smart
sending reads, the messages attribution credits); a :class:`Journey` is one
run of one flow for them, with its own clock and cursor (see
:mod:`designer.engine.interpreter` for the rules of time and visibility).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from designer.engine import clock
from designer.engine.evaluate import MISSING
from designer.engine.figures import NodeFigures
from designer.engine.facts import FACTS, UNDERIVED, Orders, Scorer
from designer.engine.history import History, merge_properties
from designer.engine.plan import FlowPlan, NodePlan

if TYPE_CHECKING:
    from designer.engine.interpreter import Interpreter

#: Leaving a node by a port: (counter slot of that step, the function taking the journey on).
Port = tuple[int, Callable[["Journey"], None]]
#: What a node does with a journey that arrives (or resumes).
Step = Callable[["Journey"], None]


#: The empty set a customer's changes and lists start as (see :class:`Customer`).
NO_CHANGES: frozenset[str] = frozenset()


class Customer:
    """The shared state of one customer during a run."""

    __slots__ = ("id", "external_id", "history", "profile", "unmerged", "changed", "lists", "last_sent", "sends",
                 "received", "orders", "uses_facts", "zones", "last_flow", "capped", "scorers")

    def __init__(self, customer_id: int, profile: dict, history: History,
                 orders: Sequence[Orders], uses_facts: set[str], properties: str | None = None,
                 scorers: Sequence[Scorer | None] | None = None) -> None:
        self.id = customer_id
        self.external_id = str(profile.get("external_id") or customer_id)
        self.history = history
        #: The profile: stored columns, then the properties JSON once merged, then this run's changes.
        self.profile = profile
        #: The properties JSON until something needs it (see :meth:`merged`).
        self.unmerged = properties if properties and properties != "{}" else None
        #: Properties written by update_profile in this run (they win over derived facts), and the
        #: lists it put the customer on: shared empty sets until update_profile writes (most
        #: customers never meet one, and two sets per customer are allocations saved).
        self.changed: set[str] | frozenset[str] = NO_CHANGES
        self.lists: set[str] | frozenset[str] = NO_CHANGES
        #: channel -> time of the last message (any flow in the run): smart sending; and the flow
        #: (index) that sent it, so a send it stops can name the flow that stopped it.
        self.last_sent: dict[str, int] = {}
        self.last_flow: dict[str, int] = {}
        #: (times, flow indexes) of the marketing messages sent so far, in time order, when the flows
        #: run as a programme: its frequency cap counts them, and its figures read them at the end.
        self.capped: tuple[list[int], list[int]] = ([], [])
        #: flow index -> [(time, node id, journey seq)] of marketing messages, for attribution (the
        #: journey by number: a reference would make a cycle the collector must free).
        self.sends: dict[int, list[tuple[int, str, int]]] = {}
        #: Send nodes ((flow index, node id)) and flows (index) that already counted this customer
        #: as a recipient.
        self.received: set = set()
        #: Per flow index, what its facts count as orders (its conversion settings).
        self.orders = orders
        self.uses_facts = uses_facts
        #: Per flow index, the run's score models for its orders (None: the run has none).
        self.scorers = scorers if scorers is not None else (None,) * len(orders)
        #: fallback zone name -> the zone this customer's local times are read in (see :meth:`zone`).
        self.zones: dict[str, Any] = {}

    def merged(self) -> dict:
        """The whole profile, with the properties JSON merged in (parsed on first need)."""
        if self.unmerged is not None:
            merge_properties(self.profile, self.unmerged)
            self.unmerged = None
        return self.profile

    def profile_value(self, name: str, now: int, flow: int = 0) -> Any:
        """A profile property as of ``now``, derived facts (as flow number ``flow`` counts orders)
        included; a property update_profile wrote wins over a fact of the same name, and a fact the
        run cannot derive (a score without models) is read from the profile."""
        if name in self.uses_facts and name not in self.changed:
            history = self.history
            value = FACTS[name](history, history.cursor_at(now), now, self.orders[flow], self.scorers[flow])
            if value is not UNDERIVED:
                return value
        value = self.profile.get(name, MISSING)
        if value is MISSING and self.unmerged is not None:
            value = self.merged().get(name, MISSING)
        return value

    def zone(self, fallback: str):
        tz = self.zones.get(fallback)
        if tz is None:
            name = self.profile.get("timezone")
            if name is None and self.unmerged is not None:
                name = self.merged().get("timezone")
            tz = self.zones[fallback] = clock.customer_zone(name, fallback)
        return tz


class Journey:
    """One run of a flow for a customer: the view conditions are evaluated on."""

    __slots__ = ("seq", "plan", "customer", "entry_index", "entry_time",
                 "now", "cursor", "resume", "first_send", "end")

    def __init__(self, seq: int, plan: FlowPlan, customer: Customer, entry_index: int, entry_time: int,
                 resume: Callable[[Journey], None]) -> None:
        self.seq = seq
        self.plan = plan
        self.customer = customer
        self.entry_index = entry_index
        self.entry_time = entry_time
        self.now = entry_time
        self.cursor = entry_index + 1
        #: What to do when popped from the heap: start, then whatever the last wait set.
        self.resume = resume
        self.first_send: int | None = None
        self.end: int | None = None

    @property
    def trigger_props(self) -> dict:
        """The properties of the event that started the journey (parsed on first use)."""
        return self.customer.history.props(self.entry_index)

    @property
    def key(self) -> Any:
        """The journey's entry key value (the cart it is about), None for a flow without a key
        or a trigger event without the property."""
        name = self.plan.trigger_key
        return entry_key(self.trigger_props, name) if name is not None else None


def entry_key(props: dict, name: str) -> Any:
    """An event's entry key: the property's value (objects and lists by their repr); None when
    the event has no key."""
    key = props.get(name)
    if key is None or isinstance(key, (str, int, float, bool)):
        return key
    return repr(key)


@dataclass(frozen=True)
class Hold:
    """Why a parked journey waits, in the trace's words (formatted only when a trace is kept).

    Every way a journey waits for a later moment (a delay, a wait for an
    event, a send held back by quiet hours) parks it the same way, through
    :func:`designer.engine.interpreter.Interpreter.parking`; a hold only says how the trace tells it.
    """

    #: The trace step when the journey is parked ("wait", "held").
    what: str
    #: Its detail, given the moment waited for.
    noted: Callable[[int], str]
    #: The detail of the "in progress" step when that moment is at or after the window's end.
    unfinished: Callable[[int], str]


def waiting(describe: Callable[[int], str]) -> Hold:
    """The hold of a delay or a wait for an event: ``describe(moment)`` says what it waits for."""
    return Hold("wait", describe, lambda moment: f"still waiting when the window ends ({describe(moment)})")


#: A marketing send held back until quiet hours end.
QUIET_HOURS = Hold("held", lambda until: f"quiet hours; send at {clock.iso(until)}",
                   lambda until: f"held by quiet hours until {clock.iso(until)}, after the window ends")


@dataclass(frozen=True)
class Node:
    """What a builder gets: the run, the flow and node, their figures, ports and parking."""

    interp: Interpreter
    plan: FlowPlan
    node: NodePlan
    fig: NodeFigures
    #: port name -> (counter slot, the next node's arrival)
    ports: dict[str, Port]
    #: ``park(j, wake, cursor, resume, hold, moment, slot=-1)``: see ``Interpreter.parking``.
    park: Callable[..., None]

    def leaving(self, name: str) -> Step:
        """A step that leaves by port ``name``, for a journey resumed after a wait."""
        counts, (slot, go) = self.interp.tally.counts, self.ports[name]

        def leave(j: Journey) -> None:
            counts[slot] += 1
            go(j)
        return leave
