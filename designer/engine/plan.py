"""A flow compiled for the interpreter: parsed durations, compiled conditions, port targets.

Built from the nodes' typed configs (``Node.typed``, checked once by their kind):
each kind that needs more than its ports registers what it puts in its node's
plan in ``PLANNERS``.

Compiling once per run keeps parsing out of the per-customer loop, and the
plan also answers what the reader needs to know: which event names the flow
can look at and how far back before the window it looks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from designer.engine import evaluate, send_checks
from designer.engine.facts import ORDER_FACTS
from designer.engine.versions import problems
from designer.model import conditions, durations
from designer.model.flow import Flow
from designer.model.kinds import KINDS
from designer.model.validate import ERROR


class PlanError(ValueError):
    """A flow that cannot be simulated as drawn; the message names the node and the fix."""


@dataclass
class NodePlan:
    id: str
    kind: str
    successors: dict[str, str | None]
    channel: str | None = None
    marketing: bool = False
    #: (flow index, node id): the node's identity across the flows of one run.
    key: tuple[int, str] = (0, "")
    #: The profile property that must be true before this send (None: no consent rule).
    consent_property: str | None = None
    #: Why this send's message cannot be made (a registered content check said so), or None.
    content_problem: str | None = None
    # delay
    delay_ms: int = 0
    until_time: str | None = None
    until_weekdays: tuple[str, ...] | None = None
    has_until: bool = False
    # wait_for
    wait_event: str | None = None
    wait_filter: Any = None
    timeout_ms: int = 0
    # split
    condition: Any = None
    # ab_split: (port, cumulative upper bound in [0, 1])
    variants: list[tuple[str, float]] = field(default_factory=list)
    # update_profile
    set_props: dict[str, Any] = field(default_factory=dict)
    unset_props: tuple[str, ...] = ()
    add_to_list: str | None = None
    remove_from_list: str | None = None


@dataclass
class FlowPlan:
    flow: Flow
    index: int
    id: str
    trigger_id: str
    trigger_event: str
    trigger_filter: Any
    trigger_key: str | None
    reentry_mode: str
    cooldown_ms: int
    exit_rule: Any
    smart_ms: int | None
    #: Quiet hours as minutes after local midnight (start, end).
    quiet: tuple[int, int] | None
    conversion_event: str
    conversion_value: str | None
    conversion_ms: int
    consent: Any
    timezone: str
    nodes: dict[str, NodePlan]
    #: Event names any rule of the flow reads.
    event_names: set[str]
    #: How far before the window start history is needed (ms); None: all of it.
    lookback_ms: int | None
    derived_facts: set[str]
    #: The trigger's ``where`` when it is a plain text equality the reader can push into SQL.
    trigger_pushdown: list[tuple[str, str]] | None
    #: Profile properties the flow reads (condition tests, consent, the customer's zone).
    profile_names: set[str] = field(default_factory=set)
    #: Event names whose properties a rule reads (trigger filter, key and tests, order values,
    #: filtered waits and event tests); the reader leaves the others' properties unread.
    props_names: set[str] = field(default_factory=set)


@dataclass
class _Reads:
    """What the flow's nodes read, gathered while their plans are built."""

    names: set[str]
    rules: list[Any] = field(default_factory=list)
    #: Event names whose properties are read.
    props: set[str] = field(default_factory=set)


def _plan_delay(plan: NodePlan, c: Any, reads: _Reads) -> None:
    if c.duration:
        plan.delay_ms = durations.parse_ms(c.duration)
    if c.until is not None:
        plan.has_until = True
        plan.until_time = c.until.time
        plan.until_weekdays = tuple(c.until.weekdays) if c.until.weekdays else None


def _plan_wait_for(plan: NodePlan, c: Any, reads: _Reads) -> None:
    plan.wait_event = c.event
    plan.wait_filter = evaluate.compile_filter(c.where.to_json() if c.where is not None else None)
    plan.timeout_ms = durations.parse_ms(c.timeout)
    reads.names.add(c.event)
    if c.where is not None:
        reads.props.add(c.event)


def _plan_split(plan: NodePlan, c: Any, reads: _Reads) -> None:
    tree = c.condition.to_json()
    plan.condition = evaluate.compile_condition(tree)
    reads.rules.append(tree)


def _plan_ab_split(plan: NodePlan, c: Any, reads: _Reads) -> None:
    total, upper = 0.0, []
    for v in c.variants:
        total += float(v.percent)
        upper.append((v.name, total / 100.0))
    plan.variants = upper


def _plan_update_profile(plan: NodePlan, c: Any, reads: _Reads) -> None:
    plan.set_props = dict(c.set or {})
    plan.unset_props = tuple(c.unset or ())
    plan.add_to_list = c.add_to_list or None
    plan.remove_from_list = c.remove_from_list or None


