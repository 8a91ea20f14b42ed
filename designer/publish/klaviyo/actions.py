"""Each node kind's Klaviyo actions, registered in one dict keyed by kind.

A mapping turns one node into a :class:`~designer.publish.wiring.Fragment`:
the actions it adds and, for each output port, the setter of the link that
leads on; :mod:`designer.publish.wiring` then wires them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from designer.model import durations
from designer.model.flow import Flow, Node
from designer.model.kinds import WEEKDAYS
from designer.publish import tokens
from designer.publish.klaviyo import conditions as kc
from designer.publish.klaviyo.refs import Refs
from designer.publish.metrics import MetricNames
from designer.publish.report import Report
from designer.publish.wiring import Fragment, Setter

DRAFT = "draft"
WEEKDAY_NAMES = dict(zip(WEEKDAYS, ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")))


def to(act: dict, key: str) -> Setter:
    """The setter of one link: ``next`` is left out when the branch ends, split links stay null."""
    def set_link(target: str | None) -> None:
        if key != "next":
            act["links"][key] = target
        elif target is not None:
            act.setdefault("links", {})["next"] = target
    return set_link


@dataclass
class Context:
    flow: Flow
    refs: Refs
    names: MetricNames
    report: Report
    trigger: dict | None = None
    trigger_metric: str | None = None

    def metric_id(self, event: str) -> str:
        return self.refs.metric(self.names.metric(event))

    def text(self, node: Node, field_name: str, value: str) -> str:
        """Our tokens in Klaviyo's language; a token that does not map is a gap on the node."""
        out = tokens.to_klaviyo(value)
        for token in out.untranslated:
            self.report.error(node.id, f"the token {token} has no Klaviyo equivalent", f"config.{field_name}")
        return out.text


Mapping = Callable[[Context, Node], Fragment]


def action(node: Node, suffix: str, type_: str, data: dict | None) -> dict:
    out: dict[str, Any] = {"temporary_id": node.id + suffix, "type": type_}
    if data is not None:
        out["data"] = data
    return out


def split_action(node: Node, suffix: str, type_: str, data: dict) -> dict:
    # Klaviyo's split links are both required; a branch that ends stays null.
    out = action(node, suffix, type_, data)
    out["links"] = {"next_if_true": None, "next_if_false": None}
    return out


def link(first: dict, second: dict) -> None:
    first.setdefault("links", {})["next"] = second["temporary_id"]


# -- trigger ---------------------------------------------------------------
def _trigger(ctx: Context, node: Node) -> Fragment:
    c = node.config
    ctx.trigger_metric = ctx.metric_id(c["event"])
    trig: dict[str, Any] = {"type": "metric", "id": ctx.trigger_metric}
    if c.get("where"):
        try:
            trig["trigger_filter"] = kc.trigger_filter(c["where"], "property", ctx.trigger_metric)
        except kc.Unsupported as exc:
            ctx.report.error(node.id, f"trigger filter: {exc}", "config.where")
    if c.get("key"):
        ctx.report.warn(node.id, f"Klaviyo runs one journey per profile, not one per {c['key']!r}; "
                        "a second cart while the first is in the flow does not start another", "config.key")
    ctx.trigger = trig
    return Fragment(passthrough="next")


