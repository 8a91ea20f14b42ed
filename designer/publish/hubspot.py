"""HubSpot automation v4: a flow as the body of ``POST /automation/v4/flows``.

A contact-based workflow with event-based enrollment on the trigger's event;
actions carry string ``actionId`` s and are wired by ``connection.nextActionId``
(``SINGLE_CONNECTION``) or by the branches of a ``LIST_BRANCH``. What HubSpot's
built-in actions cannot do (history conditions in a branch, SMS, webhooks
without Operations Hub, random splits, quiet hours as drawn) is reported on
its node. Event types, marketing emails and lists are HubSpot ids: offline
they are ``$kind:name`` placeholders, as for Klaviyo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from designer.model import durations
from designer.model.conditions import DERIVED_FACTS
from designer.model.flow import Flow, Node
from designer.publish.metrics import MetricNames
from designer.publish.report import Report
from designer.publish.wiring import Fragment, Setter, compile_nodes, wire

TARGET = "hubspot"
DELAY, SEND_EMAIL, SET_PROPERTY, ADD_TO_LIST = "0-1", "0-4", "0-5", "0-63809083"
OPERATORS = {"=": ("IS_ANY_OF", True), "!=": ("IS_NONE_OF", True), "is set": ("IS_KNOWN", False),
             "is not set": ("IS_UNKNOWN", False)}
NUMBER_OPERATORS = {"=": "IS_EQUAL_TO", "!=": "IS_NOT_EQUAL_TO", "<": "IS_LESS_THAN", "<=": "IS_LESS_THAN_OR_EQUAL_TO",
                    ">": "IS_GREATER_THAN", ">=": "IS_GREATER_THAN_OR_EQUAL_TO"}


class _Unsupported(Exception):
    pass


@dataclass
class _Ctx:
    flow: Flow
    names: MetricNames
    report: Report
    enrollment: dict | None = None
    counter: int = 0

    def new_id(self) -> str:
        self.counter += 1
        return str(self.counter)


def _single(ctx: _Ctx, type_id: str, fields: dict, version: int = 0) -> dict:
    return {"actionId": ctx.new_id(), "actionTypeVersion": version, "actionTypeId": type_id,
            "type": "SINGLE_CONNECTION", "fields": fields}


def _next(act: dict) -> Setter:
    def set_next(target: str | None) -> None:
        if target is not None:
            act["connection"] = {"edgeType": "STANDARD", "nextActionId": target}
    return set_next


def _chain(acts: list[dict]) -> Fragment:
    for a, b in zip(acts, acts[1:]):
        _next(a)(b["actionId"])
    return Fragment(acts, {"next": [_next(acts[-1])]}) if acts else Fragment(passthrough="next")


def _trigger(ctx: _Ctx, node: Node) -> Fragment:
    c = node.config
    event = ctx.names.metric(c["event"])
    ctx.enrollment = {
        "type": "EVENT_BASED", "shouldReEnroll": ctx.flow.settings.reentry.mode != "never",
        "eventFilterBranches": [{"filterBranchType": "UNIFIED_EVENTS", "filterBranchOperator": "AND",
                                 "eventTypeId": f"$event:{event}", "operator": "HAS_COMPLETED",
                                 "filterBranches": [], "filters": []}],
        "listMembershipFilterBranches": []}
    if c.get("where"):
        ctx.report.error(node.id, "HubSpot enrollment here takes the event alone; its property filter is not sent",
                         "config.where")
    if c.get("key"):
        ctx.report.warn(node.id, f"HubSpot enrolls a contact once at a time, not once per {c['key']!r}",
                        "config.key")
    if ctx.flow.settings.reentry.mode == "cooldown":
        ctx.report.warn(None, "HubSpot re-enrolls without a cooldown", "settings.reentry")
    return Fragment(passthrough="next")


def _delay_fields(node: Node, report: Report) -> dict:
    c = node.config
    if c.get("until"):
        report.error(node.id, "HubSpot's delay here counts time only; the until-time is not sent", "config.duration")
    seconds = durations.parse_seconds(c.get("duration") or "PT0S")
    for unit, size in (("DAYS", 86400), ("HOURS", 3600), ("MINUTES", 60)):
        if seconds % size == 0:
            return {"delta": str(int(seconds // size)), "time_unit": unit}
    report.error(node.id, "HubSpot delays count whole minutes", "config.duration")
    return {"delta": str(int(-(-seconds // 60))), "time_unit": "MINUTES"}


def _delay(ctx: _Ctx, node: Node) -> Fragment:
    return _chain([_single(ctx, DELAY, _delay_fields(node, ctx.report))])


def _filter(test: dict) -> dict:
    if "property" not in test:
        raise _Unsupported("HubSpot branches here test contact properties only, not events or the trigger")
    if test["property"] in DERIVED_FACTS:
        raise _Unsupported(f"{test['property']!r} is worked out from the event history here; HubSpot has no such "
                           "contact property unless the shop syncs one")
    op, value = test.get("op", "="), test.get("value")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and op in NUMBER_OPERATORS:
        operation = {"operator": NUMBER_OPERATORS[op], "value": value, "operationType": "NUMBER"}
    elif op in OPERATORS:
        operator, takes = OPERATORS[op]
        operation = {"operator": operator, "operationType": "MULTISTRING" if takes else "ALL_PROPERTY"}
        if takes:
            operation["values"] = [str(value).lower() if isinstance(value, bool) else str(value)]
    elif op in ("in", "not in"):
        operation = {"operator": "IS_ANY_OF" if op == "in" else "IS_NONE_OF", "values": [str(v) for v in value],
                     "operationType": "MULTISTRING"}
    else:
        raise _Unsupported(f"HubSpot has no branch operator for {op!r} with {value!r}")
    return {"property": test["property"], "operation": operation, "filterType": "PROPERTY"}


def filter_branch(cond: dict) -> dict:
    for key, kind in (("all", "AND"), ("any", "OR")):
        if isinstance(cond.get(key), list):
            leaves = [c for c in cond[key] if not ({"all", "any", "not"} & set(c))]
            nested = [filter_branch(c) for c in cond[key] if {"all", "any"} & set(c)]
            if len(leaves) + len(nested) != len(cond[key]):
                raise _Unsupported("HubSpot branches have no 'not' of a group")
            return {"filterBranchType": kind, "filterBranchOperator": kind,
                    "filters": [_filter(c) for c in leaves], "filterBranches": nested}
    if "not" in cond:
        raise _Unsupported("HubSpot branches have no 'not'; flip the operator instead")
    return {"filterBranchType": "AND", "filterBranchOperator": "AND", "filters": [_filter(cond)],
            "filterBranches": []}


def _split(ctx: _Ctx, node: Node) -> Fragment:
    try:
        branch = filter_branch(node.config["condition"])
    except _Unsupported as exc:
        ctx.report.error(node.id, str(exc), "config.condition")
        branch = {"filterBranchType": "AND", "filterBranchOperator": "AND", "filters": [], "filterBranches": []}
    yes: dict[str, Any] = {"branchName": "Yes", "filterBranch": branch}
    act = {"actionId": ctx.new_id(), "type": "LIST_BRANCH", "listBranches": [yes], "defaultBranchName": "No"}

    def set_yes(target: str | None) -> None:
        if target is not None:
            yes["connection"] = {"edgeType": "STANDARD", "nextActionId": target}

    def set_no(target: str | None) -> None:
        if target is not None:
            act["defaultBranch"] = {"edgeType": "STANDARD", "nextActionId": target}

    return Fragment([act], {"yes": [set_yes], "no": [set_no]})


def _unsupported(reason: str):
    def mapping(ctx: _Ctx, node: Node) -> Fragment:
        ctx.report.error(node.id, reason)
        ports = node.output_ports()
        return Fragment(passthrough=ports[0] if ports else None)
    return mapping


def _send_email(ctx: _Ctx, node: Node) -> Fragment:
    ctx.report.warn(node.id, "HubSpot takes subject and preview text from the marketing email itself",
                    "config.subject")
    return _chain([_single(ctx, SEND_EMAIL, {"content_id": f"$email:{node.config['template']}"})])


def _update_profile(ctx: _Ctx, node: Node) -> Fragment:
    c = node.config
    acts = [_single(ctx, SET_PROPERTY, {"property_name": k, "value": {
        "staticValue": str(v).lower() if isinstance(v, bool) else str(v), "type": "STATIC_VALUE"}})
        for k, v in (c.get("set") or {}).items()]
    if c.get("add_to_list"):
        acts.append(_single(ctx, ADD_TO_LIST, {"targetObject": "{{ enrolled_object }}",
                                               "listId": f"$list:{c['add_to_list']}"}, version=5))
    for field_name in ("unset", "remove_from_list"):
        if c.get(field_name):
            ctx.report.error(node.id, f"{field_name.replace('_', ' ')} has no built-in HubSpot action here",
                             f"config.{field_name}")
    return _chain(acts)


def _exit(ctx: _Ctx, node: Node) -> Fragment:
    return Fragment()




def _wait_timeout(ctx: _Ctx, node: Node) -> Fragment:
    """No wait-for-event here: a delay of the timeout, then the timeout path (reported)."""
    ctx.report.error(node.id, "HubSpot's v4 built-in actions have no wait for an event; only the timeout path "
                     "is sent, after a delay of the timeout")
    act = _single(ctx, DELAY, _delay_fields(Node(node.id, "delay", config={"duration": node.config["timeout"]}),
                                            ctx.report))
    return Fragment([act], {"timeout": [_next(act)]})


#: The HubSpot mapping of every node kind.
MAPPINGS = {
    "trigger": _trigger,
    "delay": _delay,
    "wait_for": _wait_timeout,
    "split": _split,
    "ab_split": _unsupported("HubSpot's v4 built-in actions have no random split; the first variant's path is kept"),
    "send_email": _send_email,
    "send_sms": _unsupported("SMS is not a built-in HubSpot workflow action; the message is left out"),
    "webhook": _unsupported("webhooks need Operations Hub's custom actions; the call is left out"),
    "update_profile": _update_profile,
    "exit": _exit,
}


def compile_hubspot(flow: Flow, names: MetricNames | None = None) -> tuple[dict, Report]:
    body, report, _nodes = compile_hubspot_nodes(flow, names)
    return body, report


def compile_hubspot_nodes(flow: Flow, names: MetricNames | None = None, *,
                          name: str | None = None) -> tuple[dict, Report, list[str]]:
    """The body (named ``name``, default the flow's), its report, and the node behind each action by position
    (so an error at ``actions[3]`` names its node)."""
    report = Report(TARGET)
    ctx = _Ctx(flow, names or MetricNames(), report)
    # wait_for keeps its timeout path: the port after the event would be the wrong default.
    wired = wire(flow, compile_nodes(flow, MAPPINGS, ctx, report), "actionId")
    trigger = flow.trigger()
    s = flow.settings
    if s.quiet_hours is not None:
        report.error(None, "quiet hours are not sent: HubSpot's execution windows are set on the workflow page",
                     "settings.quiet_hours")
    if s.exit_when:
        report.error(None, "the exit condition is not sent: HubSpot's unenrollment is set on the workflow page",
                     "settings.exit_when")
    body = {"isEnabled": False, "flowType": "WORKFLOW", "type": "CONTACT_FLOW", "objectTypeId": "0-1",
            "name": name or flow.name, "startActionId": wired.entry_of(trigger.id) if trigger else None,
            "nextAvailableActionId": str(ctx.counter + 1), "actions": wired.items,
            "enrollmentCriteria": ctx.enrollment, "timeWindows": [], "blockedDates": [], "customProperties": {},
            "suppressionListIds": [], "canEnrollFromSalesforce": False}
    if body["startActionId"] is None:
        report.error(trigger.id if trigger else None, "HubSpot needs at least one action after the trigger")
    return body, report, wired.item_nodes


