"""What a simulation reports: per-node counters, per-send figures, totals, charts, a trace.

Node counters (the canvas badges) obey one identity at every node::

    entered == sum(exits.values()) + exited + ended + in_progress

* ``entered``: journeys that arrived at the node (for the trigger: journeys started).
* ``exits[port]``: journeys that left by that port, to the next node or, when
  nothing is connected there, out of the flow. A send that is *skipped* (no
  consent, smart sending) still leaves by ``next``, as in the ESPs: the
  message is not sent and the journey goes on.
* ``exited``: journeys that left the flow at this node because the flow's
  exit condition held when they reached it (or, for a send held back by
  quiet hours, when it was about to go out).
* ``ended``: journeys that reached an ``exit`` node.
* ``in_progress``: journeys still at the node when the window closed (in a
  delay, a wait, or a send held back by quiet hours past the window's end).

Besides: ``skipped[reason]`` counts sends not made and is part of
``exits["next"]`` (reasons ``no_consent`` and ``smart_sending``), so on a
send node ``messages == exits["next"] - sum(skipped.values())``;
``deferred["quiet_hours"]`` counts sends moved to the end of quiet hours
(each is also counted once more where it finally went: sent, skipped,
exited or in progress).

Every figure is a plain sum over customers, so results of customer
partitions merge by adding (:meth:`SimulationResult.merge`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SEND_KINDS = ("send_email", "send_sms", "webhook")


def _share(x: float | None) -> float | None:
    return round(x, 6) if x is not None else None


def _add(into: dict, other: dict) -> None:
    for k, v in other.items():
        into[k] = into.get(k, 0) + v


@dataclass
class NodeFigures:
    kind: str
    entered: int = 0
    exits: dict[str, int] = field(default_factory=dict)
    exited: int = 0
    ended: int = 0
    in_progress: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    deferred: dict[str, int] = field(default_factory=dict)
    # Send nodes only.
    messages: int = 0
    recipients: int = 0
    conversions: int = 0
    revenue: float = 0.0
    #: Recipients of this send with at least one conversion credited to it.
    converting_recipients: int = 0

    @property
    def is_send(self) -> bool:
        return self.kind in SEND_KINDS

    def balance(self) -> int:
        """entered minus every way of leaving; 0 for consistent figures."""
        return self.entered - sum(self.exits.values()) - self.exited - self.ended - self.in_progress

    def merge(self, other: "NodeFigures") -> None:
        self.entered += other.entered
        _add(self.exits, other.exits)
        self.exited += other.exited
        self.ended += other.ended
        self.in_progress += other.in_progress
        _add(self.skipped, other.skipped)
        _add(self.deferred, other.deferred)
        self.messages += other.messages
        self.recipients += other.recipients
        self.conversions += other.conversions
        self.revenue += other.revenue
        self.converting_recipients += other.converting_recipients

    def to_json(self) -> dict:
        out: dict[str, Any] = {
            "kind": self.kind, "entered": self.entered, "exits": dict(sorted(self.exits.items())),
            "exited": self.exited, "ended": self.ended, "in_progress": self.in_progress,
            "skipped": dict(sorted(self.skipped.items())), "deferred": dict(sorted(self.deferred.items())),
        }
        if self.is_send:
            out.update(messages=self.messages, recipients=self.recipients, conversions=self.conversions,
                       revenue=round(self.revenue, 2), converting_recipients=self.converting_recipients)
        return out

    @classmethod
    def from_json(cls, data: dict) -> "NodeFigures":
        return cls(kind=data.get("kind", ""), entered=data.get("entered", 0), exits=dict(data.get("exits", {})),
                   exited=data.get("exited", 0), ended=data.get("ended", 0),
                   in_progress=data.get("in_progress", 0), skipped=dict(data.get("skipped", {})),
                   deferred=dict(data.get("deferred", {})), messages=data.get("messages", 0),
                   recipients=data.get("recipients", 0), conversions=data.get("conversions", 0),
                   revenue=float(data.get("revenue", 0.0)),
                   converting_recipients=data.get("converting_recipients", 0))


class Tally:
    """Counters kept while a run goes, added into the figures once, at the end.

    The interpreter counts at every step of every journey. Bumping an item of
    one list of ints costs less than a figure's attribute or a dict entry, so
    each counter is a slot of :attr:`counts`, made for one or more places in
    the figures: a step along an edge, for instance, is both the source's exit
    by that port and the target's arrival, counted once.
    """

    __slots__ = ("counts", "_places")

    def __init__(self) -> None:
        self.counts: list[int] = []
        self._places: list[tuple[tuple[Any, str], ...]] = []

    def slot(self, *places: tuple[Any, str]) -> int:
        """A new counter for ``places``: (dict, key) pairs (the key is added when first counted)
        or (object, attribute name) pairs."""
        self.counts.append(0)
        self._places.append(places)
        return len(self.counts) - 1

    def add_to_figures(self) -> None:
        """Add every count to its places and start again from zero."""
        counts = self.counts
        for k, n in enumerate(counts):
            if not n:
                continue
            for target, key in self._places[k]:
                if isinstance(target, dict):
                    target[key] = target.get(key, 0) + n
                else:
                    setattr(target, key, getattr(target, key) + n)
            counts[k] = 0


@dataclass
class TraceStep:
    """One line of a customer's story: when, which journey, where, what happened and why."""

    time: int
    journey: int
    node: str | None
    what: str
    detail: str = ""
    #: The flow (id) the line belongs to: several flows' journeys share one customer's trace.
    flow: str | None = None

    def to_json(self) -> dict:
        return {"time": self.time, "journey": self.journey, "node": self.node, "what": self.what,
                "detail": self.detail, "flow": self.flow}


