"""A live Klaviyo flow translated back into our model, to backtest and improve.

Metric ids become event names through the same mapping the compiler uses;
the flow filter becomes the exit condition and consent; each action becomes a
node by its type's translator (one dict keyed by Klaviyo action type). Subjects
and template ids stay in the send's config, so publishing the improved flow
reuses the templates. An action that does not translate is reported, written
into the flow's description as a note, and its path followed through its
first link; nothing is dropped silently. Layout is computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from designer.model.flow import Edge, Flow, Node
from designer.model.layout import layout
from designer.model.settings import Consent, Reentry, Settings
from designer.publish import tokens
from designer.publish.klaviyo.conditions_back import Untranslatable, tree
from designer.publish.metrics import MetricNames
from designer.publish.record import flow_hash, now_iso
from designer.publish.report import Report

TARGET = "klaviyo"
WEEKDAY_BACK = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
                "saturday": "sat", "sunday": "sun"}


@dataclass
class Account:
    """What ids mean in the account: metric, template and list names by id."""

    metrics: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    lists: dict[str, str] = field(default_factory=dict)


@dataclass
class _Pull:
    account: Account
    names: MetricNames
    report: Report
    notes: list[str] = field(default_factory=list)
    #: Whether any send had Klaviyo's smart sending switched off.
    smart_sending_off: bool = False

    def event_of(self, metric_id: str) -> str:
        name = self.account.metrics.get(metric_id)
        if name is None:
            self.report.warn(None, f"metric id {metric_id} is not in the account's metric list; kept as the event name")
            return metric_id
        return self.names.event(name)


#: What one action becomes: (kind, config, {our port: the Klaviyo link key it follows}).
Translation = tuple[str, dict, dict[str, str]]
Translator = Callable[[_Pull, dict], Translation]


def _delay(p: _Pull, a: dict) -> Translation:
    d = a.get("data") or {}
    value, unit = int(d.get("value", 0)), d.get("unit", "days")
    iso = {"days": f"P{value}D", "hours": f"PT{value}H", "minutes": f"PT{value}M"}[unit]
    config: dict[str, Any] = {}
    until = {}
    if d.get("delay_until_time"):
        until["time"] = str(d["delay_until_time"])[:5]
    if d.get("delay_until_weekdays"):
        until["weekdays"] = [WEEKDAY_BACK[w] for w in d["delay_until_weekdays"]]
    if value or not until:
        config["duration"] = iso
    if until:
        config["until"] = until
    return "delay", config, {"next": "next"}


def _split(p: _Pull, a: dict) -> Translation:
    groups = ((a.get("data") or {}).get("profile_filter") or {}).get("condition_groups") or []
    conds = [c for g in groups for c in g.get("conditions", [])]
    if len(conds) == 1 and conds[0].get("type") == "profile-sample":
        pct = int(conds[0]["percentage"])
        return ("ab_split", {"variants": [{"name": "A", "percent": pct}, {"name": "B", "percent": 100 - pct}]},
                {"A": "next_if_true", "B": "next_if_false"})
    return "split", {"condition": tree(groups, p.event_of)}, {"yes": "next_if_true", "no": "next_if_false"}


def _trigger_split(p: _Pull, a: dict) -> Translation:
    groups = ((a.get("data") or {}).get("trigger_filter") or {}).get("condition_groups") or []
    return "split", {"condition": tree(groups, p.event_of)}, {"yes": "next_if_true", "no": "next_if_false"}


def _email(p: _Pull, a: dict) -> Translation:
    m = (a.get("data") or {}).get("message") or {}
    p.smart_sending_off |= m.get("smart_sending_enabled") is False
    tid = m.get("template_id")
    config: dict[str, Any] = {"template": p.account.templates.get(tid, tid or ""),
                              "subject": tokens.from_klaviyo(m.get("subject_line") or "")}
    if tid:
        config["klaviyo_template_id"] = tid
    for ours, theirs in (("preview_text", "preview_text"), ("from_email", "from_email"), ("from_name", "from_label")):
        if m.get(theirs):
            config[ours] = tokens.from_klaviyo(m[theirs]) if ours == "preview_text" else m[theirs]
    return "send_email", config, {"next": "next"}


def _sms(p: _Pull, a: dict) -> Translation:
    m = (a.get("data") or {}).get("message") or {}
    return "send_sms", {"body": tokens.from_klaviyo(m.get("body") or "")}, {"next": "next"}


def _webhook(p: _Pull, a: dict) -> Translation:
    m = (a.get("data") or {}).get("message") or {}
    config = {"url": m.get("url") or "", "method": "POST"}
    if m.get("body"):
        config["body"] = tokens.from_klaviyo(m["body"])
    return "webhook", config, {"next": "next"}


def _update_profile(p: _Pull, a: dict) -> Translation:
    sets, unsets = {}, []
    for op in (a.get("data") or {}).get("profile_operations") or []:
        if op.get("operator") == "delete":
            unsets.append(op["property_key"])
        else:
            sets[op["property_key"]] = op.get("property_value")
    config: dict[str, Any] = {}
    if sets:
        config["set"] = sets
    if unsets:
        config["unset"] = unsets
    return "update_profile", config, {"next": "next"}


def _list_update(p: _Pull, a: dict) -> Translation:
    d = a.get("data") or {}
    name = p.account.lists.get(d.get("list_id"), d.get("name") or d.get("list_id") or "")
    key = "add_to_list" if d.get("on_execution", True) else "remove_from_list"
    return "update_profile", {key: name}, {"next": "next"}


#: Klaviyo action type -> its translator; a type missing here is reported and noted.
TRANSLATORS: dict[str, Translator] = {
    "time-delay": _delay,
    "conditional-split": _split,
    "trigger-split": _trigger_split,
    "send-email": _email,
    "send-sms": _sms,
    "send-webhook": _webhook,
    "update-profile": _update_profile,
    "list-update": _list_update,
}


def translate(resource: dict, account: Account, names: MetricNames | None = None) -> tuple[Flow, Report]:
    """A Klaviyo flow resource (``GET /api/flows/{id}`` with its definition) as our Flow."""
    p = _Pull(account, names or MetricNames(), Report(TARGET))
    attrs = resource.get("attributes") or {}
    definition = attrs.get("definition") or {}
    flow = Flow(_slug(attrs.get("name") or resource.get("id") or "pulled"), attrs.get("name") or "Pulled flow",
                _settings(p, definition))
    nodes: list[Node] = []
    edges: list[Edge] = []
    trigger = _trigger(p, (definition.get("triggers") or [{}])[0])
    nodes.append(Node("n1", "trigger", config=trigger))
    actions = {str(a.get("id") or a.get("temporary_id")): a for a in definition.get("actions") or []}
    node_of: dict[str, str] = {}
    ids: dict[str, str] = {}

    def visit(action_id: str | None) -> str | None:
        if action_id is None or action_id not in actions:
            return None
        if action_id in node_of:
            return node_of[action_id]
        a = actions[action_id]
        links = a.get("links") or {}
        translator = TRANSLATORS.get(a.get("type"))
        try:
            if translator is None:
                raise Untranslatable(f"the action type {a.get('type')!r}")
            kind, config, ports = translator(p, a)
        except (Untranslatable, KeyError) as exc:
            follows = "next" if "next" in links else "next_if_true"
            note = f"Klaviyo action {action_id} ({a.get('type')}) not translated: {exc}; its path via {follows} is kept"
            p.report.error(None, note)
            p.notes.append(note)
            node_of[action_id] = None  # type: ignore[assignment]
            target = visit(links.get(follows))
            node_of[action_id] = target  # type: ignore[assignment]
            return target
        nid = f"n{len(nodes) + 1}"
        nodes.append(Node(nid, kind, config=config))
        node_of[action_id] = nid
        ids[nid] = action_id
        for port, key in ports.items():
            target = visit(links.get(key))
            if target is None and key != "next":
                target = f"n{len(nodes) + 1}"
                nodes.append(Node(target, "exit"))
            if target is not None:
                edges.append(Edge(nid, target, port))
        return nid

    first = visit(definition.get("entry_action_id"))
    if first is not None:
        edges.append(Edge("n1", first, "next"))
    rank = {n.id: i for i, n in enumerate(nodes)}
    edges.sort(key=lambda e: (rank[e.source], nodes[rank[e.source]].output_ports().index(e.port)
                              if e.port in nodes[rank[e.source]].output_ports() else 0))
    flow.load_parts(nodes, edges)
    if p.smart_sending_off:
        flow.settings = flow.settings.replace(smart_sending=None)
    for nid, (x, y) in layout(flow).items():
        flow.nodes[nid].x, flow.nodes[nid].y = x, y
    if p.notes:
        flow.description = "Notes from the pull:\n" + "\n".join(f"- {n}" for n in p.notes)
    flow.publish[TARGET] = {"remote_id": resource.get("id"), "name": flow.name, "version": 1,
                            "pulled_at": now_iso(), "live": attrs.get("status") == "live",
                            "actions": ids, "flow_hash": flow_hash(flow)}
    return flow, p.report


def _trigger(p: _Pull, trig: dict) -> dict:
    if trig.get("type") != "metric":
        p.report.error("n1", f"a {trig.get('type')} trigger has no counterpart; the flow starts on 'signup'")
        p.notes.append(f"Klaviyo trigger {trig} replaced by the signup event")
        return {"event": "signup"}
    config: dict[str, Any] = {"event": p.event_of(trig.get("id") or "")}
    groups = (trig.get("trigger_filter") or {}).get("condition_groups")
    if groups:
        try:
            where = tree(groups, p.event_of)
            config["where"] = _rekey(where)
        except Untranslatable as exc:
            p.report.error("n1", f"trigger filter not translated: {exc}")
    return config


def _rekey(cond: dict) -> dict:
    """Trigger-property tests read as the trigger's own filter (``property`` leaves)."""
    if "trigger" in cond:
        out = dict(cond)
        out["property"] = out.pop("trigger")
        return out
    return {k: ([_rekey(c) for c in v] if isinstance(v, list) else _rekey(v) if isinstance(v, dict) else v)
            for k, v in cond.items()}


def _settings(p: _Pull, definition: dict) -> Settings:
    consent = None
    exit_groups = []
    for g in (definition.get("profile_filter") or {}).get("condition_groups") or []:
        conds = g.get("conditions") or []
        if len(conds) == 1 and conds[0].get("type") == "profile-marketing-consent":
            consent = Consent()
        else:
            exit_groups.append(g)
    exit_when = None
    if exit_groups:
        try:
            exit_when = tree(exit_groups, p.event_of, negated=True)
        except Untranslatable as exc:
            p.report.error(None, f"flow filter not translated: {exc}")
    r = definition.get("reentry_criteria") or {}
    if r.get("unit") == "alltime":
        reentry = Reentry("never" if r.get("duration") else "always", None)
    elif r.get("unit") in ("hour", "day", "week"):
        n = int(r["duration"])
        reentry = Reentry("cooldown", {"hour": f"PT{n}H", "day": f"P{n}D", "week": f"P{n}W"}[r["unit"]])
    else:
        reentry = Reentry("always", None)
    return Settings(reentry=reentry, exit_when=exit_when, quiet_hours=None, consent=consent)


def _slug(name: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in name).strip("-")
    while "--" in out:
        out = out.replace("--", "-")
    return out or "pulled"
