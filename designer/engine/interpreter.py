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

The jobs live in their own modules: entry (:mod:`entry`), what each node kind
does (:mod:`behaviours`, sends and their gates in :mod:`sending`), profile
updates (:mod:`profile_updates`), attribution (:mod:`attribution`); this
module runs them for one customer at a time.

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
* **programme** (several flows run as one, with a programme): a frequency cap
  of N marketing messages per window counts every flow's email and SMS; a
  send that would be the N+1th within any window is skipped
  (``skipped["frequency_cap"]``) and goes on, like a smart-sending skip. The
  cap is decided in time order, as a live system must (a later message never
  cancels an earlier one); when two flows would send at the same moment, the
  flow earlier in the programme's priority goes first. Sends that another
  flow's message stopped (smart sending or the cap) are counted by (blocked
  flow, blocking flow) in the programme's figures.
* **update_profile**: changes the customer's profile from then on (all later
  steps of all journeys see it) and records list membership changes.
* **Conversion**: each conversion event is credited once, to the flow's last
  marketing message before it within the attribution window, and with an
  entry key only to a message of the journey with the conversion's key
  (:mod:`designer.engine.attribution`).
* **Horizon**: nothing happens at or after the window's end; a journey whose
  next moment falls there is ``in_progress`` at its node.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from designer.engine import clock
from designer.engine.attribution import attribute
from designer.engine.behaviours import BEHAVIOURS, variant_draw
from designer.engine.entry import entries
from designer.engine.facts import Orders, order_value
from designer.engine.figures import NodeFigures, SimulationResult, Tally, TraceStep
from designer.engine.history import History
from designer.engine.journey import Customer, Hold, Journey, Node, Port, Step, entry_key
from designer.engine.plan import FlowPlan, NodePlan
from designer.engine.programme import ProgrammeFigures
from designer.engine.scores import ScoreBook, Scorer

#: Names other modules and tests reach through this module.
__all__ = ["Interpreter", "Customer", "Journey", "entry_key", "order_value", "variant_draw"]