@dataclass
class SimulationResult:
    """Everything one flow's backtest found, for the panel, the canvas, the CLI and the runs table."""

    flow_id: str
    flow_name: str
    flow_hash: str
    window_from: int
    window_to: int
    nodes: dict[str, NodeFigures]
    #: Journeys started.
    entered: int = 0
    #: Trigger events that did not start a journey, by reason (``reentry``, ``duplicate_key``).
    not_entered: dict[str, int] = field(default_factory=dict)
    #: Marketing messages sent (email and SMS); webhook calls are counted only in
    #: ``messages_by_channel["webhook"]``.
    sends: int = 0
    #: Messages sent per channel: "email", "sms", "webhook".
    messages_by_channel: dict[str, int] = field(default_factory=dict)
    #: Customers who got at least one marketing message.
    recipients: int = 0
    conversions: int = 0
    revenue: float = 0.0
    #: Recipients with at least one conversion credited to one of the flow's messages.
    converting_recipients: int = 0
    #: Journeys whose customer bought after entering and before the journey's first message
    #: ("bought before any message"): the same unit as ``entered``.
    bought_before_message: int = 0
    #: What the run could not show, for the Results and the canvas:
    #: ``{"node": id or None, "code": "unfinished" ..., "message": text}``.
    warnings: list[dict] = field(default_factory=list)
    customers_entered: int = 0
    #: Customers and events the reader went through.
    customers_read: int = 0
    events_read: int = 0
    #: Marketing messages per day and per hour of the customer's own day (their time zone): one rule.
    messages_per_day: dict[str, int] = field(default_factory=dict)
    messages_per_hour: list[int] = field(default_factory=lambda: [0] * 24)
    #: List name -> UTC day -> net change in members that day (see :meth:`segment_sizes`).
    segment_changes: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    trace: list[TraceStep] | None = None
    run_id: int | None = None
    #: When the flow ran in a programme with others: the figures only the programme shows
    #: (:class:`designer.engine.programme.ProgrammeFigures`), the same object on every flow's result.
    programme: Any = None

    # -- figures derived on demand ----------------------------------------
    @property
    def in_progress(self) -> int:
        return sum(n.in_progress for n in self.nodes.values())

    @property
    def conversion_rate(self) -> float | None:
        """Converting recipients over recipients (None without recipients)."""
        return self.converting_recipients / self.recipients if self.recipients else None

    @property
    def bought_before_message_share(self) -> float | None:
        """``bought_before_message`` over journeys entered (None without entries)."""
        return self.bought_before_message / self.entered if self.entered else None

    def segment_sizes(self) -> dict[str, list[tuple[str, int]]]:
        """For each list, (day, members at the end of that day), for a line chart."""
        out = {}
        for name, changes in sorted(self.segment_changes.items()):
            size, series = 0, []
            for day in sorted(changes):
                size += changes[day]
                series.append((day, size))
            out[name] = series
        return out

    def merge(self, other: "SimulationResult") -> None:
        """Add the figures of another partition of customers (same flow and window)."""
        for node_id, figures in other.nodes.items():
            self.nodes[node_id].merge(figures)
        self.entered += other.entered
        _add(self.not_entered, other.not_entered)
        self.sends += other.sends
        _add(self.messages_by_channel, other.messages_by_channel)
        self.recipients += other.recipients
        self.conversions += other.conversions
        self.revenue += other.revenue
        self.converting_recipients += other.converting_recipients
        self.bought_before_message += other.bought_before_message
        for w in other.warnings:
            if w not in self.warnings:
                self.warnings.append(w)
        self.customers_entered += other.customers_entered
        self.customers_read += other.customers_read
        self.events_read += other.events_read
        _add(self.messages_per_day, other.messages_per_day)
        hours = self.messages_per_hour  # in place: a running interpreter's sends hold this list
        for hour, n in zip(range(len(hours)), other.messages_per_hour):
            hours[hour] += n
        for name, changes in other.segment_changes.items():
            _add(self.segment_changes.setdefault(name, {}), changes)

    def to_json(self) -> dict:
        out = {
            "flow_id": self.flow_id, "flow_name": self.flow_name, "flow_hash": self.flow_hash,
            "window": {"from": self.window_from, "to": self.window_to},
            "entered": self.entered, "not_entered": dict(sorted(self.not_entered.items())),
            "sends": self.sends, "messages_by_channel": dict(sorted(self.messages_by_channel.items())),
            "recipients": self.recipients,
            "conversions": self.conversions, "revenue": round(self.revenue, 2),
            "converting_recipients": self.converting_recipients,
            "conversion_rate": _share(self.conversion_rate),
            "bought_before_message": self.bought_before_message,
            "bought_before_message_share": _share(self.bought_before_message_share),
            "warnings": list(self.warnings),
            "in_progress": self.in_progress, "customers_entered": self.customers_entered,
            "customers_read": self.customers_read, "events_read": self.events_read,
            "nodes": {k: v.to_json() for k, v in self.nodes.items()},
            "messages_per_day": dict(sorted(self.messages_per_day.items())),
            "messages_per_hour": list(self.messages_per_hour),
            "segments": {k: [list(p) for p in v] for k, v in self.segment_sizes().items()},
            "segment_changes": {k: dict(sorted(v.items())) for k, v in sorted(self.segment_changes.items())},
            "seconds": round(self.seconds, 3),
        }
        if self.run_id is not None:
            out["run_id"] = self.run_id
        if self.trace is not None:
            out["trace"] = [s.to_json() for s in self.trace]
        if self.programme is not None:
            out["programme"] = self.programme.to_json()
        return out

    def to_text(self) -> str:
        return json.dumps(self.to_json(), sort_keys=False)

    @classmethod
    def from_json(cls, data: dict) -> "SimulationResult":
        window = data.get("window", {})
        result = cls(
            flow_id=data["flow_id"], flow_name=data.get("flow_name", ""), flow_hash=data.get("flow_hash", ""),
            window_from=window.get("from", 0), window_to=window.get("to", 0),
            nodes={k: NodeFigures.from_json(v) for k, v in data.get("nodes", {}).items()},
            entered=data.get("entered", 0), not_entered=dict(data.get("not_entered", {})),
            sends=data.get("sends", 0), recipients=data.get("recipients", 0),
            conversions=data.get("conversions", 0), revenue=float(data.get("revenue", 0.0)),
            messages_by_channel=dict(data.get("messages_by_channel", {})),
            converting_recipients=data.get("converting_recipients", 0),
            bought_before_message=data.get("bought_before_message", data.get("converted_before_send", 0)),
            warnings=list(data.get("warnings", [])),
            customers_entered=data.get("customers_entered", 0),
            customers_read=data.get("customers_read", 0), events_read=data.get("events_read", 0),
            messages_per_day=dict(data.get("messages_per_day", {})),
            messages_per_hour=list(data.get("messages_per_hour", [0] * 24)),
            segment_changes={k: dict(v) for k, v in data.get("segment_changes", {}).items()},
            seconds=float(data.get("seconds", 0.0)), run_id=data.get("run_id"),
        )
        if data.get("trace") is not None:
            result.trace = [TraceStep(**s) for s in data["trace"]]
        return result