# -- waiting ---------------------------------------------------------------
def delay_data(node: Node, report: Report, duration: Any, until: Any, path: str) -> dict:
    seconds = durations.parse_seconds(duration) if duration else 0.0
    data: dict[str, Any] = {"timezone": "profile"}
    if until:
        if seconds % 86400:
            report.error(node.id, "Klaviyo waits whole days before an until-time; "
                         f"{durations.humanize(duration)} is not whole days", path)
        data.update(unit="days", value=int(seconds // 86400))
        if until.get("time"):
            data["delay_until_time"] = until["time"]
        if until.get("weekdays"):
            data["delay_until_weekdays"] = [WEEKDAY_NAMES[d] for d in until["weekdays"]]
        return data
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds % size == 0:
            data.update(unit=unit, value=int(seconds // size))
            return data
    report.error(node.id, f"Klaviyo delays count whole minutes; {duration} is rounded up", path)
    data.update(unit="minutes", value=int(-(-seconds // 60)))
    return data


def _delay(ctx: Context, node: Node) -> Fragment:
    c = node.config
    duration = c.get("duration")
    until = c.get("until")
    if isinstance(duration, dict):  # the inspector's combined form {"duration": ..., "until": ...}
        duration, until = duration.get("duration"), duration.get("until")
    act = action(node, "", "time-delay", delay_data(node, ctx.report, duration, until, "config.duration"))
    return Fragment([act], {"next": [to(act, "next")]})


def _wait_for(ctx: Context, node: Node) -> Fragment:
    c = node.config
    wait = action(node, "-wait", "time-delay", delay_data(node, ctx.report, c["timeout"], None, "config.timeout"))
    test = {"event": c["event"], "since": "flow_start", "where": c.get("where")}
    try:
        cond = kc.profile_condition(test, ctx.metric_id)
    except kc.Unsupported as exc:
        ctx.report.error(node.id, str(exc), "config.where")
        cond = kc.profile_condition({"event": c["event"], "since": "flow_start"}, ctx.metric_id)
    check = split_action(node, "", "conditional-split", {"profile_filter": kc.groups_of([[cond]])})
    link(wait, check)
    ctx.report.warn(node.id, f"Klaviyo waits the whole {durations.humanize(c['timeout'])} and then checks for "
                    f"{c['event']} since the flow started, rather than moving on the moment it happens")
    return Fragment([wait, check], {"event": [to(check, "next_if_true")], "timeout": [to(check, "next_if_false")]})


# -- splits ----------------------------------------------------------------
def _split(ctx: Context, node: Node) -> Fragment:
    from designer.model.conditions import leaf_tests

    cond = node.config["condition"]
    tests = list(leaf_tests(cond))
    on_trigger = [t for t in tests if "trigger" in t]
    try:
        if on_trigger and len(on_trigger) == len(tests):
            data = {"trigger_filter": kc.trigger_filter(cond, "trigger", ctx.trigger_metric or ""),
                    "trigger_id": ctx.trigger_metric or "", "trigger_type": "metric"}
            act = split_action(node, "", "trigger-split", data)
        else:
            act = split_action(node, "", "conditional-split",
                               {"profile_filter": kc.profile_filter(cond, ctx.metric_id)})
    except kc.Unsupported as exc:
        ctx.report.error(node.id, str(exc), "config.condition")
        act = split_action(node, "", "conditional-split", {"profile_filter": {"condition_groups": []}})
    return Fragment([act], {"yes": [to(act, "next_if_true")], "no": [to(act, "next_if_false")]})


def _ab_split(ctx: Context, node: Node) -> Fragment:
    """Variants as a chain of random-sample splits: each takes its share of those still left."""
    variants = node.config["variants"]
    acts: list[dict] = []
    outs: dict[str, list[Setter]] = {}
    left = 100.0
    for i, v in enumerate(variants[:-1]):
        share = 100.0 * v["percent"] / left if left else 0.0
        if abs(share - round(share)) > 1e-9:
            ctx.report.warn(node.id, f"variant {v['name']!r} gets {round(share)}% of those left "
                            f"(Klaviyo samples whole percentages, {share:.2f}% asked)", f"config.variants[{i}]")
        cond = {"type": "profile-sample", "percentage": int(round(share))}
        act = split_action(node, "" if i == 0 else f"-{i + 1}", "conditional-split",
                           {"profile_filter": kc.groups_of([[cond]])})
        if acts:
            acts[-1]["links"]["next_if_false"] = act["temporary_id"]
        acts.append(act)
        outs[v["name"]] = [to(act, "next_if_true")]
        left -= v["percent"]
    outs[variants[-1]["name"]] = [to(acts[-1], "next_if_false")]
    ctx.report.warn(node.id, "Klaviyo samples at random each time; a customer who enters again may take "
                    "another variant (the backtest keeps each customer on one)")
    return Fragment(acts, outs)


# -- sends -----------------------------------------------------------------
def _smart_sending(ctx: Context) -> bool:
    return bool(ctx.flow.settings.smart_sending)


def _send_email(ctx: Context, node: Node) -> Fragment:
    c = node.config
    message: dict[str, Any] = {
        "subject_line": ctx.text(node, "subject", c.get("subject") or ""),
        "template_id": c.get("klaviyo_template_id") or ctx.refs.template(c["template"]),
        "smart_sending_enabled": _smart_sending(ctx),
        "name": c["template"],
    }
    if c.get("preview_text"):
        message["preview_text"] = ctx.text(node, "preview_text", c["preview_text"])
    if c.get("from_email"):
        message["from_email"] = c["from_email"]
    if c.get("from_name"):
        message["from_label"] = c["from_name"]
    act = action(node, "", "send-email", {"status": DRAFT, "message": message})
    return Fragment([act], {"next": [to(act, "next")]})


def _send_sms(ctx: Context, node: Node) -> Fragment:
    message = {"body": ctx.text(node, "body", node.config["body"]), "smart_sending_enabled": _smart_sending(ctx)}
    act = action(node, "", "send-sms", {"status": DRAFT, "message": message})
    return Fragment([act], {"next": [to(act, "next")]})


def _webhook(ctx: Context, node: Node) -> Fragment:
    c = node.config
    if (c.get("method") or "POST").upper() != "POST":
        ctx.report.error(node.id, f"Klaviyo webhooks always POST; {c['method']} is not available", "config.method")
    message: dict[str, Any] = {"url": c["url"]}
    if c.get("body"):
        message["body"] = ctx.text(node, "body", c["body"])
    act = action(node, "", "send-webhook", {"status": DRAFT, "message": message})
    return Fragment([act], {"next": [to(act, "next")]})


def _profile_operation(key: str, value: Any) -> dict | None:
    kinds = ((bool, "boolean"), ((int, float), "numeric"), (str, "string"))
    for types, name in kinds:
        if isinstance(value, types):
            return {"operator": "update", "property_type": name, "property_key": key, "property_value": value}
    return None


def _update_profile(ctx: Context, node: Node) -> Fragment:
    c = node.config
    acts: list[dict] = []
    ops = []
    for key, value in (c.get("set") or {}).items():
        op = _profile_operation(key, value)
        if op is None:
            ctx.report.error(node.id, f"Klaviyo sets text, numbers or true/false, not {value!r}", f"config.set.{key}")
        else:
            ops.append(op)
    ops += [{"operator": "delete", "property_key": key} for key in c.get("unset") or []]
    if ops:
        acts.append(action(node, "", "update-profile", {"status": DRAFT, "profile_operations": ops}))
    for field_name, adds in (("add_to_list", True), ("remove_from_list", False)):
        if c.get(field_name):
            suffix = "" if not acts else f"-{len(acts) + 1}"
            acts.append(action(node, suffix, "list-update", {
                "name": c[field_name], "on_execution": adds, "list_id": ctx.refs.list(c[field_name]),
                "status": DRAFT}))
    for first, second in zip(acts, acts[1:]):
        link(first, second)
    if not acts:
        return Fragment(passthrough="next")
    return Fragment(acts, {"next": [to(acts[-1], "next")]})


def _exit(ctx: Context, node: Node) -> Fragment:
    return Fragment(passthrough=None)


#: The Klaviyo mapping of every node kind; a kind missing here is reported, never dropped.
MAPPINGS: dict[str, Mapping] = {
    "trigger": _trigger,
    "delay": _delay,
    "wait_for": _wait_for,
    "split": _split,
    "ab_split": _ab_split,
    "send_email": _send_email,
    "send_sms": _send_sms,
    "webhook": _webhook,
    "update_profile": _update_profile,
    "exit": _exit,
}
