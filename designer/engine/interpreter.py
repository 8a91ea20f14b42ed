"""The interpreter: what happens to one customer's journeys, node by node, on a clock.

One customer is processed at a time, with every journey of every flow in the
run, in time order (a heap of wake-ups), because journeys of the same customer
share state: the profile that ``update_profile`` changes, and the last message
on each channel that smart sending looks at. Different customers share
nothing, so customers can be processed in any order and in any process.

Time and visibility. A journey has a clock ``now`` (epoch ms UTC) and a
``cursor``: how many of the customer's events it may see. It enters at its
trigger event (cursor just past that event, so "since flow start" counts
events *after* the trigger); a delay moves it to a later moment and lets it
see every event up to and including that moment; ``wait_for`` leaves at the
first matching event after the cursor (seeing up to that event) or at the
timeout. Splits and the exit rule read only events before the cursor.

Semantics, decided here once (the live runtime would run the same rules):

* **Entry**: each trigger event in the window whose properties pass the
  trigger's ``where`` is a candidate, and must pass two rules. Re-entry:
  ``always`` admits it, ``never`` only if the customer has not entered before
  in the run, ``cooldown`` only if the last entry is at least the cooldown ago
  (else ``not_entered["reentry"]``). Entry ``key``: an event whose key value
  already started a journey for this customer starts no other (else
  ``not_entered["duplicate_key"]``; events without the key property are not
  keyed). An event refused by both counts as ``reentry``. Entries before the
  window do not count: the backtest asks what would have happened had the
  flow gone live at the window's start.
* **Exit condition**: checked on arrival at every node after the trigger (and
  again when a send held back by quiet hours is about to go out); if it holds
  the journey leaves the flow there (``exited``).
* **delay**: wait the duration, then (if ``until`` is set) until the next
  local time/weekday in the customer's zone (fallback: the flow's, then UTC).
* **wait_for**: leaves by ``event`` at the first matching event after arrival,
  or by ``timeout`` when the timeout passes first (an event exactly at the
  timeout wins).
* **split**: the condition at the journey's clock; **ab_split**: a stable hash
  of (flow id, node, customer's external id, entry time), so runs repeat
  exactly and shares converge on the percentages.
* **sends**: a marketing send (email, SMS) inside quiet hours is held until
  the quiet period ends, then checked again. Consent: when the flow names a
  consent property for the channel, the profile value must be true (1, true,
  yes; unknown is no). Smart sending: skipped when the customer got a message
  *on the same channel* from any flow in this run less than the flow's window
  ago. Skipped sends go on to the next node. Webhooks are not marketing: no
  consent, smart sending or quiet hours, and they are not a touch for
  attribution.
* **update_profile**: changes the customer's profile from then on (all later
  steps of all journeys see it) and records list membership changes.
* **Conversion**: each conversion event is attributed to the flow's last
  marketing message to the customer before it, if within the window (last
  touch). ``bought_before_message`` counts journeys whose customer converted
  after entering and before the journey's first message (or, with no
  message, before the journey ended).
* **Horizon**: nothing happens at or after the window's end; a journey whose
  next moment falls there is ``in_progress`` at its node.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import blake2b
from typing import Any

from designer.engine import clock
from designer.engine.evaluate import MISSING, as_number, is_true
from designer.engine.figures import NodeFigures, SimulationResult, Tally, TraceStep
from designer.engine.history import History, merge_properties
from designer.engine.plan import FlowPlan, NodePlan

#: ``facts(history, cursor, now) -> dict`` of derived facts as of ``now``.
FactsFunction = Callable[[History, int, int], dict]
#: Leaving a node by a port: (counter slot of that step, the function taking the journey on).
Port = tuple[int, Callable[["Journey"], None]]


#: The empty set a customer's changes and lists start as (see :class:`Customer`).
_NONE: frozenset[str] = frozenset()


class Customer:
    """The shared state of one customer during a run."""

    __slots__ = ("id", "external_id", "history", "profile", "unmerged", "changed", "lists", "last_sent", "sends",
                 "received", "facts_fn", "uses_facts", "zones")

    def __init__(self, customer_id: int, profile: dict, history: History,
                 facts_fn: FactsFunction | None, uses_facts: set[str], properties: str | None = None) -> None:
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
        self.changed: set[str] | frozenset[str] = _NONE
        self.lists: set[str] | frozenset[str] = _NONE
        #: channel -> time of the last message (any flow in the run): smart sending.
        self.last_sent: dict[str, int] = {}
        #: flow index -> [(time, node id)] of marketing messages, for attribution.
        self.sends: dict[int, list[tuple[int, str]]] = {}
        #: Send nodes ((flow index, node id)) and flows (index) that already counted this customer
        #: as a recipient.
        self.received: set = set()
        self.facts_fn = facts_fn
        self.uses_facts = uses_facts
        #: fallback zone name -> the zone this customer's local times are read in (see :meth:`zone`).
        self.zones: dict[str, Any] = {}

    def merged(self) -> dict:
        """The whole profile, with the properties JSON merged in (parsed on first need)."""
        if self.unmerged is not None:
            merge_properties(self.profile, self.unmerged)
            self.unmerged = None
        return self.profile

    def profile_value(self, name: str, now: int) -> Any:
        if name in self.uses_facts and name not in self.changed and self.facts_fn is not None:
            facts = self.facts_fn(self.history, self.history.cursor_at(now), now)
            if name in facts:
                return facts[name]
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


@dataclass(frozen=True)
class Hold:
    """Why a parked journey waits, in the trace's words (formatted only when a trace is kept).

    Every way a journey waits for a later moment (a delay, a wait for an
    event, a send held back by quiet hours) parks it the same way, through
    :meth:`Interpreter._parking`; a hold only says how the trace tells it.
    """

    #: The trace step when the journey is parked ("wait", "held").
    what: str
    #: Its detail, given the moment waited for.
    noted: Callable[[int], str]
    #: The detail of the "in progress" step when that moment is at or after the window's end.
    unfinished: Callable[[int], str]


def _waiting(describe: Callable[[int], str]) -> Hold:
    """The hold of a delay or a wait for an event: ``describe(moment)`` says what it waits for."""
    return Hold("wait", describe, lambda moment: f"still waiting when the window ends ({describe(moment)})")


#: A marketing send held back until quiet hours end.
QUIET_HOURS = Hold("held", lambda until: f"quiet hours; send at {clock.iso(until)}",
                   lambda until: f"held by quiet hours until {clock.iso(until)}, after the window ends")


def entry_key(props: dict, name: str) -> Any:
    """A trigger event's entry key: the property's value (objects and lists by their repr);
    None when the event has no key."""
    key = props.get(name)
    if key is None or isinstance(key, (str, int, float, bool)):
        return key
    return repr(key)


def order_value(value: Any) -> float:
    """An order's value from the conversion property: a number, numeric text, or a list to sum
    (items as numbers, or objects with ``price`` times an optional ``quantity``)."""
    number = as_number(value)
    if number is not None:
        return number
    if isinstance(value, list):
        return sum(order_value(v) for v in value)
    if isinstance(value, dict) and "price" in value:
        qty = as_number(value.get("quantity", 1))
        return order_value(value["price"]) * (qty if qty is not None else 1)
    return 0.0


def variant_draw(flow_id: str, node_id: str, external_id: str, entry_time: int) -> float:
    """A number in [0, 1) fixed by (flow, node, customer, entry): the A/B assignment."""
    digest = blake2b(f"{flow_id}\x1f{node_id}\x1f{external_id}\x1f{entry_time}".encode("utf-8", "surrogatepass"),
                     digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class Interpreter:
    """Runs every journey of the given flows for one customer at a time, adding to ``results``."""

    def __init__(self, plans: list[FlowPlan], results: list[SimulationResult], window_from: int, window_to: int,
                 *, trace: list[TraceStep] | None = None, facts_fn: FactsFunction | None = None) -> None:
        self.plans = plans
        self.results = results
        self.window_from = window_from
        self.window_to = window_to
        self.trace = trace
        self.facts_fn = facts_fn
        self.uses_facts = set().union(*(p.derived_facts for p in plans)) if plans else set()
        self._heap: list = []
        self._tally = Tally()
        self._per_day: list[dict[int, int]] = [{} for _ in plans]
        #: (plan, the function that starts one of its journeys) per flow.
        self._flows = [(plan, self._compile(plan)) for plan in plans]

    # -- one customer -------------------------------------------------------
    def run_customer(self, customer_id: int, profile: dict, history: History, properties: str | None = None) -> None:
        """Every journey of ``customer_id``: ``profile`` holds the stored columns (and anything
        else known), ``properties`` the customer's properties JSON, merged in when first read."""
        cust = Customer(customer_id, profile, history, self.facts_fn, self.uses_facts, properties)
        heap = self._heap  # empty between customers
        times = history.times
        journeys: list[Journey] = []
        for plan, start in self._flows:
            for index in self._entries(plan, cust):
                # (time, cursor, seq): seq is unique among queued journeys, so journeys are never compared.
                t = times[index]
                j = Journey(len(journeys), plan, cust, index, t, start)
                heap.append((t, index + 1, j.seq, j))
                journeys.append(j)
        if not journeys:
            return
        if len(journeys) > 1:  # most customers start one journey: a one-item list is a heap already
            heapq.heapify(heap)
        if len(self.plans) == 1:
            self.results[0].customers_entered += 1
        else:
            for i in {j.plan.index for j in journeys}:
                self.results[i].customers_entered += 1
        pop = heapq.heappop
        while heap:
            j = pop(heap)[3]
            j.resume(j)  # its clock and cursor were moved when it was parked
        if len(self.plans) == 1:
            self._conversions(self.plans[0], cust, journeys)
        else:
            for plan in self.plans:
                self._conversions(plan, cust, [j for j in journeys if j.plan is plan])

    def _note(self, j: Journey | None, time: int, node: str | None, what: str,
              detail: str | Callable[[], str] = "") -> None:
        """Add a trace line when tracing; ``detail`` may be a function, so it is only formatted then."""
        if self.trace is not None:
            text = detail() if callable(detail) else detail
            self.trace.append(TraceStep(time, j.seq if j is not None else -1, node, what, text))

    def _entries(self, plan: FlowPlan, cust: Customer) -> list[int]:
        """Positions of the customer's trigger events that start a journey (rules above)."""
        history = cust.history
        candidates = history.by_name.get(plan.trigger_event)
        if not candidates:
            return []
        refused = self.results[plan.index].not_entered
        lo, hi = self.window_from, self.window_to
        last_entry: int | None = None
        keys: set = set()
        key_name = plan.trigger_key
        times = history.times
        trigger_filter = plan.trigger_filter
        never, cooldown = plan.reentry_mode == "never", plan.reentry_mode == "cooldown"
        cooldown_ms, tracing = plan.cooldown_ms, self.trace is not None
        entries: list[int] = []
        unread: int | None = None  # the first entry, while its key is not needed
        for index in candidates:
            t = times[index]
            if t < lo or t >= hi:
                continue
            props = None
            if trigger_filter is not None:
                props = history.props(index)
                if not trigger_filter(props):
                    continue
            # Re-entry first (it needs no properties); when both refuse, the reason given is re-entry.
            if last_entry is not None:
                if never:
                    refused["reentry"] = refused.get("reentry", 0) + 1
                    if tracing:
                        self._note(None, t, plan.trigger_id, "not entered",
                                   "re-entry is 'never' and the customer entered before")
                    continue
                if cooldown and t - last_entry < cooldown_ms:
                    refused["reentry"] = refused.get("reentry", 0) + 1
                    if tracing:
                        self._note(None, t, plan.trigger_id, "not entered",
                                   f"within the re-entry cooldown of the entry at {clock.iso(last_entry)}")
                    continue
            key = None
            if key_name is not None:
                if not entries:
                    # No key can repeat before the first entry: its key is read (its
                    # properties parsed) only if a later event needs the comparison.
                    unread = index
                else:
                    if unread is not None:
                        first = entry_key(history.props(unread), key_name)
                        if first is not None:
                            keys.add(first)
                        unread = None
                    key = entry_key(props if props is not None else history.props(index), key_name)
                    if key is not None and key in keys:
                        refused["duplicate_key"] = refused.get("duplicate_key", 0) + 1
                        if tracing:
                            self._note(None, t, plan.trigger_id, "not entered",
                                       f"{key_name} {key!r} already had a journey")
                        continue
            last_entry = t
            if key is not None:
                keys.add(key)
            entries.append(index)
        return entries

    # -- stepping -----------------------------------------------------------
    # Each flow is compiled once per interpreter into closures, one per node: its
    # "arrival" (the exit rule, then the node's work). A node leaves by a port by
    # bumping that port's counter and calling the next node's arrival (or ending the
    # journey), so an instant step is one call; a wait parks the journey on the
    # customer's heap with the function to resume with. Counters are slots of one
    # list of ints (figures.Tally), added into the figures by flush(). This keeps the
    # per-step work to a few local operations, which matters: a run on a big store
    # executes these millions of times (fusing "leave" into the node that leaves, and
    # list slots instead of figure attributes, took 7% off interpreting, measured in
    # instructions).
    def _finish(self, j: Journey, node_id: str | None, what: str, detail: str | Callable[[], str] = "") -> None:
        j.end = j.now
        if self.trace is not None:
            self._note(j, j.now, node_id, what, detail)

    def _parking(self, fig: NodeFigures, node_id: str) -> Callable[[Journey, int, int, Callable[[Journey], None],
                                                                  Hold, int], None]:
        """The one way a journey at ``node_id`` is parked until a later moment.

        ``park(j, wake, cursor, resume, hold, moment)`` queues the journey on
        the customer's heap to ``resume`` at ``wake``, seeing ``cursor``
        events; a wake at or after the window's end leaves it in progress at
        the node instead. ``hold`` and ``moment`` (the moment waited for)
        describe it in the trace.
        """
        heap, push, window_to, trace = self._heap, heapq.heappush, self.window_to, self.trace
        counts, in_progress = self._tally.counts, self._tally.slot((fig, "in_progress"))

        def park(j: Journey, wake: int, cursor: int, resume: Callable[[Journey], None], hold: Hold,
                 moment: int) -> None:
            if wake >= window_to:
                counts[in_progress] += 1
                j.now = window_to
                self._finish(j, node_id, "in progress", lambda: hold.unfinished(moment))
                return
            if trace is not None:
                self._note(j, j.now, node_id, hold.what, lambda: hold.noted(moment))
            # Nothing reads a parked journey's clock before it resumes: it moves on now.
            j.now, j.resume = wake, resume
            if cursor > j.cursor:
                j.cursor = cursor
            push(heap, (wake, cursor, j.seq, j))
        return park

    def _compile(self, plan: FlowPlan) -> Callable[[Journey], None]:
        """The function that starts a journey of ``plan`` (see the comment above)."""
        result = self.results[plan.index]
        figures = result.nodes
        arrivals: dict[str, Callable[[Journey], None]] = {}

        def arrival(node_id: str) -> Callable[[Journey], None]:
            fn = arrivals.get(node_id)
            if fn is None:
                fn = arrivals[node_id] = self._arrival(plan, plan.nodes[node_id], figures[node_id], port)
            return fn

        def port(node: NodePlan, name: str) -> Port:
            return self._port(node, name, figures, arrival)

        trig_fig = figures[plan.trigger_id]
        started = self._tally.slot((trig_fig, "entered"), (result, "entered"))
        out, go = port(plan.nodes[plan.trigger_id], "next")
        counts, trace = self._tally.counts, self.trace

        def start(j: Journey) -> None:
            counts[started] += 1
            if trace is not None:
                props = ", ".join(f"{k}={v}" for k, v in sorted(j.trigger_props.items()))
                self._note(j, j.now, plan.trigger_id, "entered", f"{plan.trigger_event} {props}".strip())
            counts[out] += 1
            go(j)

        return start

    def _port(self, node: NodePlan, name: str, figures: dict[str, NodeFigures],
              arrival: Callable[[str], Callable[[Journey], None]]) -> Port:
        """Leaving ``node`` by port ``name``: the counter of that step (the node's exit by the
        port and the next node's arrival) and the function that takes the journey on."""
        exits = figures[node.id].exits
        nxt = node.successors.get(name)
        if nxt is None:
            node_id = node.id

            def end_of_branch(j: Journey) -> None:
                self._finish(j, node_id, "end of branch", lambda: f"nothing follows port {name!r}")
            return self._tally.slot((exits, name)), end_of_branch
        return self._tally.slot((exits, name), (figures[nxt], "entered")), arrival(nxt)

    def _leaving(self, port: Port) -> Callable[[Journey], None]:
        """A function that leaves by ``port``, for a journey resumed after a wait."""
        counts, (slot, go) = self._tally.counts, port

        def leave(j: Journey) -> None:
            counts[slot] += 1
            go(j)
        return leave

    def _arrival(self, plan: FlowPlan, node: NodePlan, fig: NodeFigures, port) -> Callable[[Journey], None]:
        """What happens when a journey arrives at ``node``: the flow's exit rule, then the node's work."""
        action = self._action(plan, node, fig, port)
        exit_rule = plan.exit_rule
        if exit_rule is None:
            return action
        counts, exited, node_id = self._tally.counts, self._tally.slot((fig, "exited")), node.id

        def checked(j: Journey) -> None:
            if exit_rule(j):
                counts[exited] += 1
                self._finish(j, node_id, "exit condition", "left the flow: the exit condition holds")
                return
            action(j)
        return checked

    def _action(self, plan: FlowPlan, node: NodePlan, fig: NodeFigures, port) -> Callable[[Journey], None]:
        """What the node does on arrival (after the exit rule let the journey through)."""
        kind, node_id, trace = node.kind, node.id, self.trace
        counts = self._tally.counts
        ports: dict[str, Port] = {name: port(node, name) for name in node.successors}
        park = self._parking(fig, node_id)

        if kind == "split":
            condition, (yes_n, yes), (no_n, no) = node.condition, ports["yes"], ports["no"]

            def split(j: Journey) -> None:
                ok = condition(j)
                if trace is not None:
                    self._note(j, j.now, node_id, "split", "yes" if ok else "no")
                if ok:
                    counts[yes_n] += 1
                    yes(j)
                else:
                    counts[no_n] += 1
                    no(j)
            return split

        if kind == "delay":
            after, delay_ms, has_until = self._leaving(ports["next"]), node.delay_ms, node.has_until
            at, days, timezone = node.until_time, node.until_weekdays, plan.timezone
            waiting = _waiting(lambda moment: f"waiting until {clock.iso(moment)}")

            def delay(j: Journey) -> None:
                wake = j.now + delay_ms
                if has_until:
                    wake = clock.next_local_time(wake, j.customer.zone(timezone), at, days)
                park(j, wake, bisect_right(j.customer.history.times, wake), after, waiting, wake)
            return delay

        if kind == "wait_for":
            name, where, timeout = node.wait_event, node.wait_filter, node.timeout_ms
            on_event, on_timeout = self._leaving(ports["event"]), self._leaving(ports["timeout"])
            if trace is not None:
                def noted(leave, text):
                    def resume(j: Journey) -> None:
                        self._note(j, j.now, node_id, "wait over", text)
                        leave(j)
                    return resume
                on_event = noted(on_event, f"{name} happened")
                on_timeout = noted(on_timeout, "timed out")
            waiting = _waiting(lambda moment: f"waiting for {name} until {clock.iso(moment)}")

            def wait_for(j: Journey) -> None:
                history = j.customer.history
                deadline = j.now + timeout
                times = history.times
                for i in history.between(name, j.cursor, len(times)):
                    if times[i] > deadline:
                        break
                    if where is None or where(history.props(i)):
                        park(j, times[i], i + 1, on_event, waiting, deadline)
                        return
                park(j, deadline, bisect_right(times, deadline), on_timeout, waiting, deadline)
            return wait_for

        if kind in ("send_email", "send_sms", "webhook"):
            return self._send_action(plan, node, fig, ports["next"], park)

        if kind == "update_profile":
            next_n, go = ports["next"]

            def update(j: Journey) -> None:
                self._update_profile(j, node)
                counts[next_n] += 1
                go(j)
            return update

        if kind == "ab_split":
            variants = node.variants
            flow_id = plan.id

            def ab_split(j: Journey) -> None:
                draw = variant_draw(flow_id, node_id, j.customer.external_id, j.entry_time)
                name = variants[-1][0]
                for variant, upper in variants:
                    if draw < upper:
                        name = variant
                        break
                if trace is not None:
                    self._note(j, j.now, node_id, "A/B split", f"variant {name}")
                slot, go = ports[name]
                counts[slot] += 1
                go(j)
            return ab_split

        if kind == "exit":
            ended = self._tally.slot((fig, "ended"))

            def end(j: Journey) -> None:
                counts[ended] += 1
                self._finish(j, node_id, "ended", "reached an exit")
            return end

        # A trigger reached again cannot happen (no cycles).
        return self._leaving(ports["next"]) if "next" in ports else (lambda j: None)

    def _send_action(self, plan: FlowPlan, node: NodePlan, fig: NodeFigures, next_port: Port,
                     park: Callable[..., None]) -> Callable[[Journey], None]:
        result = self.results[plan.index]
        per_day = self._per_day[plan.index]
        node_id, key, channel, marketing = node.id, node.key, node.channel, node.marketing
        quiet, smart_ms, consent = plan.quiet, plan.smart_ms, node.consent_property
        timezone, flow_index, exit_rule = plan.timezone, plan.index, plan.exit_rule
        trace = self.trace
        tally = self._tally
        counts, (next_n, after) = tally.counts, next_port
        held, no_consent = tally.slot((fig.deferred, "quiet_hours")), tally.slot((fig.skipped, "no_consent"))
        too_soon, sent = tally.slot((fig.skipped, "smart_sending")), tally.slot((fig, "messages"), (result, "sends"))
        exited = tally.slot((fig, "exited"))
        DAY_MS, HOUR_MS = clock.DAY_MS, clock.HOUR_MS
        offset_ms, days_offsets = clock.offset_ms, clock.days_offsets
        q_start, q_end = quiet if quiet is not None else (0, 0)
        q_wraps, q_end_text = q_start > q_end, f"{q_end // 60:02d}:{q_end % 60:02d}"
        if quiet is not None and q_start == q_end:
            quiet = None  # an empty quiet period
        consent_is_fact = consent in self.uses_facts

        def send(j: Journey, retry: bool = False) -> None:
            cust, now = j.customer, j.now
            # The zone and the day's offset read straight from their caches, with a call only on a
            # miss or on a day the offset changes (two calls per send fewer: sends are most of a run).
            tz = cust.zones.get(timezone) or cust.zone(timezone)
            offsets = days_offsets.get((tz, now // DAY_MS))
            local = now + (offsets[0] if offsets is not None and offsets[1] is None else offset_ms(now, tz))
            if marketing:
                if quiet is not None and not retry:
                    m = (local // 60_000) % 1440
                    if (m >= q_start or m < q_end) if q_wraps else (q_start <= m < q_end):
                        until = clock.next_local_time(now, tz, q_end_text, None)
                        counts[held] += 1
                        park(j, until, cust.history.cursor_at(until), released, QUIET_HOURS, until)
                        return
                if consent is not None:
                    value = MISSING if consent_is_fact else cust.profile.get(consent, MISSING)
                    if value is MISSING:
                        value = cust.profile_value(consent, now)
                    if not (value is True or (value.__class__ is int and value == 1) or is_true(value)):
                        counts[no_consent] += 1
                        if trace is not None:
                            shown = "unknown" if value is MISSING or value is None else repr(value)
                            self._note(j, now, node_id, "skipped", f"no consent: {consent} is {shown}")
                        counts[next_n] += 1
                        after(j)
                        return
                if smart_ms is not None:
                    last = cust.last_sent.get(channel)
                    if last is not None and now - last < smart_ms:
                        counts[too_soon] += 1
                        if trace is not None:
                            self._note(j, now, node_id, "skipped",
                                       lambda: f"smart sending: last {channel} message at {clock.iso(last)}")
                        counts[next_n] += 1
                        after(j)
                        return
                cust.last_sent[channel] = now
                sends = cust.sends.get(flow_index)
                if sends is None:
                    cust.sends[flow_index] = [(now, node_id)]
                else:
                    sends.append((now, node_id))
            counts[sent] += 1
            received = cust.received
            if key not in received:
                received.add(key)
                fig.recipients += 1
                if flow_index not in received:
                    received.add(flow_index)
                    result.recipients += 1
            day = now // DAY_MS
            per_day[day] = per_day.get(day, 0) + 1
            result.messages_per_hour[(local // HOUR_MS) % 24] += 1
            if j.first_send is None:
                j.first_send = now
            if trace is not None:
                self._note(j, now, node_id, "sent", f"{channel} message" + (" (after quiet hours)" if retry else ""))
            counts[next_n] += 1
            after(j)

        def released(j: Journey) -> None:
            """A send held back by quiet hours is due: the exit rule may hold by now."""
            if exit_rule is not None and exit_rule(j):
                counts[exited] += 1
                self._finish(j, node_id, "exit condition", "the exit condition held when the send was due")
                return
            send(j, True)

        if node.content_problem is not None:
            return self._template_error(node, fig, next_port)
        return send

    def _template_error(self, node: NodePlan, fig: NodeFigures, next_port: Port) -> Callable[[Journey], None]:
        """A send whose message cannot be made: each arrival is skipped as ``template_error`` and moves on."""
        tally, problem, node_id = self._tally, node.content_problem, node.id
        counts, (next_n, after), failed = tally.counts, next_port, tally.slot((fig.skipped, "template_error"))

        def skip(j: Journey, retry: bool = False) -> None:
            counts[failed] += 1
            if self.trace is not None:
                self._note(j, j.now, node_id, "skipped", f"template error: {problem}")
            counts[next_n] += 1
            after(j)

        return skip

    def flush(self) -> None:
        """Move figures kept in working form (counter slots, day numbers) into the results;
        call once at the end."""
        self._tally.add_to_figures()
        for result, per_day in zip(self.results, self._per_day):
            for day, n in per_day.items():
                key = clock.utc_day(day * clock.DAY_MS)
                result.messages_per_day[key] = result.messages_per_day.get(key, 0) + n
            per_day.clear()

    def _update_profile(self, j: Journey, node: NodePlan) -> None:
        cust = j.customer
        cust.merged()
        if cust.changed is _NONE:
            cust.changed, cust.lists = set(), set()
        done = []
        for key, value in node.set_props.items():
            cust.profile[key] = value
            cust.changed.add(key)
            done.append(f"{key} = {value!r}")
        for key in node.unset_props:
            cust.profile.pop(key, None)
            cust.changed.add(key)
            done.append(f"removed {key}")
        changes = self.results[j.plan.index].segment_changes
        day = clock.utc_day(j.now)
        if node.add_to_list and node.add_to_list not in cust.lists:
            cust.lists.add(node.add_to_list)
            per_day = changes.setdefault(node.add_to_list, {})
            per_day[day] = per_day.get(day, 0) + 1
            done.append(f"added to {node.add_to_list!r}")
        if node.remove_from_list and node.remove_from_list in cust.lists:
            cust.lists.discard(node.remove_from_list)
            per_day = changes.setdefault(node.remove_from_list, {})
            per_day[day] = per_day.get(day, 0) - 1
            done.append(f"removed from {node.remove_from_list!r}")
        self._note(j, j.now, node.id, "profile", "; ".join(done) or "no change")

    # -- after the customer's journeys ----------------------------------------
    def _conversions(self, plan: FlowPlan, cust: Customer, journeys: list[Journey]) -> None:
        history = cust.history
        conv = history.by_name.get(plan.conversion_event)
        if not conv or not journeys:
            return
        result = self.results[plan.index]
        times = history.times
        sends = cust.sends.get(plan.index, [])
        send_times = [t for t, _ in sends]
        for ci in conv:
            c = times[ci]
            k = bisect_left(send_times, c) - 1
            if k < 0 or c - send_times[k] > plan.conversion_ms:
                continue
            node_id = sends[k][1]
            value = 0.0
            if plan.conversion_value:
                value = order_value(history.props(ci).get(plan.conversion_value))
            figures = result.nodes[node_id]
            figures.conversions += 1
            figures.revenue += value
            result.conversions += 1
            result.revenue += value
            if self.trace is not None:
                self._note(None, c, node_id, "conversion", f"{plan.conversion_event} worth {value:g}, "
                           f"last touch {node_id} at {clock.iso(send_times[k])}")
        for j in journeys:
            k = bisect_left(conv, j.entry_index + 1)
            if k >= len(conv):
                continue
            t = times[conv[k]]
            end = j.end if j.end is not None else self.window_to
            if (j.first_send is not None and t < j.first_send) or (j.first_send is None and t <= end):
                result.bought_before_message += 1
