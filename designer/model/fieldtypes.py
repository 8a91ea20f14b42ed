"""The value types flow files are made of, as pydantic types with their JSON Schema.

Every typed model of the flow (node configs, settings, conditions) is built
from these, so a duration or a time of day is checked, described and
published in the schema the same way wherever it appears. Models are strict
(no "5" -> 5 coercion) and refuse unknown keys, so what the validator accepts
is what the published schema describes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from designer.model import bounds, durations

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
URL_PATTERN = r"^https?://[^\s/]+"
_CLOCK, _URL = re.compile(CLOCK_PATTERN), re.compile(URL_PATTERN)


class FlowModel(BaseModel):
    """Base of every typed part of a flow: strict, no unknown keys, immutable."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False,
                              hide_input_in_errors=True)

    def to_json(self) -> dict:
        """The file form: the keys the file had (defaults that were not written stay unwritten)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


@dataclass(frozen=True, eq=False)
class Editor:
    """Inspector metadata on a config field: which editor shows it, its caption and help."""

    type: str
    label: str
    help: str = ""
    #: What a new node starts with (None: the field starts unset).
    initial: Any = None


def _duration(value: str) -> str:
    try:
        durations.parse_seconds(value)
    except durations.DurationError as exc:
        raise PydanticCustomError("duration", str(exc)) from None
    return value


def _clock(value: str) -> str:
    if not _CLOCK.match(value) or value.endswith("\n"):  # "$" would let a final newline through
        raise PydanticCustomError("clock", "{value} is not a time of day like '09:00'", {"value": repr(value)})
    return value


def _name(value: str) -> str:
    if value == "":
        raise PydanticCustomError("required", "is required")
    if not value.strip():
        raise PydanticCustomError("name", "needs a name, not blank text")
    return value


def _url(value: str) -> str:
    if not _URL.match(value):
        raise PydanticCustomError("url", "{value} is not an http(s) URL", {"value": repr(value[:80])})
    return value


def _filled(value: str) -> str:
    if value == "":
        raise PydanticCustomError("required", "is required")
    return value


#: An ISO 8601 duration, at most 100 years ("PT1H", "P3D").
Duration = Annotated[str, AfterValidator(_duration), WithJsonSchema(
    {"type": "string", "pattern": durations.SCHEMA_PATTERN,
     "description": "ISO 8601 duration in weeks, days, hours, minutes, seconds (at most 100 years)"})]
#: A local time of day, "HH:MM".
ClockTime = Annotated[str, AfterValidator(_clock), WithJsonSchema(
    {"type": "string", "pattern": CLOCK_PATTERN, "description": "local time of day, HH:MM"})]
#: An event or property name: text that is not blank.
Name = Annotated[str, AfterValidator(_name), WithJsonSchema({"type": "string", "pattern": r"\S"})]
#: Text that must not be empty.
Filled = Annotated[str, AfterValidator(_filled), WithJsonSchema({"type": "string", "minLength": 1})]
Url = Annotated[str, AfterValidator(_url), WithJsonSchema({"type": "string", "pattern": URL_PATTERN})]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
def _bounded(value: Any) -> Any:
    try:
        bounds.check(value, "", bounds.MAX_DEPTH - VALUE_DEPTH)
    except bounds.BoundsError as exc:
        where = f" (at {exc.path})" if exc.path and exc.path != "$" else ""
        raise PydanticCustomError("bounds", "{message}{where}", {"message": exc.message, "where": where}) from None
    return value


#: How deep a free-form value (a condition's value, a property to set) may nest.
VALUE_DEPTH = 16
#: Any JSON value, within the size limits of ``bounds`` and nested at most VALUE_DEPTH deep.
JsonValue = Annotated[Any, AfterValidator(_bounded), WithJsonSchema({})]
#: A whole number within the signed 64-bit range.
Int64 = Annotated[int, Field(ge=bounds.INT_MIN, le=bounds.INT_MAX)]


def _path(loc: tuple, base: str) -> str:
    out = base
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _TAGS or part == "[key]":
            continue  # a union member's tag, not a key of the file
        elif str(part).isidentifier():
            out = f"{out}.{part}" if out else str(part)
        else:
            out += f"[{json.dumps(part)}]"
    return out


def problems(exc: ValidationError, base: str = "", labels: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """A pydantic error as (JSON path, message) pairs in the product's words."""
    out = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and (p in _TAGS or p == "[key]")))
        path = _path(loc, base)
        out.append((path, message(err, labels or {}, loc)))
    return list(dict.fromkeys(out))


#: Union tags pydantic puts in error locations (see conditions.py); not keys of the file.
_TAGS = {"all-of", "any-of", "not-of", "event-test", "property-test", "trigger-test"}


def message(err: dict, labels: dict[str, str], loc: tuple) -> str:
    kind, text = err["type"], err["msg"]
    field = str(loc[0]) if loc else ""
    what = labels.get(field, field.replace("_", " ")) if len(loc) == 1 else (str(loc[-1]) if loc else "")
    if kind == "missing":
        return f"{what} is required" if what else "a value is required"
    if kind == "required":
        return f"{what} is required"
    if kind == "extra_forbidden":
        return f"unknown key {str(loc[-1])!r}" if loc else "unknown key"
    if kind.endswith("_type") or kind in ("model_type", "model_attributes_type"):
        expected = {"string_type": "text", "int_type": "a whole number", "float_type": "a number",
                    "bool_type": "true or false", "list_type": "a list", "dict_type": "an object",
                    "model_type": "an object", "model_attributes_type": "an object"}.get(kind, kind)
        return f"expected {expected}"
    if kind == "literal_error":
        return f"must be one of {err.get('ctx', {}).get('expected', '')}"
    if kind == "value_error":
        return text.removeprefix("Value error, ")
    return text
