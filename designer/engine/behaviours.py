"""What each node kind does with a journey that arrives: one builder per kind, in a registry.

A builder runs once per node and run and returns the node's step, a closure
that takes a journey on: it bumps the counter of the port it leaves by and
calls the next node's arrival, or parks the journey until a later moment.
Adding a kind to the engine is one builder here (sends: :mod:`sending`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from hashlib import blake2b

from designer.engine import clock
from designer.engine.journey import Journey, Node, Step, waiting
from designer.engine.profile_updates import update_profile
from designer.engine.sending import send


def variant_draw(flow_id: str, node_id: str, external_id: str, entry_time: int) -> float:
    """A number in [0, 1) fixed by (flow, node, customer, entry): the A/B assignment."""
    digest = blake2b(f"{flow_id}\x1f{node_id}\x1f{external_id}\x1f{entry_time}".encode("utf-8", "surrogatepass"),
                     digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def split(n: Node) -> Step:
    condition, (yes_n, yes), (no_n, no) = n.node.condition, n.ports["yes"], n.ports["no"]
    counts, trace, node_id, note = n.interp.tally.counts, n.interp.trace, n.node.id, n.interp.note

    def step(j: Journey) -> None:
        ok = condition(j)
        if trace is not None:
            note(j, j.now, node_id, "split", "yes" if ok else "no")
        if ok:
            counts[yes_n] += 1
            yes(j)
        else:
            counts[no_n] += 1
            no(j)
    return step


def delay(n: Node) -> Step:
    node, park = n.node, n.park
    (slot, after), delay_ms, has_until = n.ports["next"], node.delay_ms, node.has_until
    at, days, timezone = node.until_time, node.until_weekdays, n.plan.timezone
    hold = waiting(lambda moment: f"waiting until {clock.iso(moment)}")

    def step(j: Journey) -> None:
        wake = j.now + delay_ms
        if has_until:
            wake = clock.next_local_time(wake, j.customer.zone(timezone), at, days)
        park(j, wake, bisect_right(j.customer.history.times, wake), after, hold, wake, slot)
    return step


def wait_for(n: Node) -> Step:
    node, park, node_id, note = n.node, n.park, n.node.id, n.interp.note
    name, where, timeout = node.wait_event, node.wait_filter, node.timeout_ms
    (event_n, on_event), (timeout_n, on_timeout) = n.ports["event"], n.ports["timeout"]
    if n.interp.trace is not None:  # each wake noted: the resumed steps count for themselves
        on_event, on_timeout, event_n, timeout_n = n.leaving("event"), n.leaving("timeout"), -1, -1

        def noted(leave: Step, text: str) -> Step:
            def resume(j: Journey) -> None:
                note(j, j.now, node_id, "wait over", text)
                leave(j)
            return resume
        on_event = noted(on_event, f"{name} happened")
        on_timeout = noted(on_timeout, "timed out")
    hold = waiting(lambda moment: f"waiting for {name} until {clock.iso(moment)}")

    def step(j: Journey) -> None:
        history = j.customer.history
        deadline = j.now + timeout
        times = history.times
        for i in history.between(name, j.cursor, len(times)):
            if times[i] > deadline:
                break
            if where is None or where(history.props(i)):
                park(j, times[i], i + 1, on_event, hold, deadline, event_n)
                return
        park(j, deadline, bisect_right(times, deadline), on_timeout, hold, deadline, timeout_n)
    return step


def ab_split(n: Node) -> Step:
    variants, flow_id, node_id = n.node.variants, n.plan.id, n.node.id
    counts, trace, note, ports = n.interp.tally.counts, n.interp.trace, n.interp.note, n.ports

    def step(j: Journey) -> None:
        draw = variant_draw(flow_id, node_id, j.customer.external_id, j.entry_time)
        name = variants[-1][0]
        for variant, upper in variants:
            if draw < upper:
                name = variant
                break
        if trace is not None:
            note(j, j.now, node_id, "A/B split", f"variant {name}")
        slot, go = ports[name]
        counts[slot] += 1
        go(j)
    return step


def profile_update(n: Node) -> Step:
    (next_n, go), node, result = n.ports["next"], n.node, n.interp.results[n.plan.index]
    counts, note = n.interp.tally.counts, n.interp.note

    tracing = n.interp.trace is not None

    def step(j: Journey) -> None:
        if tracing:
            note(j, j.now, node.id, "profile", update_profile(j, node, result))
        else:
            update_profile(j, node, result, describe=False)
        counts[next_n] += 1
        go(j)
    return step


def exit_node(n: Node) -> Step:
    counts, ended, finish, node_id = n.interp.tally.counts, n.interp.tally.slot((n.fig, "ended")), n.interp.finish, n.node.id

    if n.interp.trace is None:
        def step(j: Journey) -> None:
            counts[ended] += 1
            j.end = j.now  # what finish() does when no trace is kept
        return step

    def step(j: Journey) -> None:
        counts[ended] += 1
        finish(j, node_id, "ended", "reached an exit")
    return step


def pass_through(n: Node) -> Step:
    """A kind with no work of its own (the trigger, reached only at entry: flows have no cycles)."""
    return n.leaving("next") if "next" in n.ports else (lambda j: None)


#: kind -> the builder of its step.
BEHAVIOURS: dict[str, Callable[[Node], Step]] = {
    "trigger": pass_through,
    "split": split,
    "delay": delay,
    "wait_for": wait_for,
    "ab_split": ab_split,
    "update_profile": profile_update,
    "exit": exit_node,
    "send_email": send,
    "send_sms": send,
    "webhook": send,
}
