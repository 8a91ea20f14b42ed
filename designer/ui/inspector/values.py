"""Typed values as one line of text, and back, for condition values and property rows.

A marketer types ``50`` and means a number, ``true`` a yes/no, ``gold`` a word;
``"50"`` (quoted) keeps a number as text. ``a, b, c`` is a list for the ``in``
operators. Each value shown is spelled so that reading it back gives the same
JSON value, which is what lets the condition builder round-trip a tree.
Pure Python: no Qt here.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from designer.model import bounds

_INT = re.compile(r"^-?\d+$")
_FLOAT = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
LIST_OPERATORS = ("in", "not in")
_TOO_BIG = 'a number larger than a flow can hold (about 9.2e18); quote it ("...") to keep it as text'


class ValueTextError(ValueError):
    """Text that is not a value (an unclosed quote, say); the message says what to fix."""


def parse_scalar(text: str) -> Any:
    """``50`` -> 50, ``2.5`` -> 2.5, ``true`` -> True, ``null`` -> None, ``"50"`` -> "50", else the text."""
    s = text.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        try:
            value = json.loads(s)
        except json.JSONDecodeError:
            raise ValueTextError(f"{s} is not a quoted text; escape inner quotes as \\\"") from None
        if isinstance(value, str):
            return value
    if s.startswith('"') and not s.endswith('"') or s == '"':
        raise ValueTextError("the quote is not closed")
    if s in ("true", "false"):
        return s == "true"
    if s == "null":
        return None
    if _INT.match(s):
        if len(s.lstrip("-")) > 19 or not bounds.INT_MIN <= int(s) <= bounds.INT_MAX:
            raise ValueTextError(_TOO_BIG)
        return int(s)
    if _FLOAT.match(s):
        value = float(s) if len(s) < 400 else math.inf
        if not math.isfinite(value) or abs(value) > bounds.INT_MAX:
            raise ValueTextError(_TOO_BIG)
        return value
    return s


def format_scalar(value: Any, *, in_list: bool = False) -> str:
    """The text that :func:`parse_scalar` reads back as ``value``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        plain = value and value == value.strip() and value.isprintable() and not (in_list and "," in value)
        try:
            plain = plain and parse_scalar(value) == value and isinstance(parse_scalar(value), str)
        except ValueTextError:
            plain = False
        return value if plain else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def split_list(text: str) -> list[str]:
    """Comma-separated items; a quoted item may hold commas."""
    items: list[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i] in " \t":
            i += 1
        if i < n and text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                raise ValueTextError(f"the quote opened at character {i + 1} is not closed")
            items.append(text[i:j + 1])
            i = j + 1
            while i < n and text[i] in " \t":
                i += 1
            if i < n and text[i] != ",":
                raise ValueTextError(f"expected a comma after {text[:i]!r}")
        else:
            j = text.find(",", i)
            j = n if j < 0 else j
            items.append(text[i:j].strip())
            i = j
        if i >= n:
            break
        i += 1  # the comma
    return items


def parse_value(text: str, op: str) -> Any:
    """The JSON value of a condition's value text for operator ``op``."""
    if op in LIST_OPERATORS:
        if not text.strip():
            return []
        items = split_list(text)
        if any(item == "" for item in items):
            raise ValueTextError("an item of the list is empty; quote it (\"\") to mean empty text")
        return [parse_scalar(item) for item in items]
    return parse_scalar(text)


def format_value(value: Any, op: str) -> str:
    if isinstance(value, list):
        return ", ".join(format_scalar(v, in_list=True) for v in value)
    return format_scalar(value)
