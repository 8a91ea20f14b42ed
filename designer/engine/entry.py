"""Entry: which of a customer's trigger events start a journey (re-entry rules, entry keys).

Decided once per customer and flow before any journey runs, because the rules
read only trigger events and earlier entries, never what journeys do.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from designer.engine import clock
from designer.engine.journey import Customer, entry_key
from designer.engine.plan import FlowPlan

if TYPE_CHECKING:
    from designer.engine.interpreter import Interpreter


def entries(interp: Interpreter, plan: FlowPlan, cust: Customer) -> list[int]:
    """Positions of the customer's trigger events that start a journey of ``plan`` (the
    entry rules in :mod:`designer.engine.interpreter`); refusals are counted by reason."""
    history = cust.history
    candidates = history.by_name.get(plan.trigger_event)
    if not candidates:
        return []
    lo, hi = interp.window_from, interp.window_to
    if plan.trigger_filter is None and interp.trace is None:
        if len(candidates) == 1:  # (most customers): no rule can refuse a lone trigger event
            return candidates[:] if lo <= history.times[candidates[0]] < hi else []
        return _unfiltered(plan, history, candidates, interp.results[plan.index].not_entered, lo, hi)
    refused = interp.results[plan.index].not_entered
    last_entry: int | None = None
    key_name = plan.trigger_key
    keys = _EntryKeys(history, key_name)
    times = history.times
    trigger_filter = plan.trigger_filter
    never, cooldown = plan.reentry_mode == "never", plan.reentry_mode == "cooldown"
    cooldown_ms, tracing = plan.cooldown_ms, interp.trace is not None
    entries: list[int] = []

    def refusal(t: int, why: str) -> None:
        interp.note(None, t, plan.trigger_id, "not entered", why, flow=plan.id)
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
        if last_entry is not None and (never or (cooldown and t - last_entry < cooldown_ms)):
            refused["reentry"] = refused.get("reentry", 0) + 1
            if tracing:
                refusal(t, "re-entry is 'never' and the customer entered before" if never else
                        f"within the re-entry cooldown of the entry at {clock.iso(last_entry)}")
            continue
        key = None
        if key_name is not None:
            key = keys.key_of(index, props, bool(entries))
            if key in keys.taken:
                refused["duplicate_key"] = refused.get("duplicate_key", 0) + 1
                if tracing:
                    refusal(t, f"{key_name} {key!r} already had a journey")
                continue
        last_entry = t
        if key is not None:
            keys.taken.add(key)
        entries.append(index)
    return entries


def _unfiltered(plan: FlowPlan, history, candidates: list[int], refused: dict, lo: int, hi: int) -> list[int]:
    """:func:`entries` for a trigger without a filter, when no trace is kept: the same entries and
    refusals, found by bisection. After an entry, every candidate within the cooldown (all, for
    ``never``) is refused for re-entry in one count instead of one by one: a browse flow's
    trigger is every view, and most views come within the cooldown of the one that entered."""
    times = history.times
    at = times.__getitem__
    # (A window over the whole history holds every candidate: two comparisons instead of two searches.)
    k = 0 if times[candidates[0]] >= lo else bisect_left(candidates, lo, key=at)
    stop = len(candidates) if times[candidates[-1]] < hi else bisect_left(candidates, hi, lo=k, key=at)
    mode, cooldown_ms, key_name = plan.reentry_mode, plan.cooldown_ms, plan.trigger_key
    entries: list[int] = []
    keys = _EntryKeys(history, key_name)
    while k < stop:
        index = candidates[k]
        if key_name is not None:
            key = keys.key_of(index, None, bool(entries))
            if key in keys.taken:
                refused["duplicate_key"] = refused.get("duplicate_key", 0) + 1
                k += 1
                continue
            if key is not None:
                keys.taken.add(key)
        entries.append(index)
        if mode == "never":
            after = stop
        elif mode == "cooldown":
            after = bisect_left(candidates, times[index] + cooldown_ms, lo=k + 1, hi=stop, key=at)
        else:
            after = k + 1
        if after > k + 1:
            refused["reentry"] = refused.get("reentry", 0) + after - k - 1
        k = after
    return entries


class _EntryKeys:
    """The entry keys a customer's journeys have taken, read lazily: no key can repeat before the
    first entry, so the first entry's key is read (its properties parsed) only when a later
    trigger needs the comparison."""

    __slots__ = ("history", "name", "taken", "unread")

    def __init__(self, history, name: str | None) -> None:
        self.history, self.name = history, name
        self.taken: set = set()
        self.unread: int | None = None  # the first entry, while its key is not needed

    def key_of(self, index: int, props: dict | None, entered_before: bool):
        """The key of the trigger at ``index`` (None before the first entry, or when it has none);
        ``props``: its properties, when already parsed."""
        if not entered_before:
            self.unread = index
            return None
        if self.unread is not None:
            first = entry_key(self.history.props(self.unread), self.name)
            if first is not None:
                self.taken.add(first)
            self.unread = None
        return entry_key(props if props is not None else self.history.props(index), self.name)
