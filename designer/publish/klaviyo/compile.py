"""A flow as the body of Klaviyo's Create Flow request.

Nodes are compiled by their kind's mapping (:mod:`actions`), in the order a
journey meets them, and then wired: each port's link names the first action
of the node that follows, a branch that ends has no link (``next`` omitted,
split links null as the schema requires). Flow settings become the
definition's ``profile_filter`` (exit condition, consent) and
``reentry_criteria``. Everything Klaviyo cannot express lands in the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from designer.model import durations
from designer.model.flow import Flow
from designer.publish.klaviyo import conditions as kc
from designer.publish.klaviyo.actions import MAPPINGS, Context
from designer.publish.klaviyo.refs import Refs
from designer.publish.metrics import MetricNames
from designer.publish.report import Report
from designer.publish.wiring import compile_nodes, wire

TARGET = "klaviyo"
#: Klaviyo's smart-sending window, set per account rather than per flow.
KLAVIYO_SMART_SENDING = "PT16H"


@dataclass
class Compiled:
    body: dict
    report: Report
    #: Node id of each action, by its position in ``definition.actions`` (for error pointers).
    action_nodes: list[str] = field(default_factory=list)
    #: The trigger's node id (errors pointing into ``definition.triggers`` belong to it).
    trigger_node: str | None = None

    @property
    def definition(self) -> dict:
        return self.body["data"]["attributes"]["definition"]

    def node_of_pointer(self, pointer: str | None) -> str | None:
        """The node behind a JSON pointer such as ``/data/attributes/definition/actions/3/data``."""
        parts = (pointer or "").strip("/").split("/")
        if "actions" in parts:
            i = parts.index("actions")
            if i + 1 < len(parts) and parts[i + 1].isdigit() and int(parts[i + 1]) < len(self.action_nodes):
                return self.action_nodes[int(parts[i + 1])]
        return self.trigger_node if "triggers" in parts else None


def compile_flow(flow: Flow, refs: Refs | None = None, names: MetricNames | None = None,
                 name: str | None = None) -> Compiled:
    refs = refs if refs is not None else Refs()
    names = names or MetricNames()
    report = Report(TARGET)
    ctx = Context(flow, refs, names, report)
    fragments = compile_nodes(flow, MAPPINGS, ctx, report)
    wired = wire(flow, fragments, "temporary_id")
    actions, action_nodes, entry_of = wired.items, wired.item_nodes, wired.entry_of

    trigger = flow.trigger()
    definition: dict = {"triggers": [ctx.trigger] if ctx.trigger else [], "actions": actions,
                        "entry_action_id": entry_of(trigger.id) if trigger else None}
    if trigger is None:
        report.error(None, "the flow has no trigger")
    elif definition["entry_action_id"] is None:
        report.error(trigger.id, "nothing follows the trigger: Klaviyo needs at least one action")
    _settings(ctx, definition)
    body = {"data": {"type": "flow", "attributes": {"name": name or flow.name, "definition": definition}}}
    return Compiled(body, report, action_nodes, trigger.id if trigger else None)


def reentry_criteria(mode: str, cooldown: str | None) -> dict:
    if mode == "never":
        return {"duration": 1, "unit": "alltime"}
    if mode == "always":
        return {"duration": 0, "unit": "alltime"}
    seconds = durations.parse_seconds(cooldown)
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600)):
        if seconds % size == 0:
            return {"duration": int(seconds // size), "unit": unit}
    return {"duration": int(-(-seconds // 3600)), "unit": "hour"}


def _settings(ctx: Context, definition: dict) -> None:
    s, report = ctx.flow.settings, ctx.report
    groups: list[dict] = []
    if s.exit_when:
        try:
            groups += kc.profile_filter(s.exit_when, ctx.metric_id, negated=True)["condition_groups"]
        except kc.Unsupported as exc:
            report.error(None, f"exit condition: {exc}", "settings.exit_when")
    if s.consent is not None:
        groups.append({"conditions": [{"type": "profile-marketing-consent", "consent": {
            "channel": "email", "can_receive_marketing": True, "consent_status": {"subscription": "subscribed"}}}]})
        if s.consent.property != "consent" or s.consent.sms_property:
            report.warn(None, f"Klaviyo gates sends on its own marketing consent, not on the profile property "
                        f"{s.consent.property!r}", "settings.consent")
    if groups:
        definition["profile_filter"] = {"condition_groups": groups}
    definition["reentry_criteria"] = reentry_criteria(s.reentry.mode, s.reentry.cooldown)
    if s.reentry.mode == "cooldown" and durations.parse_seconds(s.reentry.cooldown) % 3600:
        report.warn(None, f"re-entry cooldown {s.reentry.cooldown} rounded up to whole hours", "settings.reentry")
    if s.quiet_hours is not None:
        report.error(None, f"Klaviyo flows have no quiet hours for email ({s.quiet_hours.start}-"
                     f"{s.quiet_hours.end}); sends would go out at night", "settings.quiet_hours")
    if s.smart_sending and durations.parse_seconds(s.smart_sending) != durations.parse_seconds(KLAVIYO_SMART_SENDING):
        report.warn(None, f"Klaviyo's smart-sending window is the account's (16 hours by default), "
                    f"not this flow's {durations.humanize(s.smart_sending)}", "settings.smart_sending")
    if (s.conversion.event, s.conversion.window) != ("purchase", "P5D"):
        report.warn(None, "Klaviyo attributes conversions by the account's own metric and window",
                    "settings.conversion")
