"""Limits on what a flow file may hold, checked where the file is read.

Whatever the loader accepts must be safe for every later reader (the
validator, the engine, the editor, the compilers, the flow hash), so the
shapes no honest flow has are refused here, by JSON path:

* nesting deeper than ``MAX_DEPTH`` (conditions are evaluated recursively);
* numbers outside the signed 64-bit range (what SQLite and every ESP can
  store; REES46's 19-digit category ids still fit), NaN and Infinity, and
  integers Python refuses to convert (more than 4,300 digits);
* text with a lone surrogate (``\\ud800``), which cannot be written as UTF-8.

Durations are bounded where they are parsed (``durations.MAX_SECONDS``).
"""

from __future__ import annotations

import json
import re
from typing import Any

#: The deepest nesting of objects and lists a flow file may have (the document is level 1).
MAX_DEPTH = 64
#: A run of this many digits is where the loader looks for the number the JSON reader refused.
MAX_NUMBER_DIGITS = 40
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_FLOAT_MAX = float(2**63)


class BoundsError(ValueError):
    """A value outside the limits; ``path`` is its JSON path."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.message, self.path = message, path


def _parse_constant(name: str) -> float:
    raise BoundsError(f"{name} is not a JSON number; use a finite number", "")


#: An escaped surrogate in JSON text; pairs are sound, so a match only means the values get walked.
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _may_hold_surrogate(text: str) -> bool:
    """Whether parsed text may hold a lone surrogate (fast scans; a sound file is not walked)."""
    if "\\u" in text and _ESCAPED_SURROGATE.search(text):
        return True
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def loads(text: str) -> Any:
    """``json.loads`` that refuses NaN, Infinity, numbers of thousands of digits, lone
    surrogates and nesting too deep to parse.

    Raises json.JSONDecodeError for syntax and BoundsError (with the JSON path
    when there is one) for the rest. Nesting and number sizes inside the flow
    are bounded by its typed models (``fieldtypes.JsonValue``, the condition
    depth), which the loader applies to every part of the file.
    """
    try:
        data = json.loads(text, parse_constant=_parse_constant)
    except RecursionError:
        raise BoundsError(f"nested deeper than {MAX_DEPTH} levels", "$") from None
    except ValueError as exc:
        if isinstance(exc, (json.JSONDecodeError, BoundsError)):
            raise
        # Python refuses to convert integers of more than 4,300 digits.
        raise BoundsError("a number with thousands of digits; numbers are at most about 9.2e18", "") from None
    if _may_hold_surrogate(text):
        check(data)
    return data


def _key_path(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=True)}]"


def check(value: Any, path: str = "", depth: int = 1) -> None:
    """Raise BoundsError naming the first value outside the limits (iterative: no recursion)."""
    too_deep = f"nested deeper than {MAX_DEPTH - depth + 1} levels" if depth <= 1 or depth > 8 else \
        f"nested too deep (a flow file nests at most {MAX_DEPTH} levels)"
    stack: list[tuple[Any, str, int]] = [(value, path, depth)]
    pop, push = stack.pop, stack.append
    while stack:
        v, p, d = pop()
        cls = v.__class__
        if cls is str:
            _check_text(v, p)
        elif cls is dict:
            if d > MAX_DEPTH:
                raise BoundsError(too_deep, p or "$")
            for k, item in v.items():
                kp = _key_path(p, k)
                _check_text(k, kp)
                if item.__class__ in (str, dict, list, int, float):
                    push((item, kp, d + 1))
        elif cls is list:
            if d > MAX_DEPTH:
                raise BoundsError(too_deep, p or "$")
            for i, item in enumerate(v):
                if item.__class__ in (str, dict, list, int, float):
                    push((item, f"{p}[{i}]", d + 1))
        elif cls is int:
            if not INT_MIN <= v <= INT_MAX:
                raise BoundsError("a whole number outside the 64-bit range (about 9.2e18)", p or "$")
        elif cls is float:
            if not -_FLOAT_MAX <= v <= _FLOAT_MAX:  # also NaN
                raise BoundsError("not a finite number of at most about 9.2e18", p or "$")


def _check_text(text: str, path: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BoundsError(f"text holds a lone surrogate (\\u{ord(text[exc.start]):04x}) at character "
                              f"{exc.start + 1}, which is not a character; remove it", path or "$") from None
