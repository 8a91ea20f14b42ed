"""Entry: which of a customer's trigger events start a journey (re-entry rules, entry keys).

Decided once per customer and flow before any journey runs, because the rules
read only trigger events and earlier entries, never what journeys do.
"""

from __future__ import annotations

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
    refused = interp.results[plan.index].not_entered
    lo, hi = interp.window_from, interp.window_to
    last_entry: int | None = None
    keys: set = set()
    key_name = plan.trigger_key
    times = history.times
    trigger_filter = plan.trigger_filter
    never, cooldown = plan.reentry_mode == "never", plan.reentry_mode == "cooldown"
    cooldown_ms, tracing = plan.cooldown_ms, interp.trace is not None
    entries: list[int] = []
    unread: int | None = None  # the first entry, while its key is not needed

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
                        refusal(t, f"{key_name} {key!r} already had a journey")
                    continue
        last_entry = t
        if key is not None:
            keys.add(key)
        entries.append(index)
    return entries
