"""Dittofeed: a flow as the journey for ``PUT /api/admin/journeys``, with the
segments and templates it needs, which are upserted first.

The journey's entry node starts on the trigger's event; body nodes name their
``child`` by id and a branch that ends goes to ``ExitNode``. Split conditions
and wait-for events become segments (trait and performed-event tests under
and/or nodes). Dittofeed's segments look at the whole history rather than
the journey's, so "since the flow started" is approximated and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from designer.model import durations
from designer.model.conditions import DERIVED_FACTS
from designer.model.flow import Flow, Node
from designer.publish import tokens
from designer.publish.report import Report
from designer.publish.templates import template_html
from designer.publish.wiring import Fragment, Setter, compile_nodes, wire

TARGET = "dittofeed"
EXIT = "ExitNode"
WORKSPACE = "$workspace"
DAY_NUMBERS = {d: i for i, d in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
TRAIT_OPERATORS = {"=": "Equals", "!=": "NotEquals", ">=": "GreaterThanOrEqual", "<": "LessThan"}
TIMES_OPERATORS = {">=": "GreaterThanOrEqual", "<": "LessThan", "=": "Equals"}


class _Unsupported(Exception):
    pass


@dataclass
class _Ctx:
    flow: Flow
    report: Report
    flow_path: Path | None
    #: The journey's name: segments are named after it, so each version has its own.
    name: str = ""
    entry: dict | None = None
    segments: list[dict] = field(default_factory=list)
    templates: dict[str, dict] = field(default_factory=dict)


def _child(node: dict, key: str = "child") -> Setter:
    def set_child(target: str | None) -> None:
        node[key] = target or EXIT
    return set_child


def _trigger(ctx: _Ctx, node: Node) -> Fragment:
    c = node.config
    ctx.entry = {"type": "EventEntryNode", "event": c["event"], "child": EXIT}
    if c.get("key"):
        ctx.entry["key"] = c["key"]
    if c.get("where"):
        ctx.report.error(node.id, "Dittofeed's event entry takes the event name alone; the filter is not sent",
                         "config.where")
    return Fragment(passthrough="next")


def _delay(ctx: _Ctx, node: Node) -> Fragment:
    c = node.config
    items: list[dict] = []
    if c.get("duration"):
        items.append({"type": "DelayNode", "id": node.id, "child": EXIT,
                      "variant": {"type": "Second", "seconds": int(durations.parse_seconds(c["duration"]))}})
    until = c.get("until")
    if until:
        hour, minute = (int(x) for x in (until.get("time") or "00:00").split(":"))
        variant: dict[str, Any] = {"type": "LocalTime", "hour": hour, "minute": minute}
        if until.get("weekdays"):
            variant["allowedDaysOfWeek"] = sorted(DAY_NUMBERS[d] for d in until["weekdays"])
        items.append({"type": "DelayNode", "id": node.id + ("-until" if items else ""), "child": EXIT,
                      "variant": variant})
    for a, b in zip(items, items[1:]):
        a["child"] = b["id"]
    return Fragment(items, {"next": [_child(items[-1])]})


def _segment(ctx: _Ctx, node: Node, cond: dict, suffix: str = "") -> str:
    nodes: list[dict] = []

    def build(c: dict) -> str:
        nid = f"{node.id}{suffix}-{len(nodes) + 1}"
        seg: dict[str, Any] = {"id": nid}
        nodes.append(seg)
        for key, kind in (("all", "And"), ("any", "Or")):
            if isinstance(c.get(key), list):
                seg.update(type=kind, children=[build(x) for x in c[key]])
                return nid
        if "not" in c:
            raise _Unsupported("Dittofeed segments have no 'not'; flip the operator instead")
        if "trigger" in c:
            raise _Unsupported("Dittofeed segments cannot read the event that started the journey")
        if "event" in c:
            (op, n), = (c.get("count") or {">=": 1}).items()
            if op not in TIMES_OPERATORS:
                raise _Unsupported(f"Dittofeed counts events with >=, < or =, not {op!r}")
            seg.update(type="Performed", event=c["event"], timesOperator=TIMES_OPERATORS[op], times=n)
            since = c.get("since", "flow_start")
            if since == "flow_start":
                ctx.report.warn(node.id, f"Dittofeed's segment counts {c['event']} over all history, not only "
                                "since the journey started")
            elif since != "ever":
                seg["withinSeconds"] = int(durations.parse_seconds(since))
            if c.get("where"):
                raise _Unsupported("event property filters in a segment are not compiled for Dittofeed")
            return nid
        if c["property"] in DERIVED_FACTS:
            raise _Unsupported(f"{c['property']!r} is worked out from the event history here; Dittofeed has no "
                               "such trait unless the shop sends one")
        op = c.get("op", "=")
        if op in ("in", "not in"):
            each = "=" if op == "in" else "!="
            seg.update(type="Or" if op == "in" else "And", children=[
                build({"property": c["property"], "op": each, "value": v}) for v in c["value"]])
            return nid
        if op in ("is set", "is not set"):
            operator: dict[str, Any] = {"type": "Exists" if op == "is set" else "NotExists"}
        elif op in TRAIT_OPERATORS:
            operator = {"type": TRAIT_OPERATORS[op], "value": c["value"]}
        else:
            raise _Unsupported(f"Dittofeed trait tests have no {op!r}")
        seg.update(type="Trait", path=c["property"], operator=operator)
        return nid

    build(cond)
    name = f"{ctx.name}: {node.id}{suffix}"
    ctx.segments.append({"workspaceId": WORKSPACE, "name": name,
                         "definition": {"entryNode": nodes[0], "nodes": nodes[1:]}})
    return f"$segment:{name}"


def _split(ctx: _Ctx, node: Node) -> Fragment:
    try:
        segment = _segment(ctx, node, node.config["condition"])
    except _Unsupported as exc:
        ctx.report.error(node.id, str(exc), "config.condition")
        segment = f"$segment:{ctx.name}: {node.id}"
    variant = {"type": "Boolean", "segment": segment, "trueChild": EXIT, "falseChild": EXIT}
    item = {"type": "SegmentSplitNode", "id": node.id, "variant": variant}
    return Fragment([item], {"yes": [_child(variant, "trueChild")], "no": [_child(variant, "falseChild")]})


def _wait_for(ctx: _Ctx, node: Node) -> Fragment:
    c = node.config
    try:
        segment = _segment(ctx, node, {"event": c["event"], "since": "flow_start", "where": c.get("where")})
    except _Unsupported as exc:
        ctx.report.error(node.id, str(exc), "config.where")
        segment = f"$segment:{ctx.name}: {node.id}"
    child = {"id": EXIT, "segmentId": segment}
    item = {"type": "WaitForNode", "id": node.id, "timeoutSeconds": int(durations.parse_seconds(c["timeout"])),
            "timeoutChild": EXIT, "segmentChildren": [child]}
    return Fragment([item], {"event": [_child(child, "id")], "timeout": [_child(item, "timeoutChild")]})


def _ab_split(ctx: _Ctx, node: Node) -> Fragment:
    children = [{"id": EXIT, "percent": v["percent"], "name": v["name"]} for v in node.config["variants"]]
    item = {"type": "RandomCohortNode", "id": node.id, "children": children}
    return Fragment([item], {c["name"]: [_child(c, "id")] for c in children})


def _template(ctx: _Ctx, node: Node, name: str, definition: dict) -> str:
    ctx.templates.setdefault(name, {"workspaceId": WORKSPACE, "name": name, "definition": definition})
    return f"$template:{name}"


def _liquid(ctx: _Ctx, node: Node, field_name: str, text: str) -> str:
    out = tokens.to_liquid(text)
    for token in out.untranslated:
        ctx.report.error(node.id, f"the token {token} has no Dittofeed equivalent", f"config.{field_name}")
    return out.text


def _message(kind: str):
    def mapping(ctx: _Ctx, node: Node) -> Fragment:
        c = node.config
        if kind == "Email":
            html, _ = template_html(c["template"], c.get("subject", ""), ctx.flow_path)
            definition = {"type": "Email", "from": c.get("from_email") or "", "subject":
                          _liquid(ctx, node, "subject", c.get("subject") or ""), "body": html}
            # One template per send and journey version: the subject lives in a Dittofeed template, so two
            # sends of one design (or two versions of a flow) must not share one.
            template = _template(ctx, node, f"{ctx.name}: {node.id}", definition)
        elif kind == "Sms":
            template = _template(ctx, node, f"{ctx.name}: {node.id}",
                                 {"type": "Sms", "body": _liquid(ctx, node, "body", c["body"])})
        else:
            if (c.get("method") or "POST").upper() != "POST":
                ctx.report.warn(node.id, "the webhook's method is set in its Dittofeed template", "config.method")
            template = _template(ctx, node, f"{ctx.name}: {node.id}", {
                "type": "Webhook", "identifierKey": "id",
                "body": {"config": {"url": c["url"], "method": (c.get("method") or "POST").upper(),
                                    "data": c.get("body") or ""}}})
        item = {"type": "MessageNode", "id": node.id, "variant": {"type": kind, "templateId": template},
                "child": EXIT}
        return Fragment([item], {"next": [_child(item)]})
    return mapping


def _update_profile(ctx: _Ctx, node: Node) -> Fragment:
    ctx.report.error(node.id, "Dittofeed journeys do not change profiles or lists; the step is left out")
    return Fragment(passthrough="next")


def _exit(ctx: _Ctx, node: Node) -> Fragment:
    return Fragment()


#: The Dittofeed mapping of every node kind.
MAPPINGS = {
    "trigger": _trigger,
    "delay": _delay,
    "wait_for": _wait_for,
    "split": _split,
    "ab_split": _ab_split,
    "send_email": _message("Email"),
    "send_sms": _message("Sms"),
    "webhook": _message("Webhook"),
    "update_profile": _update_profile,
    "exit": _exit,
}


def compile_dittofeed(flow: Flow, flow_path: str | Path | None = None) -> tuple[dict, Report]:
    bundle, report, _nodes = compile_dittofeed_nodes(flow, flow_path)
    return bundle, report


def compile_dittofeed_nodes(flow: Flow, flow_path: str | Path | None = None, *,
                            name: str | None = None) -> tuple[dict, Report, list[str]]:
    """The bundle (journey and segments named after ``name``, default the flow's), its report, and the node
    behind each journey node by position (so an error at ``definition/nodes/3`` names its node)."""
    report = Report(TARGET)
    ctx = _Ctx(flow, report, Path(flow_path) if flow_path else None, name or flow.name)
    wired = wire(flow, compile_nodes(flow, MAPPINGS, ctx, report), "id")
    trigger = flow.trigger()
    entry = ctx.entry or {"type": "EventEntryNode", "event": "", "child": EXIT}
    entry["child"] = (wired.entry_of(trigger.id) if trigger else None) or EXIT
    s = flow.settings
    for name, value, reason in (
            ("quiet_hours", s.quiet_hours, "quiet hours are not part of a Dittofeed journey"),
            ("exit_when", s.exit_when, "the exit condition is not part of a Dittofeed journey")):
        if value:
            report.error(None, reason, f"settings.{name}")
    if s.smart_sending:
        report.warn(None, "smart sending is not part of a Dittofeed journey", "settings.smart_sending")
    if s.reentry.mode == "cooldown":
        report.warn(None, "Dittofeed lets a customer run the journey again without a cooldown", "settings.reentry")
    journey = {"workspaceId": WORKSPACE, "name": ctx.name, "status": "NotStarted",
               "canRunMultiple": s.reentry.mode != "never",
               "definition": {"entryNode": entry, "exitNode": {"type": "ExitNode"}, "nodes": wired.items}}
    return ({"segments": ctx.segments, "templates": list(ctx.templates.values()), "journey": journey}, report,
            wired.item_nodes)
