"""Turning a batch of CSV cells into stored values a column at a time, in C loops.

An import batch holds tens of thousands of rows; handling it row by row in
Python costs microseconds per row. Here each column of the batch is handled
as a whole with the interpreter's C-level building blocks (``map`` over
bound methods, ``str.join`` / ``str.split``, ``dict`` lookups), so most of
the per-row work never runs a Python bytecode.

Exactness comes first: every fast path applies only when a cheap check over
the whole column proves it gives the same result as the per-value rule
(:func:`designer.store.codec.json_value` for property values,
:class:`designer.store.timeparse.TimeParser` for times); anything else takes
the per-value rule itself, value by value (with a memo: ids, prices and
times repeat). The property tests check both paths against each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from itertools import filterfalse, repeat
from json.encoder import encode_basestring
from operator import attrgetter, floordiv, itemgetter, methodcaller, mul, sub
from typing import Any

from designer.store.codec import json_value
from designer.store.timeparse import MAX_MS, MIN_MS, TimeError, TimeParser

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MS = timedelta(milliseconds=1)
_FIRST = itemgetter(0)
_FIFTH = itemgetter(4)
_LAST4 = itemgetter(slice(-4, None))
_BUT_LAST4 = itemgetter(slice(None, -4))
_ZONE_WORDS = frozenset((" UTC", " GMT"))
_TAIL = itemgetter(slice(1, None))
_NUMBER_START = frozenset("-0123456789")
_LEADING_ZERO = re.compile("\x000[0-9]")
#: Entries a memo keeps before it starts afresh (flat memory on any file).
MEMO_MAX = 65_536
#: Longest integer part a plain decimal may have and still be a finite float.
_MAX_DECIMAL = 300
#: Longest integer that is certainly exact in a float (``len(str(2**53)) - 1``).
_MAX_EXACT_DIGITS = 15


class Memo(dict):
    """``memo[value]``: the function's result for a value, computed once (see MEMO_MAX)."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[str], Any]) -> None:
        super().__init__()
        self.function = function

    def __missing__(self, value: str) -> Any:
        if len(self) >= MEMO_MAX:
            self.clear()
        result = self[value] = self.function(value)
        return result


def mapped(memo: Memo, column: Sequence[str]) -> list:
    """``[memo[v] for v in column]``, run in C for the values already known."""
    return list(map(memo.__getitem__, column))


# -- property values -----------------------------------------------------------------------


def _plain_numbers(cells: Sequence[str]) -> bool:
    """Whether every (non-empty) cell is a number :func:`json_value` writes as it is.

    That is ``0``, an integer of at most 15 digits without a leading zero
    (exact in a float), or such an integer part, a point and digits
    (``12.50``, ``0.00``; at most 300 characters: finite). Anything else
    (signs, exponents, long ids, ``007``) answers False and is left to the
    per-value rule. A few passes of C string methods over the joined column
    decide it.
    """
    joined = "\x00".join(cells)
    if not joined.isascii() or joined.count("\x00") != len(cells) - 1:  # csv lets NUL into a cell
        return False
    digits = joined.replace("\x00", "")
    points = digits.count(".")
    if not (digits.replace(".", "") if points else digits).isdigit():
        return False
    longest = max(map(len, cells))
    edged = "\x00" + joined + "\x00"
    if _LEADING_ZERO.search(edged):
        return False
    if not points:
        return longest <= _MAX_EXACT_DIGITS
    if "\x00." in edged or ".\x00" in edged or longest > _MAX_DECIMAL:
        return False
    per_cell = set(map(str.count, cells, repeat(".")))
    if per_cell == {1}:
        return True
    if per_cell != {0, 1}:
        return False
    # Integers among decimals must be exact too.
    return longest <= _MAX_EXACT_DIGITS or max(map(len, filterfalse(methodcaller("count", "."), cells))) <= _MAX_EXACT_DIGITS


class PropertyColumn:
    """One property column: its JSON key and a memo for the per-value rule."""

    def __init__(self, index: int, key: str) -> None:
        self.index = index
        self.key = encode_basestring(key)
        self.memo: Memo | None = Memo(lambda cell: json_value(cell) if cell else "")

    def values(self, cells: Sequence[str], filled: Sequence[str]) -> list[str]:
        """The JSON text of each cell, ``""`` for an empty one (``filled``: the non-empty cells)."""
        if not filled:
            return [""] * len(cells)
        if set(map(_FIRST, filled)).isdisjoint(_NUMBER_START):
            # No cell can be a number: each is a JSON string.
            out = list(map(encode_basestring, cells))
            if len(filled) != len(cells):
                for i, cell in enumerate(cells):
                    if not cell:
                        out[i] = ""
            return out
        if _plain_numbers(filled):
            return list(cells)
        # The per-value rule, remembered per value unless values hardly repeat (order ids).
        memo = self.memo
        if memo is None:
            return [json_value(c) if c else "" for c in cells]
        out = mapped(memo, cells)
        if len(cells) >= 10_000 and len(memo) > 0.95 * len(cells):
            self.memo = None
        return out


