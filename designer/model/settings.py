"""Flow-wide settings: who may enter again, when people leave, how sends are gated.

Typed models (pydantic), parsed once from the file, so that the engine and the
publishers read typed values, a broken setting is reported with its JSON path,
and the flow file's JSON Schema describes exactly these fields. The exit rule
is kept in its file form (a condition tree, checked against the condition
models), since the engine and the compilers read that tree.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ValidationError, WithJsonSchema, WrapValidator, model_validator
from pydantic_core import PydanticCustomError

from designer.model import conditions, durations
from designer.model.errors import FlowFormatError
from designer.model.fieldtypes import ClockTime, Duration, FlowModel, Name, problems

REENTRY_MODES = ("always", "never", "cooldown")


class _Positional(FlowModel):
    """Settings parts may be built positionally, like the dataclasses they replaced."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(zip(type(self).model_fields, args))
        super().__init__(**kwargs)


class Reentry(_Positional):
    mode: Literal["always", "never", "cooldown"] = "cooldown"
    cooldown: Duration | None = "P7D"

    @model_validator(mode="after")
    def _cooldown(self) -> "Reentry":
        if self.mode == "cooldown" and self.cooldown is None:
            raise PydanticCustomError("cooldown", "re-entry 'cooldown' needs a cooldown such as 'P7D'")
        if self.mode != "cooldown" and self.cooldown is not None:
            object.__setattr__(self, "cooldown", None)  # only a cooldown mode keeps one
        return self

    def to_json(self) -> dict:
        return {"mode": self.mode, "cooldown": self.cooldown} if self.mode == "cooldown" else {"mode": self.mode}


class QuietHours(_Positional):
    start: ClockTime = "21:00"
    end: ClockTime = "08:00"

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end}


class Conversion(_Positional):
    event: Name = "purchase"
    #: The event property holding the order value; None (or left out of the file) counts
    #: conversions without revenue.
    value: Name | None = None
    window: Duration = "P5D"

    def to_json(self) -> dict:
        out: dict[str, Any] = {"event": self.event, "window": self.window}
        if self.value:
            out["value"] = self.value
        return out


class Consent(_Positional):
    """Profile properties that must be true before a marketing send on each channel."""

    property: Name = "consent"
    sms_property: Name | None = None

    def for_channel(self, channel: str) -> str | None:
        if channel == "sms":
            return self.sms_property or self.property
        return self.property if channel == "email" else None

    def to_json(self) -> dict:
        out = {"property": self.property}
        if self.sms_property:
            out["sms_property"] = self.sms_property
        return out


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def _timezone(name: str) -> str:
    if name not in _zones():
        raise PydanticCustomError("timezone", "{name} is not an IANA timezone name such as 'Europe/Berlin'",
                                  {"name": repr(name[:60])})
    return name


def _file_form(tree: Any, check: Any) -> Any:
    """Check the tree as a condition, and keep it as the file wrote it."""
    check(tree)
    return tree


def _off(value: Any) -> Any:
    return None if value is False else value


Timezone = Annotated[str, AfterValidator(_timezone), WithJsonSchema({"type": "string"})]
#: The exit rule in its file form, checked as a condition.
ExitRule = Annotated[conditions.Condition | None, WrapValidator(_file_form)]
#: Smart sending's window; ``false`` (or null) turns it off.
SmartSending = Annotated[Duration | None, BeforeValidator(_off),
                         WithJsonSchema({"anyOf": [{"type": "string", "pattern": durations.SCHEMA_PATTERN},
                                                   {"const": False}, {"type": "null"}]})]


class Settings(_Positional):
    reentry: Reentry = Reentry()
    exit_when: ExitRule = None
    smart_sending: SmartSending = "PT16H"
    quiet_hours: QuietHours | None = None
    conversion: Conversion = Conversion(value="price")
    consent: Consent | None = Consent()
    #: Timezone for customers whose own is unknown (IANA name).
    timezone: Timezone = "UTC"

    def to_json(self) -> dict:
        out: dict[str, Any] = {"reentry": self.reentry.to_json()}
        if self.exit_when is not None:
            out["exit_when"] = self.exit_when
        if self.smart_sending:
            out["smart_sending"] = self.smart_sending
        if self.quiet_hours is not None:
            out["quiet_hours"] = self.quiet_hours.to_json()
        out["conversion"] = self.conversion.to_json()
        if self.consent is not None:
            out["consent"] = self.consent.to_json()
        out["timezone"] = self.timezone
        return out

    def replace(self, **changes: Any) -> "Settings":
        """A copy with some parts changed, checked like the file's settings."""
        return Settings.model_validate({**dict(self), **changes})


def json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def parse_settings(raw: Any, path: str = "settings") -> Settings:
    """Typed settings from the file's object; missing keys take the defaults."""
    if raw is None:
        return Settings()
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        where, message = problems(exc, path)[0]
        raise FlowFormatError(message, path=where) from None
