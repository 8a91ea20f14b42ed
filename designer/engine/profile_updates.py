"""update_profile: a customer's profile and lists changed from then on, for every journey.

The change is the customer's, not the journey's: every later step of every
journey of that customer (in any flow of the run) sees it, and a property
written here wins over a derived fact of the same name.
"""

from __future__ import annotations

from designer.engine import clock
from designer.engine.figures import SimulationResult
from designer.engine.journey import NO_CHANGES, Journey
from designer.engine.plan import NodePlan


def update_profile(j: Journey, node: NodePlan, result: SimulationResult, describe: bool = True) -> str:
    """Apply ``node``'s changes to the journey's customer (list changes counted per UTC day in
    ``result``); returns what changed, for the trace (only when ``describe``: a run without a
    trace makes no text)."""
    cust = j.customer
    if node.unset_props:
        cust.merged()  # a removed property must not come back from the properties JSON later
    # (A property set here wins over the JSON's when it is merged later: written values stay.)
    if cust.changed is NO_CHANGES:
        cust.changed, cust.lists = set(), set()
    done = [] if describe else None
    for key, value in node.set_props.items():
        cust.profile[key] = value
        cust.changed.add(key)
        if done is not None:
            done.append(f"{key} = {value!r}")
    for key in node.unset_props:
        cust.profile.pop(key, None)
        cust.changed.add(key)
        if done is not None:
            done.append(f"removed {key}")
    changes = result.segment_changes
    if node.add_to_list and node.add_to_list not in cust.lists:
        cust.lists.add(node.add_to_list)
        per_day = changes.setdefault(node.add_to_list, {})
        day = clock.utc_day(j.now)
        per_day[day] = per_day.get(day, 0) + 1
        if done is not None:
            done.append(f"added to {node.add_to_list!r}")
    if node.remove_from_list and node.remove_from_list in cust.lists:
        cust.lists.discard(node.remove_from_list)
        per_day = changes.setdefault(node.remove_from_list, {})
        day = clock.utc_day(j.now)
        per_day[day] = per_day.get(day, 0) - 1
        if done is not None:
            done.append(f"removed from {node.remove_from_list!r}")
    return "; ".join(done) or "no change" if done is not None else ""
