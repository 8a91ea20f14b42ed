"""Running a flow's unit tests: each case's customers and events through the backtest's engine.

A case is a tiny history held in memory and backtested with the very
interpreter the real backtest uses, over the case's window; each customer an
expectation names is then traced, and what the trace shows (messages sent,
nodes passed, where the journey ended, sends skipped and why) is compared
with what the case expects. Cases take milliseconds, so the editor can run
them on every edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from designer.engine import clock
from designer.engine.figures import TraceStep
from designer.engine.simulate import SimulationError, simulate
from designer.model.flow import Flow
from designer.model.testfile import Expectation, TestCase, TestFile
from designer.store.scripted import ScriptedCustomer, ScriptedEvent, memory_store

#: ``subject(node_id, customer_id, moment) -> text`` of a sent message, for ``subject_contains``.
SubjectFunction = Callable[[str, str, int], str]

#: Trace lines that belong to a journey's path (others are notes about it, such as a conversion).
_NOT_A_VISIT = frozenset({"conversion", "not entered"})


@dataclass(frozen=True)
class Journey:
    """What one journey of a customer did, read off the trace."""

    number: int
    visits: list[str]
    ends_at: str | None
    steps: list[TraceStep]

    def describe(self) -> str:
        lines = [f"journey {self.number}: {' -> '.join(self.visits) or '(none)'}"
                 + (f", ended at {self.ends_at}" if self.ends_at else "")]
        for s in self.steps:
            lines.append(f"  {clock.iso(s.time)}  {s.node or '-'}  {s.what}" + (f": {s.detail}" if s.detail else ""))
        return "\n".join(lines)


@dataclass(frozen=True)
class Sent:
    node: str
    at: int
    subject: str = ""


@dataclass
class CaseResult:
    name: str
    failures: list[str] = field(default_factory=list)
    #: customer id -> their journeys, for the report and for lighting the path on the canvas.
    journeys: dict[str, list[Journey]] = field(default_factory=dict)
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None

    def to_json(self) -> dict:
        return {"name": self.name, "passed": self.passed, "failures": list(self.failures), "error": self.error,
                "journeys": {c: [{"number": j.number, "visits": j.visits, "ends_at": j.ends_at,
                                  "steps": [s.to_json() for s in j.steps]} for j in js]
                             for c, js in self.journeys.items()}}


def journeys_from_trace(trace: list[TraceStep]) -> list[Journey]:
    """The customer's journeys in the order they started, with the nodes each passed."""
    by_journey: dict[int, list[TraceStep]] = {}
    for s in trace:
        if s.journey >= 0:
            by_journey.setdefault(s.journey, []).append(s)
    out = []
    for n, seq in enumerate(sorted(by_journey), start=1):
        steps = by_journey[seq]
        visits: list[str] = []
        for s in steps:
            if s.node is not None and s.what not in _NOT_A_VISIT and (not visits or visits[-1] != s.node):
                visits.append(s.node)
        path = [s for s in steps if s.what not in _NOT_A_VISIT]
        last = path[-1] if path else None
        if last is None:
            ends = None
        elif last.what == "exit condition":
            ends = "exit_condition"
        else:
            ends = last.node
        out.append(Journey(n, visits, ends, steps))
    return out


def config_subject(flow: Flow) -> SubjectFunction:
    """The subject as the send's config writes it (the content layer passes a rendering one)."""
    def subject(node_id: str, _customer: str, _at: int) -> str:
        node = flow.nodes.get(node_id)
        return str(node.config.get("subject") or node.config.get("body") or "") if node else ""
    return subject


def _sent(trace: list[TraceStep], customer: str, subject: SubjectFunction) -> list[Sent]:
    return [Sent(s.node, s.time, subject(s.node, customer, s.time))
            for s in trace if s.what == "sent" and s.node is not None]


def _skips(trace: list[TraceStep]) -> list[tuple[str, str]]:
    """(node, reason) of skipped sends; the trace's detail starts with the reason as words."""
    out = []
    for s in trace:
        if s.what == "skipped" and s.node is not None:
            reason = s.detail.split(":", 1)[0].strip().replace(" ", "_")
            out.append((s.node, reason))
    return out


