"""The node kinds: what each does, its output ports and its config fields.

One registry serves the palette (label, description, icon, colour), the
inspector (typed fields with defaults), the validator (ports, required config)
and the engine (which kinds send). Adding a kind means adding one entry here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from designer.model import conditions, durations

#: The canonical event vocabulary; importers map a dataset's own names onto it.
CANONICAL_EVENTS = (
    "view", "add_to_cart", "remove_from_cart", "checkout_started", "purchase",
    "signup", "email_open", "email_click",
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Field:
    """One config entry of a kind, typed so the inspector knows which editor to show.

    Types: ``event`` (event name), ``text``, ``multiline``, ``duration``,
    ``delay`` (a duration or an until-time), ``condition``, ``filter``,
    ``variants``, ``properties`` (name -> value), ``names`` (list of names), ``url``.
    """

    name: str
    type: str
    label: str
    default: Any = None
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class NodeKind:
    name: str
    label: str
    description: str
    color: str
    fields: tuple[Field, ...] = ()
    ports: tuple[str, ...] = ("next",)
    #: The message channel for send kinds ("email", "sms", "webhook"), else None.
    channel: str | None = None
    #: Whether a send is marketing, and so gated by consent and smart sending.
    marketing: bool = False
    dynamic_ports: Callable[[dict], tuple[str, ...]] | None = field(default=None, compare=False)

    def output_ports(self, config: dict) -> tuple[str, ...]:
        if self.dynamic_ports is not None:
            return self.dynamic_ports(config)
        return self.ports

    def default_config(self) -> dict:
        return {f.name: _copy(f.default) for f in self.fields if f.default is not None}

    @property
    def icon(self) -> str:
        return f"{self.name}.svg"


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def variant_ports(config: dict) -> tuple[str, ...]:
    variants = config.get("variants")
    if not isinstance(variants, list):
        return ()
    return tuple(v["name"] for v in variants if isinstance(v, dict) and isinstance(v.get("name"), str))


KINDS: dict[str, NodeKind] = {k.name: k for k in (
    NodeKind("trigger", "Trigger", "Starts a journey when a customer does something", "#6c5ce7", (
        Field("event", "event", "Event", "add_to_cart", True, "The event that starts the flow"),
        Field("where", "filter", "Only when", None, False, "Filter on the event's properties"),
        Field("key", "text", "One journey per", None, False, "Event property that keys journeys, e.g. cart_id"),
    )),
    NodeKind("delay", "Delay", "Waits a fixed time or until a time of day", "#0984e3", (
        Field("duration", "delay", "Wait", "PT1H", False, "How long to wait, or until a local time"),
    )),
    NodeKind("wait_for", "Wait for event", "Waits for an event, or gives up after a timeout", "#00a8a8", (
        Field("event", "event", "Event", "purchase", True),
        Field("where", "filter", "Only when", None),
        Field("timeout", "duration", "Give up after", "P1D", True),
    ), ports=("event", "timeout")),
    NodeKind("split", "Conditional split", "Sends customers down yes or no", "#e17055", (
        Field("condition", "condition", "Condition", {"event": "purchase", "since": "flow_start"}, True),
    ), ports=("yes", "no")),
    NodeKind("ab_split", "A/B split", "Divides customers at random between variants", "#fdcb6e", (
        Field("variants", "variants", "Variants",
              [{"name": "A", "percent": 50}, {"name": "B", "percent": 50}], True),
    ), ports=(), dynamic_ports=variant_ports),
    NodeKind("send_email", "Send email", "Sends an email from a template", "#00b894", (
        Field("template", "text", "Template", "", True),
        Field("subject", "text", "Subject", "", True),
        Field("preview_text", "text", "Preview text"),
        Field("from_email", "text", "From address"),
        Field("from_name", "text", "From name"),
    ), channel="email", marketing=True),
    NodeKind("send_sms", "Send SMS", "Sends a text message", "#55a630", (
        Field("body", "multiline", "Message", "", True),
    ), channel="sms", marketing=True),
    NodeKind("webhook", "Webhook", "Calls a URL with the customer's data", "#636e72", (
        Field("url", "url", "URL", "https://", True),
        Field("method", "text", "Method", "POST"),
        Field("body", "multiline", "Body"),
    ), channel="webhook"),
    NodeKind("update_profile", "Update profile", "Sets properties or changes list membership", "#a29bfe", (
        Field("set", "properties", "Set properties"),
        Field("unset", "names", "Remove properties"),
        Field("add_to_list", "text", "Add to list"),
        Field("remove_from_list", "text", "Remove from list"),
    )),
    NodeKind("exit", "Exit", "Ends the journey", "#d63031", (), ports=()),
)}

#: Config key naming output ports that end the journey on purpose (no warning).
END_PORTS_KEY = "end_ports"


def kind(name: str) -> NodeKind | None:
    return KINDS.get(name)


def check_config(kind_name: str, config: dict) -> list[tuple[str, str]]:
    """Problems in a node's config as (path within config, message) pairs."""
    spec = KINDS.get(kind_name)
    if spec is None:
        return [("kind", f"unknown node kind {kind_name!r}; known kinds: {', '.join(KINDS)}")]
    out: list[tuple[str, str]] = []
    for f in spec.fields:
        value = config.get(f.name)
        if value is None or value == "":
            if f.required:
                out.append((f.name, f"{f.label.lower()} is required"))
            continue
        out.extend(_check_field(f, value))
    if kind_name == "delay" and config.get("duration") in (None, "") and config.get("until") is None:
        out.append(("duration", "a delay needs a duration or an until-time"))
    if kind_name == "delay" and config.get("until") is not None:
        out.extend(_check_until(config["until"]))
    ends = config.get(END_PORTS_KEY)
    if ends is not None and (not isinstance(ends, list) or any(p not in spec.output_ports(config) for p in ends)):
        out.append((END_PORTS_KEY, f"must list output ports of this node: {', '.join(spec.output_ports(config))}"))
    return out


