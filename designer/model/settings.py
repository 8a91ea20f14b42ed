"""Flow-wide settings: who may enter again, when people leave, how sends are gated.

Parsed strictly from the file, so that the engine and the publishers read
typed values and a broken setting is reported with its JSON path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from designer.model import conditions, durations
from designer.model.errors import FlowFormatError

REENTRY_MODES = ("always", "never", "cooldown")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Reentry:
    mode: str = "cooldown"
    cooldown: str | None = "P7D"

    def to_json(self) -> dict:
        return {"mode": self.mode, "cooldown": self.cooldown} if self.mode == "cooldown" else {"mode": self.mode}


@dataclass(frozen=True)
class QuietHours:
    start: str = "21:00"
    end: str = "08:00"

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end}


@dataclass(frozen=True)
class Conversion:
    event: str = "purchase"
    #: The event property holding the order value; None counts conversions without revenue.
    value: str | None = "price"
    window: str = "P5D"

    def to_json(self) -> dict:
        out: dict[str, Any] = {"event": self.event, "window": self.window}
        if self.value:
            out["value"] = self.value
        return out


@dataclass(frozen=True)
class Consent:
    """Profile properties that must be true before a marketing send on each channel."""

    property: str = "consent"
    sms_property: str | None = None

    def for_channel(self, channel: str) -> str | None:
        if channel == "sms":
            return self.sms_property or self.property
        return self.property if channel == "email" else None

    def to_json(self) -> dict:
        out = {"property": self.property}
        if self.sms_property:
            out["sms_property"] = self.sms_property
        return out


@dataclass(frozen=True)
class Settings:
    reentry: Reentry = field(default_factory=Reentry)
    exit_when: dict | None = None
    smart_sending: str | None = "PT16H"
    quiet_hours: QuietHours | None = None
    conversion: Conversion = field(default_factory=Conversion)
    consent: Consent | None = field(default_factory=Consent)
    #: Timezone for customers whose own is unknown (IANA name).
    timezone: str = "UTC"

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
        return replace(self, **changes)


def _expect(value: Any, kind: type | tuple, path: str, what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise FlowFormatError(f"expected {what}, got {json_type(value)}", path=path)
    return value


def json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__)


def _duration(value: Any, path: str) -> str:
    try:
        durations.parse_seconds(value)
    except durations.DurationError as exc:
        raise FlowFormatError(str(exc), path=path) from None
    return value


def _clock(value: Any, path: str) -> str:
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise FlowFormatError(f"{value!r} is not a time of day like '21:00'", path=path)
    return value


def _known(obj: dict, allowed: set[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            raise FlowFormatError(f"unknown key {key!r}; expected one of {', '.join(sorted(allowed))}",
                                  path=f"{path}.{key}")


def parse_settings(raw: Any, path: str = "settings") -> Settings:
    """Typed settings from the file's object; missing keys take the defaults."""
    if raw is None:
        return Settings()
    _expect(raw, dict, path, "an object")
    _known(raw, {"reentry", "exit_when", "smart_sending", "quiet_hours", "conversion", "consent", "timezone"}, path)
    s = Settings()
    changes: dict[str, Any] = {}
    if "reentry" in raw:
        r = _expect(raw["reentry"], dict, f"{path}.reentry", "an object")
        _known(r, {"mode", "cooldown"}, f"{path}.reentry")
        mode = r.get("mode", "cooldown")
        if mode not in REENTRY_MODES:
            raise FlowFormatError(f"unknown re-entry mode {mode!r}; use always, never or cooldown",
                                  path=f"{path}.reentry.mode")
        cooldown = r.get("cooldown")
        if mode == "cooldown":
            if cooldown is None:
                raise FlowFormatError("re-entry 'cooldown' needs a cooldown such as 'P7D'", path=f"{path}.reentry")
            _duration(cooldown, f"{path}.reentry.cooldown")
        changes["reentry"] = Reentry(mode, cooldown if mode == "cooldown" else None)
    if "exit_when" in raw and raw["exit_when"] is not None:
        problems = conditions.check(raw["exit_when"], f"{path}.exit_when")
        if problems:
            raise FlowFormatError(problems[0][1], path=problems[0][0])
        changes["exit_when"] = raw["exit_when"]
    if "smart_sending" in raw:
        value = raw["smart_sending"]
        changes["smart_sending"] = None if value in (None, False) else _duration(value, f"{path}.smart_sending")
    if "quiet_hours" in raw:
        q = raw["quiet_hours"]
        if q is None:
            changes["quiet_hours"] = None
        else:
            _expect(q, dict, f"{path}.quiet_hours", "an object")
            _known(q, {"start", "end"}, f"{path}.quiet_hours")
            changes["quiet_hours"] = QuietHours(_clock(q.get("start"), f"{path}.quiet_hours.start"),
                                                _clock(q.get("end"), f"{path}.quiet_hours.end"))
    if "conversion" in raw:
        c = _expect(raw["conversion"], dict, f"{path}.conversion", "an object")
        _known(c, {"event", "value", "window"}, f"{path}.conversion")
        event = _expect(c.get("event", "purchase"), str, f"{path}.conversion.event", "an event name")
        value = c.get("value")
        if value is not None:
            _expect(value, str, f"{path}.conversion.value", "a property name")
        window = _duration(c.get("window", "P5D"), f"{path}.conversion.window")
        changes["conversion"] = Conversion(event, value, window)
    if "consent" in raw:
        c = raw["consent"]
        if c is None:
            changes["consent"] = None
        else:
            _expect(c, dict, f"{path}.consent", "an object")
            _known(c, {"property", "sms_property"}, f"{path}.consent")
            prop = _expect(c.get("property"), str, f"{path}.consent.property", "a profile property name")
            sms = c.get("sms_property")
            if sms is not None:
                _expect(sms, str, f"{path}.consent.sms_property", "a profile property name")
            changes["consent"] = Consent(prop, sms)
    if "timezone" in raw:
        changes["timezone"] = _expect(raw["timezone"], str, f"{path}.timezone", "an IANA timezone name")
    return replace(s, **changes)