#: Kind name -> what its typed config puts in the node's plan (kinds without an entry need
#: only the ports, channel and consent every plan has).
PLANNERS: dict[str, Callable[[NodePlan, Any, _Reads], None]] = {
    "delay": _plan_delay,
    "wait_for": _plan_wait_for,
    "split": _plan_split,
    "ab_split": _plan_ab_split,
    "update_profile": _plan_update_profile,
}


def compile_flow(flow: Flow, index: int = 0) -> FlowPlan:
    """The plan for a flow, from its typed configs; raises PlanError if the flow has validation errors."""
    errors = [p for p in problems(flow) if p.severity == ERROR]  # once per version of the flow
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        where = f"node {first.node}: " if first.node else ""
        raise PlanError(f"flow {flow.id!r} cannot be simulated: {where}{first.message}{more}")
    s = flow.settings
    trigger = flow.trigger()
    assert trigger is not None  # validate() guarantees exactly one
    start = trigger.typed
    assert start is not None  # and that every config parses
    reads = _Reads({start.event, s.conversion.event})
    names = reads.names
    lookback: int | None = 0
    facts: set[str] = set()
    tests: list[dict] = []
    nodes: dict[str, NodePlan] = {}
    for node in flow.nodes.values():
        spec = KINDS[node.kind]
        plan = NodePlan(node.id, node.kind, {p: flow.successor(node.id, p) for p in node.output_ports()},
                        channel=spec.channel, marketing=spec.marketing, key=(index, node.id))
        if spec.marketing and s.consent is not None:
            plan.consent_property = s.consent.for_channel(spec.channel)
        if spec.channel is not None:
            plan.content_problem = send_checks.send_problem(flow, node)
        planner = PLANNERS.get(node.kind)
        if planner is not None:
            planner(plan, node.typed, reads)
        nodes[node.id] = plan
    rules = reads.rules
    if s.exit_when is not None:
        rules.append(s.exit_when)
    profile_names = {"timezone"} | {n.consent_property for n in nodes.values() if n.consent_property}
    for rule in rules:
        tests.extend(conditions.event_tests(rule))
        facts |= evaluate.reads_derived_facts(rule)
        profile_names |= evaluate.reads_profile(rule)
    if start.where is not None or start.key or any("trigger" in t for r in rules for t in conditions.leaf_tests(r)):
        reads.props.add(start.event)
    if s.conversion.value or start.key:  # order values; a conversion's key picks its journey
        reads.props.add(s.conversion.event)
    for t in tests:
        names.add(t["event"])
        if t.get("where") is not None:
            reads.props.add(t["event"])
        since = t.get("since", "flow_start")
        if since == "ever":
            lookback = None
        elif since != "flow_start" and lookback is not None:
            lookback = max(lookback, durations.parse_ms(since))
    if facts:
        lookback = None  # facts count the whole history (orders: the conversion event, read already)
    if facts - ORDER_FACTS:
        names.add("*")  # every event counts as activity
    reentry_ms = durations.parse_ms(s.reentry.cooldown) if s.reentry.mode == "cooldown" else 0
    where = start.where.to_json() if start.where is not None else None
    return FlowPlan(
        flow=flow, index=index, id=flow.id, trigger_id=trigger.id,
        trigger_event=start.event,
        trigger_filter=evaluate.compile_filter(where),
        trigger_key=start.key or None,
        reentry_mode=s.reentry.mode, cooldown_ms=reentry_ms,
        exit_rule=evaluate.compile_condition(s.exit_when) if s.exit_when is not None else None,
        smart_ms=durations.parse_ms(s.smart_sending) if s.smart_sending else None,
        quiet=(_minutes(s.quiet_hours.start), _minutes(s.quiet_hours.end)) if s.quiet_hours else None,
        conversion_event=s.conversion.event, conversion_value=s.conversion.value,
        conversion_ms=durations.parse_ms(s.conversion.window),
        consent=s.consent, timezone=s.timezone or "UTC",
        nodes=nodes, event_names=names, lookback_ms=lookback, derived_facts=facts,
        trigger_pushdown=_pushdown(where),
        profile_names=profile_names,
        props_names=reads.props,
    )


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _pushdown(where: Any) -> list[tuple[str, str]] | None:
    """(property, text) pairs when a trigger filter is only text equalities joined by 'all'.

    Only non-numeric, non-boolean text qualifies: for those the SQL test
    ``json_extract(properties, '$.p') = 'text'`` keeps exactly the events the
    Python test keeps, so the push-down narrows the read without changing a result.
    """
    if not isinstance(where, dict):
        return None
    leaves = where["all"] if isinstance(where.get("all"), list) else [where]
    out = []
    for leaf in leaves:
        if not isinstance(leaf, dict) or set(leaf) - {"property", "op", "value"}:
            return None
        name, value = leaf.get("property"), leaf.get("value")
        if leaf.get("op", "=") != "=" or not isinstance(value, str) or not isinstance(name, str):
            return None
        if evaluate.as_number(value) is not None or evaluate.as_bool(value) is not None:
            return None
        if not name.replace("_", "").isalnum():
            return None
        out.append((name, value))
    return out or None