def properties_json(columns: Sequence[tuple[PropertyColumn, Sequence[str]]], rows: int) -> list[str]:
    """The canonical properties JSON of each row (the columns come sorted by key)."""
    if not columns:
        return ["{}"] * rows
    values = []
    sparse = False
    for column, cells in columns:
        filled = list(filter(None, cells))
        sparse = sparse or len(filled) != len(cells)
        values.append(column.values(cells, filled))
    if not sparse:
        # Every property present in every row: '{"a":' value ',"b":' value ... '}' joined per row.
        pieces: list = []
        for n, ((column, _), texts) in enumerate(zip(columns, values)):
            pieces += (repeat(("{" if n == 0 else ",") + column.key + ":"), texts)
        pieces.append(repeat("}"))
        return list(map("".join, zip(*pieces)))
    # Empty cells leave their property out: ',"key":value' parts, joined, first comma dropped.
    parts = []
    for (column, _), texts in zip(columns, values):
        prefixed = list(map(("," + column.key + ":").__add__, texts))
        for i, text in enumerate(texts):
            if not text:
                prefixed[i] = ""
        parts.append(prefixed)
    joined = parts[0] if len(parts) == 1 else list(map("".join, zip(*parts)))
    return list(map("{%s}".__mod__, map(_TAIL, joined)))


# -- times --------------------------------------------------------------------------------


class TimeColumn:
    """Epoch ms for a column of time cells, as :class:`TimeParser` reads them one by one."""

    def __init__(self, parser: TimeParser) -> None:
        self.parser = parser
        self.memo: Memo | None = Memo(self._one)

    def _one(self, cell: str) -> int | str:
        """Epoch ms, or the reason the cell is refused."""
        try:
            return self.parser(cell)
        except TimeError as exc:
            return str(exc)

    def values(self, cells: Sequence[str]) -> list[int | str]:
        """Epoch ms for each cell, or the text saying why that cell is refused."""
        if not cells:
            return []
        fast = self._iso(cells)
        if fast is None:
            fast = self._zone_word(cells)
        if fast is None:
            fast = self._epoch(cells)
        if fast is not None:
            return fast
        memo = self.memo
        if memo is None:
            return list(map(self._one, cells))
        out = mapped(memo, cells)
        if len(cells) >= 10_000 and len(memo) > 0.95 * len(cells):
            self.memo = None  # times hardly repeat: the memo only costs
        return out

    def _iso(self, cells: Sequence[str]) -> list[int] | None:
        """All cells ISO 8601 the way TimeParser reads them first (``datetime.fromisoformat``), or None."""
        try:
            if set(map(_FIFTH, cells)) != {"-"}:
                return None
        except IndexError:  # a cell shorter than five characters
            return None
        if any(map(str.endswith, cells, repeat(" "))):
            return None  # TimeParser strips these first; leave them to it
        try:
            stamps = list(map(datetime.fromisoformat, cells))
        except ValueError:
            return None
        try:
            ms = list(map(floordiv, map(sub, stamps, repeat(_EPOCH)), repeat(_MS)))
        except TypeError:  # naive times: in the import's zone, as TimeParser does
            if any(map(attrgetter("tzinfo"), stamps)):
                return None
            zoned = map(methodcaller("replace", tzinfo=self.parser.tzinfo), stamps)
            ms = list(map(floordiv, map(sub, zoned, repeat(_EPOCH)), repeat(_MS)))
        if min(ms) < MIN_MS or max(ms) >= MAX_MS:
            return None
        return ms

    def _zone_word(self, cells: Sequence[str]) -> list[int] | None:
        """All cells ISO 8601 with a trailing `` UTC`` / `` GMT`` (the REES46 form), or None.

        TimeParser turns the word into ``+00:00`` before ``fromisoformat``; so does this.
        """
        if not set(map(_LAST4, cells)) <= _ZONE_WORDS:
            return None
        return self._iso(list(map(str.__add__, map(_BUT_LAST4, cells), repeat("+00:00"))))

    def _epoch(self, cells: Sequence[str]) -> list[int] | None:
        """All cells plain epoch seconds or milliseconds (digits only), or None."""
        joined = "".join(cells)
        if not (joined.isascii() and joined.isdigit()) or "" in cells or max(map(len, cells)) > 20:
            return None  # over 20 digits is no time: the cell-by-cell parser rejects it by line
        numbers = list(map(int, cells))
        low, high = min(numbers), max(numbers)
        unit = self.parser.unit
        if unit == "auto":
            unit = "s" if high < 10**11 else "ms" if low >= 10**11 and high < 10**14 else None
        if unit == "s" and high < MAX_MS // 1000:
            return list(map(mul, numbers, repeat(1000)))
        if unit == "ms" and high < MAX_MS:
            return numbers
        return None


__all__ = ["MEMO_MAX", "Memo", "PropertyColumn", "TimeColumn", "mapped", "properties_json"]
