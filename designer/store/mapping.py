"""Column mappings: which field is the customer, the event, the time, and the rest.

A :class:`Mapping` comes from a preset (:data:`PRESETS`) or from JSON given
by the user (``--map '{"customer": "user", "event": "action", "time": "at"}'``,
or a path to a JSON file), optionally extending a preset
(``{"preset": "rees46", "rename": {...}}``). JSON keys:

``customer``, ``event``, ``time``
    A column name, a 0-based column index, or a list of candidate names
    (the first one present wins).
``properties``
    Columns stored as event properties: a list, or ``"*"`` (default) for
    every column not used above and not in ``exclude``.
``exclude``
    Columns never stored.
``rename``
    ``{column: property name}``.
``events``
    ``{source event name: canonical name}``; names not listed are kept as
    they are (custom events).
``columns``
    Names for the columns of a file without a header.
``header``
    ``true``, ``false`` or ``null`` (detect: the first row is a header when it
    holds the mapped column names).
``delimiter``
    One character; by default the CSV sniffer decides.
``time_unit``
    ``auto`` (by magnitude), ``s``, ``ms``, ``us`` or ``ns`` for epoch numbers.
``format``
    ``csv`` or ``jsonl``; by default told by the file name or its first byte.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Union

Ref = Union[str, int, tuple[str, ...]]


class MappingError(ValueError):
    """A mapping that cannot be used; the message names the key or column."""


@dataclass(frozen=True)
class Mapping:
    customer: Ref
    event: Ref
    time: Ref
    properties: tuple[Union[str, int], ...] | None = None  # None: all other columns
    exclude: tuple[str, ...] = ()
    rename: dict[str, str] = field(default_factory=dict)
    events: dict[str, str] = field(default_factory=dict)
    columns: tuple[str, ...] | None = None
    header: bool | None = None
    delimiter: str | None = None
    time_unit: str = "auto"
    format: str | None = None
    preset: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("customer", "event", "time", "properties", "exclude", "columns"):
            if isinstance(data[key], tuple):
                data[key] = list(data[key])
        return data

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()


# Generic files name their columns in many ways; the first name present wins.
_CUSTOMER_NAMES = ("customer_id", "customer", "user_id", "userid", "visitorid", "visitor_id", "profile_id", "external_id")
_EVENT_NAMES = ("event", "event_name", "event_type", "type", "name", "action")
_TIME_NAMES = ("timestamp", "time", "event_time", "datetime", "ts", "created_at", "date")

PRESETS: dict[str, Mapping] = {
    # customer_id, event, timestamp; every other column is a property.
    "generic": Mapping(customer=_CUSTOMER_NAMES, event=_EVENT_NAMES, time=_TIME_NAMES, preset="generic"),
    # REES46 "eCommerce behavior data from multi category store" (Kaggle):
    # event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session
    "rees46": Mapping(
        customer="user_id",
        event="event_type",
        time="event_time",
        rename={"category_code": "category", "user_session": "session_id"},
        events={"view": "view", "cart": "add_to_cart", "remove_from_cart": "remove_from_cart", "purchase": "purchase"},
        header=True,
        preset="rees46",
    ),
    # Retailrocket recommender dataset, events.csv: timestamp,visitorid,event,itemid,transactionid
    "retailrocket": Mapping(
        customer="visitorid",
        event="event",
        time="timestamp",
        rename={"itemid": "product_id", "transactionid": "order_id"},
        events={"view": "view", "addtocart": "add_to_cart", "transaction": "purchase"},
        header=True,
        time_unit="ms",
        preset="retailrocket",
    ),
    # Taobao UserBehavior.csv (Tianchi), no header: user_id,item_id,category_id,behavior_type,timestamp
    "taobao": Mapping(
        customer="user_id",
        event="behavior_type",
        time="timestamp",
        rename={"item_id": "product_id"},
        events={"pv": "view", "cart": "add_to_cart", "fav": "favorite", "buy": "purchase"},
        columns=("user_id", "item_id", "category_id", "behavior_type", "timestamp"),
        header=None,
        time_unit="s",
        preset="taobao",
    ),
}

_KEYS = {
    "preset", "customer", "event", "time", "properties", "exclude", "rename", "events",
    "columns", "header", "delimiter", "time_unit", "format",
}


def _ref(value: Any, key: str) -> Ref:
    if isinstance(value, bool):
        raise MappingError(f"mapping key {key!r}: expected a column name or index, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise MappingError(f"mapping key {key!r}: a column index starts at 0, got {value}")
        return value
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        return tuple(v.strip() for v in value)
    raise MappingError(f"mapping key {key!r}: expected a column name, an index or a list of names, got {value!r}")


def _names(value: Any, key: str, allow_int: bool = False) -> tuple:
    if not isinstance(value, list) or not all(
        (isinstance(v, str) and v) or (allow_int and isinstance(v, int) and not isinstance(v, bool) and v >= 0)
        for v in value
    ):
        raise MappingError(f"mapping key {key!r}: expected a list of column names, got {value!r}")
    return tuple(value)


def _str_dict(value: Any, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()):
        raise MappingError(f"mapping key {key!r}: expected an object of names to names, got {value!r}")
    return dict(value)


def mapping_from_json(data: Any) -> Mapping:
    """A mapping from parsed JSON (see the module docstring)."""
    if not isinstance(data, dict):
        raise MappingError(f"a mapping is a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise MappingError(f"unknown mapping key(s) {', '.join(map(repr, unknown))}; known: {', '.join(sorted(_KEYS))}")
    base_name = data.get("preset")
    if base_name is not None:
        base = preset(base_name)
    else:
        missing = [k for k in ("customer", "event", "time") if k not in data]
        if missing:
            raise MappingError(f"mapping is missing {', '.join(map(repr, missing))} (or name a 'preset' to extend)")
        base = Mapping(customer=0, event=1, time=2)
    changes: dict[str, Any] = {}
    for key in ("customer", "event", "time"):
        if key in data:
            changes[key] = _ref(data[key], key)
    if "properties" in data:
        value = data["properties"]
        changes["properties"] = None if value in ("*", None) else _names(value, "properties", allow_int=True)
    if "exclude" in data:
        changes["exclude"] = _names(data["exclude"], "exclude")
    if "rename" in data:
        changes["rename"] = {**base.rename, **_str_dict(data["rename"], "rename")}
    if "events" in data:
        changes["events"] = {**base.events, **_str_dict(data["events"], "events")}
    if "columns" in data:
        changes["columns"] = None if data["columns"] is None else _names(data["columns"], "columns")
    if "header" in data:
        if data["header"] not in (True, False, None):
            raise MappingError(f"mapping key 'header': expected true, false or null, got {data['header']!r}")
        changes["header"] = data["header"]
    if "delimiter" in data:
        d = data["delimiter"]
        if d is not None and (not isinstance(d, str) or len(d) != 1 or d in "\r\n\"'"):
            raise MappingError(f"mapping key 'delimiter': expected one character, got {d!r}")
        changes["delimiter"] = d
    if "time_unit" in data:
        if data["time_unit"] not in ("auto", "s", "ms", "us", "ns"):
            raise MappingError(f"mapping key 'time_unit': expected auto, s, ms, us or ns, got {data['time_unit']!r}")
        changes["time_unit"] = data["time_unit"]
    if "format" in data:
        if data["format"] not in ("csv", "jsonl", "parquet", None):
            raise MappingError(f"mapping key 'format': expected 'csv', 'jsonl' or 'parquet', got {data['format']!r}")
        changes["format"] = data["format"]
    if base_name is None:
        changes["preset"] = None
    return replace(base, **changes)


def preset(name: str) -> Mapping:
    try:
        return PRESETS[name]
    except KeyError:
        raise MappingError(f"unknown preset {name!r}; presets: {', '.join(sorted(PRESETS))}") from None


def load_mapping(text: str) -> Mapping:
    """A mapping from a JSON text, or from the JSON file that text names."""
    source = text
    if not text.lstrip().startswith("{") and os.path.exists(text):
        try:
            source = Path(text).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(f"cannot read mapping file {text}: {exc}") from exc
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        raise MappingError(f"mapping is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}") from exc
    return mapping_from_json(data)