class Interpreter:
    """Runs every journey of the given flows for one customer at a time, adding to ``results``."""

    def __init__(self, plans: list[FlowPlan], results: list[SimulationResult], window_from: int, window_to: int,
                 *, trace: list[TraceStep] | None = None, programme: ProgrammeFigures | None = None,
                 scores: dict[Orders, ScoreBook] | None = None) -> None:
        """``programme``: when several flows run as one programme, the figures only it shows
        (its ``cap``, if any, is enforced across the flows: see the module docstring);
        ``scores``: the run's predictive-score models per order definition (see
        :func:`designer.engine.scores.books_for_run`), without which a score is read from the profile."""
        self.plans = plans
        self.programme = programme
        self.results = results
        self.window_from = window_from
        self.window_to = window_to
        self.trace = trace
        #: Derived facts any flow reads, and what each flow's facts count as orders.
        self.uses_facts = set().union(*(p.derived_facts for p in plans)) if plans else set()
        self.orders = [Orders(p.conversion_event, p.conversion_value) for p in plans]
        scorers = {o: Scorer(book, o) for o, book in (scores or {}).items()}  # one per orders: shared caches
        self.scorers = [scorers.get(o) for o in self.orders]
        self._heap: list = []
        self.tally = Tally()
        #: Per flow, marketing messages per UTC day number (made into dates by flush()).
        self.per_day: list[dict[int, int]] = [{} for _ in plans]
        #: (plan, the function that starts one of its journeys) per flow.
        self._flows = [(plan, self._compile(plan), plan.trigger_event) for plan in plans]

    # -- one customer -------------------------------------------------------
    def run_customer(self, customer_id: int, profile: dict, history: History, properties: str | None = None) -> None:
        """Every journey of ``customer_id``: ``profile`` holds the stored columns (and anything
        else known), ``properties`` the customer's properties JSON, merged in when first read."""
        cust = Customer(customer_id, profile, history, self.orders, self.uses_facts, properties, self.scorers)
        heap = self._heap  # empty between customers
        times = history.times
        journeys: list[Journey] = []
        #: (plan, its journeys) of the flows the customer entered, in flow order.
        per_flow: list[tuple[FlowPlan, list[Journey]]] = []
        by_name = history.by_name
        entries, results = self.entries, self.results
        for plan, start, trigger_event in self._flows:
            if trigger_event not in by_name:
                continue  # (most customers have the trigger events of one flow or two)
            found = entries(plan, cust)
            if not found:
                continue
            seq = len(journeys)
            if len(found) == 1:  # (most often)
                index = found[0]
                t = times[index]
                # (time, cursor, seq): seq is unique among queued journeys, so journeys are never compared.
                j = Journey(seq, plan, cust, index, t, start)
                heap.append((t, index + 1, seq, j))
                mine = [j]
            else:
                mine = []
                for index in found:
                    t = times[index]
                    j = Journey(seq, plan, cust, index, t, start)
                    heap.append((t, index + 1, seq, j))
                    mine.append(j)
                    seq += 1
            journeys.extend(mine)
            per_flow.append((plan, mine))
            results[plan.index].customers_entered += 1
        if not journeys:
            return
        if len(journeys) > 1:  # most customers start one journey: a one-item list is a heap already
            heapq.heapify(heap)
        pop = heapq.heappop
        while heap:
            j = pop(heap)[3]
            j.resume(j)  # its clock and cursor were moved when it was parked
        if self.programme is not None:
            self.programme.add_journeys(cust.capped, journeys, self.window_to)
        note = self.note if self.trace is not None else None
        orders, window_to = self.orders, self.window_to
        for plan, mine in per_flow:  # a flow without journeys here has nothing to credit
            attribute(plan, orders[plan.index], results[plan.index], cust, mine, window_to, note)

    def entries(self, plan: FlowPlan, cust: Customer) -> list[int]:
        """Positions of the customer's trigger events that start a journey (the runtime narrows them
        to each flow version's own range of entry times)."""
        return entries(self, plan, cust)

    def note(self, j: Journey | None, time: int, node: str | None, what: str,
              detail: str | Callable[[], str] = "", flow: str | None = None) -> None:
        """Add a trace line when tracing; ``detail`` may be a function, so it is only formatted then.
        ``flow``: the flow's id, for a line about no journey (the journey's own flow otherwise)."""
        if self.trace is not None:
            text = detail() if callable(detail) else detail
            self.trace.append(TraceStep(time, j.seq if j is not None else -1, node, what, text,
                                        j.plan.id if j is not None else flow))

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
    def finish(self, j: Journey, node_id: str | None, what: str, detail: str | Callable[[], str] = "") -> None:
        j.end = j.now
        if self.trace is not None:
            self.note(j, j.now, node_id, what, detail)

    def parking(self, fig: NodeFigures, node_id: str) -> Callable[[Journey, int, int, Step,
                                                                  Hold, int], None]:
        """The one way a journey at ``node_id`` is parked until a later moment.

        ``park(j, wake, cursor, resume, hold, moment, slot)`` queues the journey on
        the customer's heap to ``resume`` at ``wake``, seeing ``cursor``
        events; a wake at or after the window's end leaves it in progress at
        the node instead. ``hold`` and ``moment`` (the moment waited for)
        describe it in the trace. ``slot``: the counter of the port the
        journey will leave by when it resumes (a port's ``(slot, next)``
        parked as ``next`` with ``slot``: one call per wake fewer than a
        step that counts and goes on), or -1 when ``resume`` counts for itself.
        """
        heap, push, window_to, trace = self._heap, heapq.heappush, self.window_to, self.trace
        counts, in_progress = self.tally.counts, self.tally.slot((fig, "in_progress"))

        def park(j: Journey, wake: int, cursor: int, resume: Step, hold: Hold,
                 moment: int, slot: int = -1) -> None:
            if wake >= window_to:
                counts[in_progress] += 1
                j.now = j.end = window_to
                if trace is not None:
                    self.note(j, window_to, node_id, "in progress", lambda: hold.unfinished(moment))
                return
            if trace is not None:
                self.note(j, j.now, node_id, hold.what, lambda: hold.noted(moment))
            if slot >= 0:
                # The step it resumes with, counted now: a queued journey always resumes before
                # its customer is done, and nothing reads the counts before then.
                counts[slot] += 1
            # Nothing reads a parked journey's clock before it resumes: it moves on now.
            j.now, j.resume = wake, resume
            if cursor > j.cursor:
                j.cursor = cursor
            push(heap, (wake, cursor, j.seq, j))
        return park

    def _compile(self, plan: FlowPlan) -> Step:
        """The function that starts a journey of ``plan`` (see the comment above)."""
        result = self.results[plan.index]
        figures = result.nodes
        arrivals: dict[str, Step] = {}

        def arrival(node_id: str) -> Step:
            fn = arrivals.get(node_id)
            if fn is None:
                fn = arrivals[node_id] = self._arrival(plan, plan.nodes[node_id], figures[node_id], port)
            return fn

        def port(node: NodePlan, name: str) -> Port:
            return self._port(node, name, figures, arrival)

        trig_fig = figures[plan.trigger_id]
        started = self.tally.slot((trig_fig, "entered"), (result, "entered"))
        out, go = port(plan.nodes[plan.trigger_id], "next")
        counts, trace = self.tally.counts, self.trace

        def start(j: Journey) -> None:
            counts[started] += 1
            if trace is not None:
                props = ", ".join(f"{k}={v}" for k, v in sorted(j.trigger_props.items()))
                self.note(j, j.now, plan.trigger_id, "entered", f"{plan.trigger_event} {props}".strip())
            counts[out] += 1
            go(j)

        return start

    def _port(self, node: NodePlan, name: str, figures: dict[str, NodeFigures],
              arrival: Callable[[str], Step]) -> Port:
        """Leaving ``node`` by port ``name``: the counter of that step (the node's exit by the
        port and the next node's arrival) and the function that takes the journey on."""
        exits = figures[node.id].exits
        nxt = node.successors.get(name)
        if nxt is None:
            node_id = node.id

            if self.trace is None:
                def end_of_branch(j: Journey) -> None:
                    j.end = j.now
            else:
                def end_of_branch(j: Journey) -> None:
                    self.finish(j, node_id, "end of branch", lambda: f"nothing follows port {name!r}")
            return self.tally.slot((exits, name)), end_of_branch
        return self.tally.slot((exits, name), (figures[nxt], "entered")), arrival(nxt)

    def _arrival(self, plan: FlowPlan, node: NodePlan, fig: NodeFigures, port) -> Step:
        """What happens when a journey arrives at ``node``: the flow's exit rule, then the node's work."""
        ports = {name: port(node, name) for name in node.successors}
        action = BEHAVIOURS[node.kind](Node(self, plan, node, fig, ports, self.parking(fig, node.id)))
        exit_rule = plan.exit_rule
        if exit_rule is None:
            return action
        counts, exited, node_id = self.tally.counts, self.tally.slot((fig, "exited")), node.id

        def checked(j: Journey) -> None:
            if exit_rule(j):
                counts[exited] += 1
                self.finish(j, node_id, "exit condition", "left the flow: the exit condition holds")
                return
            action(j)
        return checked

    def flush(self) -> None:
        """Move figures kept in working form (counter slots, day numbers) into the results;
        call once at the end."""
        self.tally.add_to_figures()
        for result, per_day in zip(self.results, self.per_day):
            for day, n in per_day.items():
                key = clock.utc_day(day * clock.DAY_MS)
                result.messages_per_day[key] = result.messages_per_day.get(key, 0) + n
            per_day.clear()