def _check(x: Expectation, customer: str, trace: list[TraceStep], journeys: list[Journey],
           subject: SubjectFunction) -> list[str]:
    who = f"{customer}: "
    problems: list[str] = []
    sent = _sent(trace, customer, subject)
    if x.messages is not None:
        expected = [(m.node, m.at) for m in x.messages]
        actual = [(m.node, m.at) for m in sent]
        if expected != actual:
            problems.append(who + "messages: expected " + _messages(expected) + ", got " + _messages(actual))
        else:
            for m, got in zip(x.messages, sent):
                if m.subject_contains is not None and m.subject_contains not in got.subject:
                    problems.append(who + f"message from {m.node} at {clock.iso(m.at)}: subject {got.subject!r} "
                                    f"does not contain {m.subject_contains!r}")
    for node in x.no_messages_from or []:
        times = [clock.iso(m.at) for m in sent if m.node == node]
        if times:
            problems.append(who + f"no messages from {node} expected, got {len(times)} ({', '.join(times)})")
    journey = journeys[x.journey - 1] if len(journeys) >= x.journey else None
    if (x.visits is not None or x.ends_at is not None) and journey is None:
        problems.append(who + f"journey {x.journey} expected, but the customer had {len(journeys)}")
    elif journey is not None:
        if x.visits is not None and x.visits != journey.visits:
            problems.append(who + f"visits: expected {' -> '.join(x.visits) or '(none)'}, "
                            f"got {' -> '.join(journey.visits) or '(none)'}")
        if x.ends_at is not None and x.ends_at != journey.ends_at:
            problems.append(who + f"ends at: expected {x.ends_at}, got {journey.ends_at}")
    if x.skipped is not None:
        expected_skips = [(s.node, s.reason) for s in x.skipped]
        actual_skips = _skips(trace)
        if expected_skips != actual_skips:
            problems.append(who + f"skipped: expected {_pairs(expected_skips)}, got {_pairs(actual_skips)}")
    return problems


def _messages(pairs: list[tuple[str, int]]) -> str:
    return "[" + ", ".join(f"{n} at {clock.iso(t)}" for n, t in pairs) + "]" if pairs else "none"


def _pairs(pairs: list[tuple[str, str]]) -> str:
    return "[" + ", ".join(f"{n} {r}" for n, r in pairs) + "]" if pairs else "none"


def unknown_nodes(flow: Flow, case: TestCase) -> list[str]:
    return sorted({n for x in case.expectations() for n in x.nodes() if n not in flow.nodes})


def run_case(flow: Flow, case: TestCase, subject: SubjectFunction | None = None) -> CaseResult:
    """Backtest one case's history and compare what happened with what it expects."""
    result = CaseResult(case.name)
    subject = subject or config_subject(flow)
    missing = unknown_nodes(flow, case)
    if missing:
        result.error = f"the case names nodes the flow does not have: {', '.join(missing)}"
        return result
    people = case.people()
    engine = memory_store(
        [ScriptedCustomer(c.id, c.email, c.first_name, c.timezone, c.consent, dict(c.properties)) for c in people],
        [ScriptedEvent(e.customer or people[0].id, e.event, e.at, dict(e.properties))
         for e in sorted(case.events, key=lambda e: e.at)])
    window = (case.window_start(), case.until)
    try:
        for x in case.expectations():
            customer = x.customer or people[0].id
            run = simulate(flow, engine, window=window, trace_customer=customer, workers=1, save=False,
                           scripted_scores=True)  # a case's customers carry their scores as properties
            trace = run.trace or []
            journeys = journeys_from_trace(trace)
            result.journeys[customer] = journeys
            result.failures.extend(_check(x, customer, trace, journeys, subject))
    except SimulationError as exc:
        result.error = str(exc)
    finally:
        engine.dispose()
    return result


def run_tests(flow: Flow, tests: TestFile, subject: SubjectFunction | None = None) -> list[CaseResult]:
    return [run_case(flow, case, subject) for case in tests.cases]


def _iso(ms: int) -> str:
    return clock.iso(ms).replace(" ", "T")


def case_from_trace(name: str, profile: dict, history: list[tuple[str, int, dict]], trace: list[TraceStep],
                    window: tuple[int, int]) -> dict:
    """A test case (file JSON) pinning what a traced customer's backtest did.

    ``profile``: id, email, first_name, timezone, consent, properties;
    ``history``: the customer's (event, time, properties) up to the window's
    end. The case expects exactly the messages the trace sent and the path and
    ending of the first journey, so the flow's next change shows if it changes them.
    """
    journeys = journeys_from_trace(trace)
    expect: dict = {"messages": [{"node": s.node, "at": _iso(s.time)} for s in trace if s.what == "sent"]}
    if journeys:
        expect["visits"] = journeys[0].visits
        if journeys[0].ends_at:
            expect["ends_at"] = journeys[0].ends_at
    customer = {k: v for k, v in profile.items() if v not in (None, {}, "")}
    return {
        "name": name,
        "customer": customer,
        "events": [{"at": _iso(t), "event": e, **({"properties": p} if p else {})} for e, t, p in history],
        "from": _iso(window[0]),
        "until": _iso(window[1]),
        "expect": expect,
    }
