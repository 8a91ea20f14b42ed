"""Every node kind, one block each: its config model, card line and palette entry.

A new kind, or a new field on a kind, is edited here (plus its behaviour in
the engine). Field metadata (``Editor``) tells the inspector which editor
shows the field, its caption and help, and what a new node starts with.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from designer.model import conditions, durations
from designer.model.conditions import Condition, Filter
from designer.model.fieldtypes import ClockTime, Duration, Editor, Filled, FlowModel, JsonValue, Name, Url, Weekday
from designer.model.kind import Kind, NodeConfig


def _where(where: Any) -> str:
    return f" where {conditions.describe(where.to_json())}" if where is not None else ""


# -- trigger -----------------------------------------------------------------------------
class TriggerConfig(NodeConfig):
    event: Annotated[Name, Editor("event", "Event", "The event that starts the flow", "add_to_cart")]
    where: Annotated[Filter | None, Editor("filter", "Only when", "Filter on the event's properties")] = None
    key: Annotated[Name | None, Editor("text", "One journey per",
                                       "Event property that keys journeys, e.g. cart_id")] = None


def _trigger_summary(c: TriggerConfig) -> str:
    key = f" per {c.key}" if c.key else ""
    return f"when {c.event or '?'}{_where(c.where)}{key}"


TRIGGER = Kind("trigger", "Trigger", "Starts a journey when a customer does something", "#6c5ce7",
               TriggerConfig, _trigger_summary)


# -- delay --------------------------------------------------------------------------------
class Until(FlowModel):
    """A local time of day and/or weekdays, in the customer's timezone."""

    time: ClockTime | None = None
    weekdays: Annotated[list[Weekday], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _something(self) -> "Until":
        if self.time is None and self.weekdays is None:
            raise PydanticCustomError("until", "give a time of day, weekdays, or both")
        return self


class DelayConfig(NodeConfig):
    """Wait ``duration``, then (if set) until the next ``until``: both may be set ("wait 3 d, then until 10:00")."""

    whole_config_field: ClassVar[str] = "duration"

    duration: Annotated[Duration | None, Editor("optional_duration", "Wait", "How long to wait", "PT1H")] = None
    until: Annotated[Until | None, Editor("until", "Then until",
                                          "Release people at a local time of day and/or on weekdays")] = None

    @model_validator(mode="after")
    def _something(self) -> "DelayConfig":
        if self.duration is None and self.until is None:
            raise PydanticCustomError("delay", "a delay needs a duration or an until-time")
        return self


def _until_text(u: Until) -> str:
    return "until " + " ".join(x for x in (u.time, ",".join(u.weekdays or ())) if x)


def _delay_summary(c: DelayConfig) -> str:
    parts = []
    if c.duration is not None:
        parts.append(f"wait {durations.humanize(c.duration)}")
    if c.until is not None:
        parts.append(("then " if parts else "") + _until_text(c.until))
    return ", ".join(parts)


DELAY = Kind("delay", "Delay", "Waits a fixed time and/or until a time of day", "#0984e3", DelayConfig, _delay_summary,
             holds_at_most=lambda c: durations.parse_seconds(c.duration) if c.duration else 0.0)


# -- wait for an event ---------------------------------------------------------------------
class WaitForConfig(NodeConfig):
    event: Annotated[Name, Editor("event", "Event", "", "purchase")]
    where: Annotated[Filter | None, Editor("filter", "Only when")] = None
    timeout: Annotated[Duration, Editor("duration", "Give up after", "", "P1D")]


WAIT_FOR = Kind("wait_for", "Wait for event", "Waits for an event, or gives up after a timeout", "#00a8a8",
                WaitForConfig, lambda c: f"{c.event or '?'} within {durations.humanize(c.timeout)}",
                ports=("event", "timeout"), branching=True,
                holds_at_most=lambda c: durations.parse_seconds(c.timeout))


# -- conditional split -----------------------------------------------------------------------
class SplitConfig(NodeConfig):
    condition: Annotated[Condition, Editor("condition", "Condition", "",
                                           {"event": "purchase", "since": "flow_start"})]


SPLIT = Kind("split", "Conditional split", "Sends customers down yes or no", "#e17055", SplitConfig,
             lambda c: f"{conditions.describe(c.condition.to_json() if c.condition is not None else None)}?",
             ports=("yes", "no"), branching=True)


# -- A/B split --------------------------------------------------------------------------------
class Variant(FlowModel):
    name: Name
    percent: Annotated[float, Field(ge=0, le=100)]


class ABSplitConfig(NodeConfig):
    whole_config_field: ClassVar[str] = "variants"
    variants: Annotated[list[Variant], Editor("variants", "Variants", "",
                                              [{"name": "A", "percent": 50}, {"name": "B", "percent": 50}])]

    @model_validator(mode="after")
    def _shares(self) -> "ABSplitConfig":
        if len(self.variants) < 2:
            raise PydanticCustomError("variants", "an A/B split needs at least two variants")
        seen: set[str] = set()
        twice = next((v.name for v in self.variants if v.name in seen or seen.add(v.name)), None)
        if twice is not None:
            raise PydanticCustomError("variants", "variant name {name} is used twice", {"name": repr(twice)})
        total = sum(v.percent for v in self.variants)
        if abs(total - 100) > 1e-6:
            raise PydanticCustomError("variants", "percentages add up to {total}, not 100", {"total": f"{total:g}"})
        return self


def variant_ports(config: dict) -> tuple[str, ...]:
    """An A/B split's ports are its variant names (read from the file form, so a split whose
    percentages do not add up yet keeps its ports)."""
    variants = config.get("variants") if isinstance(config, dict) else None
    if not isinstance(variants, list):
        return ()
    return tuple(v["name"] for v in variants if isinstance(v, dict) and isinstance(v.get("name"), str))


def _ab_summary(c: ABSplitConfig) -> str:
    return " / ".join(f"{v.name} {v.percent:g}%" for v in c.variants or ())


AB_SPLIT = Kind("ab_split", "A/B split", "Divides customers at random between variants", "#fdcb6e",
                ABSplitConfig, _ab_summary, ports=(), ports_of=variant_ports, branching=True)


# -- sends ------------------------------------------------------------------------------------
class SendEmailConfig(NodeConfig):
    template: Annotated[Filled, Editor("text", "Template", "", "")]
    subject: Annotated[Filled, Editor("text", "Subject", "", "")]
    preview_text: Annotated[str | None, Editor("text", "Preview text")] = None
    from_email: Annotated[str | None, Editor("text", "From address")] = None
    from_name: Annotated[str | None, Editor("text", "From name")] = None
    #: The Klaviyo template a published or pulled flow's email uses, so a republish reuses it.
    klaviyo_template_id: Annotated[str | None, Editor("text", "Klaviyo template id")] = None


SEND_EMAIL = Kind("send_email", "Send email", "Sends an email from a template", "#00b894", SendEmailConfig,
                  lambda c: str(c.subject or c.template or ""), channel="email", marketing=True)


class SendSmsConfig(NodeConfig):
    body: Annotated[Filled, Editor("multiline", "Message", "", "")]


SEND_SMS = Kind("send_sms", "Send SMS", "Sends a text message", "#55a630", SendSmsConfig,
                lambda c: str(c.body or ""), channel="sms", marketing=True)


class WebhookConfig(NodeConfig):
    url: Annotated[Url, Editor("url", "URL", "", "https://")]
    method: Annotated[str | None, Editor("text", "Method", "", "POST")] = None
    body: Annotated[str | None, Editor("multiline", "Body")] = None


WEBHOOK = Kind("webhook", "Webhook", "Calls a URL with the customer's data", "#636e72", WebhookConfig,
               lambda c: f"{c.method or 'POST'} {c.url or ''}", channel="webhook")


# -- profile updates and the end ----------------------------------------------------------------
class UpdateProfileConfig(NodeConfig):
    set: Annotated[dict[Name, JsonValue] | None, Editor("properties", "Set properties")] = None
    unset: Annotated[list[Name] | None, Editor("names", "Remove properties")] = None
    add_to_list: Annotated[Name | None, Editor("text", "Add to list")] = None
    remove_from_list: Annotated[Name | None, Editor("text", "Remove from list")] = None


def _update_summary(c: UpdateProfileConfig) -> str:
    parts = [f"{k} = {v}" for k, v in (c.set or {}).items()]
    parts += [f"unset {k}" for k in c.unset or ()]
    parts += [f"+ {c.add_to_list}"] if c.add_to_list else []
    parts += [f"- {c.remove_from_list}"] if c.remove_from_list else []
    return ", ".join(map(str, parts))


UPDATE_PROFILE = Kind("update_profile", "Update profile", "Sets properties or changes list membership", "#a29bfe",
                      UpdateProfileConfig, _update_summary)


class ExitConfig(NodeConfig):
    pass


EXIT = Kind("exit", "Exit", "Ends the journey", "#d63031", ExitConfig, lambda c: "end of journey", ports=())

#: Every kind, in palette order.
ALL: tuple[Kind, ...] = (TRIGGER, DELAY, WAIT_FOR, SPLIT, AB_SPLIT, SEND_EMAIL, SEND_SMS, WEBHOOK,
                         UPDATE_PROFILE, EXIT)