def _check_field(f: Field, value: Any) -> list[tuple[str, str]]:
    if f.type in ("duration", "delay"):
        try:
            durations.parse_seconds(value)
        except durations.DurationError as exc:
            return [(f.name, str(exc))]
        return []
    if f.type == "event":
        return [] if isinstance(value, str) and value.strip() else [(f.name, "needs an event name")]
    if f.type in ("condition", "filter"):
        return [(p, m) for p, m in conditions.check(value, f.name, filter_only=f.type == "filter")]
    if f.type == "variants":
        return _check_variants(value)
    if f.type == "properties":
        return [] if isinstance(value, dict) else [(f.name, "expected an object of property names to values")]
    if f.type == "names":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return [] if ok else [(f.name, "expected a list of property names")]
    if f.type == "url":
        ok = isinstance(value, str) and re.match(r"^https?://[^\s/]+", value)
        return [] if ok else [(f.name, f"{value!r} is not an http(s) URL")]
    return [] if isinstance(value, str) else [(f.name, f"expected text, got {type(value).__name__}")]


def _check_variants(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list) or len(value) < 2:
        return [("variants", "an A/B split needs at least two variants")]
    out, names, total = [], set(), 0.0
    for i, v in enumerate(value):
        if not isinstance(v, dict) or not isinstance(v.get("name"), str) or not v["name"]:
            out.append((f"variants[{i}].name", "each variant needs a name"))
            continue
        if v["name"] in names:
            out.append((f"variants[{i}].name", f"variant name {v['name']!r} is used twice"))
        names.add(v["name"])
        pct = v.get("percent")
        if not isinstance(pct, (int, float)) or isinstance(pct, bool) or not 0 <= pct <= 100:
            out.append((f"variants[{i}].percent", "percent must be a number from 0 to 100"))
        else:
            total += pct
    if not out and abs(total - 100) > 1e-6:
        out.append(("variants", f"percentages add up to {total:g}, not 100"))
    return out


def _check_until(until: Any) -> list[tuple[str, str]]:
    if not isinstance(until, dict):
        return [("until", "expected {\"time\": \"HH:MM\", \"weekdays\": [...]}")]
    out = []
    time = until.get("time")
    if time is not None and not (isinstance(time, str) and _TIME.match(time)):
        out.append(("until.time", f"{time!r} is not a time of day like '09:00'"))
    days = until.get("weekdays")
    if days is not None and (not isinstance(days, list) or not days or any(d not in WEEKDAYS for d in days)):
        out.append(("until.weekdays", f"weekdays are a non-empty list of {', '.join(WEEKDAYS)}"))
    if time is None and days is None:
        out.append(("until", "give a time of day, weekdays, or both"))
    return out


def summary(kind_name: str, config: dict) -> str:
    """One line for the card: 'wait 1 h', 'purchase since entry?'."""
    c = config
    if kind_name == "trigger":
        key = f" per {c['key']}" if c.get("key") else ""
        where = f" where {conditions.describe(c['where'])}" if c.get("where") else ""
        return f"when {c.get('event') or '?'}{where}{key}"
    if kind_name == "delay":
        if c.get("until"):
            u = c["until"] if isinstance(c["until"], dict) else {}
            days = ",".join(u.get("weekdays") or []) if isinstance(u.get("weekdays"), list) else ""
            return "until " + " ".join(x for x in (u.get("time"), days) if x)
        return f"wait {durations.humanize(c.get('duration'))}"
    if kind_name == "wait_for":
        return f"{c.get('event') or '?'} within {durations.humanize(c.get('timeout'))}"
    if kind_name == "split":
        return f"{conditions.describe(c.get('condition'))}?"
    if kind_name == "ab_split":
        vs = c.get("variants") if isinstance(c.get("variants"), list) else []
        return " / ".join(f"{v.get('name')} {v.get('percent')}%" for v in vs if isinstance(v, dict))
    if kind_name == "send_email":
        return str(c.get("subject") or c.get("template") or "")
    if kind_name == "send_sms":
        return str(c.get("body") or "")
    if kind_name == "webhook":
        return f"{c.get('method') or 'POST'} {c.get('url') or ''}"
    if kind_name == "update_profile":
        parts = [f"{k} = {v}" for k, v in (c.get("set") or {}).items()] if isinstance(c.get("set"), dict) else []
        parts += [f"unset {k}" for k in c.get("unset") or []] if isinstance(c.get("unset"), list) else []
        parts += [f"+ {c['add_to_list']}"] if c.get("add_to_list") else []
        parts += [f"- {c['remove_from_list']}"] if c.get("remove_from_list") else []
        return ", ".join(map(str, parts))
    if kind_name == "exit":
        return "end of journey"
    return ""
