"""A flow compiled for the interpreter: parsed durations, compiled conditions, port targets.

Compiling once per run keeps parsing out of the per-customer loop, and the
plan also answers what the reader needs to know: which event names the flow
can look at and how far back before the window it looks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from designer.engine import evaluate, send_checks
from designer.model import conditions, durations
from designer.model.flow import Flow
from designer.model.kinds import KINDS
from designer.model.validate import ERROR, validate

#: Facts derived from orders (the conversion event) and from any activity.
ORDER_FACTS = {"order_count", "total_spent", "days_since_last_order"}
ACTIVITY_FACTS = {"first_seen", "last_seen"}


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


def compile_flow(flow: Flow, index: int = 0) -> FlowPlan:
    """The plan for a flow; raises PlanError if the flow has validation errors."""
    errors = [p for p in validate(flow) if p.severity == ERROR]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        where = f"node {first.node}: " if first.node else ""
        raise PlanError(f"flow {flow.id!r} cannot be simulated: {where}{first.message}{more}")
    s = flow.settings
    trigger = flow.trigger()
    assert trigger is not None  # validate() guarantees exactly one
    names: set[str] = {trigger.config["event"], s.conversion.event}
    lookback: int | None = 0
    facts: set[str] = set()
    tests: list[dict] = []
    rules: list[Any] = []
    nodes: dict[str, NodePlan] = {}
    for node in flow.nodes.values():
        spec = KINDS[node.kind]
        c = node.config
        plan = NodePlan(node.id, node.kind, {p: flow.successor(node.id, p) for p in node.output_ports()},
                        channel=spec.channel, marketing=spec.marketing, key=(index, node.id))
        if spec.marketing and s.consent is not None:
            plan.consent_property = s.consent.for_channel(spec.channel)
        if spec.channel is not None:
            plan.content_problem = send_checks.send_problem(flow, node)
        if node.kind == "delay":
            if c.get("duration"):
                plan.delay_ms = durations.parse_ms(c["duration"])
            until = c.get("until")
            if until:
                plan.has_until = True
                plan.until_time = until.get("time")
                plan.until_weekdays = tuple(until["weekdays"]) if until.get("weekdays") else None
        elif node.kind == "wait_for":
            plan.wait_event = c["event"]
            plan.wait_filter = evaluate.compile_filter(c.get("where"))
            plan.timeout_ms = durations.parse_ms(c["timeout"])
            names.add(c["event"])
        elif node.kind == "split":
            plan.condition = evaluate.compile_condition(c["condition"])
            rules.append(c["condition"])
        elif node.kind == "ab_split":
            total, upper = 0.0, []
            for v in c["variants"]:
                total += float(v["percent"])
                upper.append((v["name"], total / 100.0))
            plan.variants = upper
        elif node.kind == "update_profile":
            plan.set_props = dict(c.get("set") or {})
            plan.unset_props = tuple(c.get("unset") or ())
            plan.add_to_list = c.get("add_to_list") or None
            plan.remove_from_list = c.get("remove_from_list") or None
        nodes[node.id] = plan
    if s.exit_when is not None:
        rules.append(s.exit_when)
    profile_names = {"timezone"} | {n.consent_property for n in nodes.values() if n.consent_property}
    for rule in rules:
        tests.extend(conditions.event_tests(rule))
        facts |= evaluate.reads_derived_facts(rule)
        profile_names |= evaluate.reads_profile(rule)
    for t in tests:
        names.add(t["event"])
        since = t.get("since", "flow_start")
        if since == "ever":
            lookback = None
        elif since != "flow_start" and lookback is not None:
            lookback = max(lookback, durations.parse_ms(since))
    if facts:
        from designer.engine.facts import ORDER_EVENT

        lookback = None
        names.add(ORDER_EVENT)
    if facts & ACTIVITY_FACTS:
        names.add("*")  # every event counts as activity
    reentry_ms = durations.parse_ms(s.reentry.cooldown) if s.reentry.mode == "cooldown" else 0
    return FlowPlan(
        flow=flow, index=index, id=flow.id, trigger_id=trigger.id,
        trigger_event=trigger.config["event"],
        trigger_filter=evaluate.compile_filter(trigger.config.get("where")),
        trigger_key=trigger.config.get("key") or None,
        reentry_mode=s.reentry.mode, cooldown_ms=reentry_ms,
        exit_rule=evaluate.compile_condition(s.exit_when) if s.exit_when is not None else None,
        smart_ms=durations.parse_ms(s.smart_sending) if s.smart_sending else None,
        quiet=(_minutes(s.quiet_hours.start), _minutes(s.quiet_hours.end)) if s.quiet_hours else None,
        conversion_event=s.conversion.event, conversion_value=s.conversion.value,
        conversion_ms=durations.parse_ms(s.conversion.window),
        consent=s.consent, timezone=s.timezone or "UTC",
        nodes=nodes, event_names=names, lookback_ms=lookback, derived_facts=facts,
        trigger_pushdown=_pushdown(trigger.config.get("where")),
        profile_names=profile_names,
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
