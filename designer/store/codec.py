"""How values are written into the store: property JSON, cell typing, dedupe keys.

One module owns these rules so the importers and the sample generator write
byte-identical JSON for the same event, which is what makes the dedupe key
(a digest of that JSON) find the same event twice.

Rules for a text cell (CSV) becoming a property value:

* empty cell -> the property is left out (not ``null``);
* a plain decimal integer without leading zeros that a float holds exactly
  (``|n| <= 2**53``) -> a JSON number;
* a longer integer (19-digit category ids), or one with leading zeros
  (``007``) -> the exact text, as a JSON string: an id must never be rounded;
* a decimal or exponent number (``12.50``, ``0.00``, ``1e3``) -> a JSON number,
  written as it appeared (it is valid JSON already);
* anything else -> a JSON string.
"""

from __future__ import annotations

import json
import re
import sys
from array import array
from collections.abc import Iterable
from hashlib import blake2b
from json.encoder import encode_basestring  # C-accelerated, keeps non-ASCII as is
from typing import Any

#: Largest integer magnitude a float (and a JavaScript number) holds exactly.
MAX_EXACT_INT = 2**53

_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\Z")
_SEP = "\x1f"
_INF = float("inf")


def json_value(cell: str) -> str:
    """The JSON text for one non-empty CSV cell, following the module's rules."""
    if cell.isascii() and cell.isdigit():
        if len(cell) > 1 and cell[0] == "0":
            return encode_basestring(cell)
        # Over 16 digits is past 2**53 (and int() of 4,300+ digits raises): exact text.
        if len(cell) <= 15 or (len(cell) <= 16 and int(cell) <= MAX_EXACT_INT):
            return cell
        return encode_basestring(cell)
    first = cell[0]
    if (first == "-" or "0" <= first <= "9") and _DECIMAL.match(cell):
        if "." in cell or "e" in cell or "E" in cell:
            # Measurements, not ids: a float is fine, unless it overflows.
            return cell if abs(float(cell)) != _INF else encode_basestring(cell)
        digits = cell[1:]  # a negative integer: same exactness rule
        if (len(digits) > 1 and digits[0] == "0") or len(digits) > 16 or int(digits) > MAX_EXACT_INT:
            return encode_basestring(cell)
        return cell
    return encode_basestring(cell)


def typed_value(cell: str) -> Any:
    """The Python value a cell becomes (what ``json.loads`` of :func:`json_value` gives)."""
    return json.loads(json_value(cell))


def json_scalar(value: Any) -> str | None:
    """JSON text for a value already typed (JSON Lines input); ``None`` drops it."""
    if value is None:
        return None
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if abs(value) > MAX_EXACT_INT:
            return encode_basestring(str(value))
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return encode_basestring(repr(value))
        return repr(value)
    if isinstance(value, str):
        return encode_basestring(value) if value != "" else None
    # Nested lists / objects are kept as compact JSON.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def key_prefix(name: str) -> str:
    """``"name":`` as it starts a member of a properties object."""
    return encode_basestring(name) + ":"


_PREFIXES: dict[str, str] = {}


def dumps_properties(properties: dict[str, Any]) -> str:
    """Canonical JSON for a properties dict: sorted keys, compact, ``None`` left out.

    Matches what the importers build cell by cell, so both give the same text
    (and the same dedupe key) for the same event.
    """
    parts = []
    for key in sorted(properties):
        value = properties[key]
        kind = type(value)
        if kind is str:
            text = encode_basestring(value) if value else None
        elif kind is int:
            text = str(value) if -MAX_EXACT_INT <= value <= MAX_EXACT_INT else encode_basestring(str(value))
        elif kind is float and value - value == 0.0:  # finite
            text = repr(value)
        else:
            text = json_scalar(value)
        if text is not None:
            prefix = _PREFIXES.get(key)
            if prefix is None:
                if len(_PREFIXES) > 10_000:
                    _PREFIXES.clear()
                prefix = _PREFIXES[key] = key_prefix(key)
            parts.append(prefix + text)
    return "{" + ",".join(parts) + "}"


def dedupe_key(name: str, properties_json: str) -> int:
    """The signed 64-bit key that tells an event from others of its customer at the same moment.

    The store's unique index is (customer, time, key), so the key need only
    digest what the index does not already hold: the event name and its
    properties. Eight bytes of BLAKE2b read as a little-endian signed
    integer: a collision would need two different events of one customer in
    one millisecond to share 64 bits, and an integer key binds, compares and
    indexes far faster than a blob.
    """
    digest = blake2b(f"{name}\x1f{properties_json}".encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def dedupe_keys(names: Iterable[str], properties_json: Iterable[str]) -> array:
    """:func:`dedupe_key` for many events at once, as an ``array('q')`` (same values, about twice as fast).

    Copying a prepared hash object is cheaper than building one with its
    parameters for every event, and reading the joined digests as one array
    avoids an integer conversion per event. The texts must be encodable (no
    lone surrogates): the importers refuse rows with undecodable bytes before
    they get here.
    """
    prototype = blake2b(digest_size=8)
    digests: list[bytes] = []
    append = digests.append
    for name, properties in zip(names, properties_json):
        h = prototype.copy()
        h.update(f"{name}\x1f{properties}".encode())
        append(h.digest())
    keys = array("q")
    keys.frombytes(b"".join(digests))
    if sys.byteorder != "little":
        keys.byteswap()
    return keys
