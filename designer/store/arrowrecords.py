"""The compiled Parquet path: a batch of typed Arrow columns through the JSON Lines record rules, column-wise.

:meth:`designer.store.jsonsource.JsonLinesReading._json_record` turns one object (a
JSON Lines record, or a Parquet row as a dict) into a stored event. For
Parquet every row of a batch has the same fields of the same types, so the
same rules can be applied a column at a time: the customer, event and time
fields are found once per batch, string and integer columns are checked and
turned into JSON text with ``pyarrow.compute``, and Python only sees the
distinct event names, and the values the kernels do not cover (floats
outside the magnitudes where Arrow's text equals Python's ``repr``, lists,
structs), through the very same :func:`~designer.store.codec.json_scalar`.

When a batch holds anything these rules do not cover as a whole column (a
float or boolean customer id, a non-text event field, float times, times out
of the plain magnitudes, duplicate field names), :meth:`RecordConverter.convert`
answers None and the batch takes the per-row path, so results never differ.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from json.encoder import encode_basestring
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from designer.store.codec import MAX_EXACT_INT, json_scalar
from designer.store.timeparse import MAX_MS, MIN_MS

_ESCAPED = r'[\x00-\x1f"\\]'


def _any(mask) -> bool:
    return bool(pc.any(mask).as_py())


def _texts_of_strings(column) -> pa.Array:
    """json_scalar of each text value (None: the property is left out), as Arrow text."""
    blank = pc.or_(pc.is_null(column), pc.equal(pc.binary_length(column), 0))
    if _any(pc.fill_null(pc.match_substring_regex(column, _ESCAPED), False)):
        quoted = pa.array([None if v is None or v == "" else encode_basestring(v) for v in column.to_pylist()], pa.string())
    else:
        quoted = pc.binary_join_element_wise('"', column, '"', "")
    return pc.if_else(blank, pa.scalar(None, pa.string()), quoted)


def _texts_of_integers(column) -> pa.Array | None:
    """json_scalar of each integer: digits, or quoted digits past 2**53 (exact ids); None -> per value."""
    low, high = pc.min_max(column).values()
    if low.as_py() is not None and (low.as_py() < -MAX_EXACT_INT or high.as_py() > MAX_EXACT_INT):
        return None
    return pc.cast(column, pa.string())


def _texts_of_floats(column) -> pa.Array | None:
    """``repr`` of each float (json_scalar's rule for finite ones), where Arrow's own text provably agrees.

    Both write the shortest digits that read back as the same double, and in
    fixed notation for magnitudes from 1e-4 up to 1e9 (and zero), where they
    differ only in Arrow leaving out ``.0``. Anything else: None (per value).
    """
    column = pc.cast(column, pa.float64())  # a float32's exact double, as Python sees it
    size = pc.abs(column)
    inside = pc.or_(pc.equal(size, 0.0), pc.and_(pc.greater_equal(size, 1e-4), pc.less(size, 1e9)))
    if not pc.all(pc.fill_null(inside, True)).as_py():
        return None
    text = pc.cast(column, pa.string())
    return pc.if_else(pc.match_substring(text, "."), text, pc.binary_join_element_wise(text, ".0", ""))


class RecordConverter:
    """One import's record rules (from its EventSource) applied to Arrow batches."""

    def __init__(self, source) -> None:
        self.source = source  # keys, excluded and listed fields, rename, pseudonymised, memos
        self.times = source.times

    def convert(self, table: pa.Table) -> tuple[list[str], list[str], list[int], list[str], dict[int, str]] | None:
        """``(customers, names, times, properties, refused)``, or None when the batch must go row by row."""
        names = table.column_names
        if len(set(names)) != len(names) or table.num_rows == 0:
            return None
        src = self.source
        pick = {role: next((k for k in keys if k in names), None) for role, keys in src._keys.items()}
        columns = {n: table.column(n).combine_chunks() for n in names}
        refused: dict[int, str] = {}
        rows = table.num_rows
        customers = self._customers(columns.get(pick["customer"]), pick["customer"], rows, refused)
        if customers is None:
            return None
        events = self._events(columns.get(pick["event"]), rows, refused)
        if events is None:
            return None
        times = self._times(columns.get(pick["time"]), rows, refused)
        if times is None:
            return None
        used = set(pick.values())
        props = []
        for key in names:
            if key in used or key.lower() in src._excluded:
                continue
            if src._listed is not None and key not in src._listed:
                continue
            props.append((src.mapping.rename.get(key, key), key))
        props.sort()
        if len({out for out, _ in props}) != len(props):
            return None  # two fields renamed alike: the per-row rule orders them by value
        try:
            body = self._properties([(out, columns[key], key.lower() in src._pseudo) for out, key in props], rows)
        except (ValueError, TypeError, OverflowError):
            return None  # a value json_scalar cannot write (bytes): the per-row rule rejects its row
        return customers, events, times, body, refused

    # -- the three roles --------------------------------------------------------------------

    def _customers(self, column, key: str | None, rows: int, refused: dict[int, str]) -> list[str] | None:
        if column is None or pa.types.is_null(column.type):
            refused.update(dict.fromkeys(range(rows), "empty customer id"))
            return [""] * rows
        if pa.types.is_integer(column.type):
            values = [None if v is None else str(v) for v in column.to_pylist()]
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            values = column.to_pylist()
        else:
            return None  # floats, booleans and the rest: the per-row rule says what each one is
        if None in values:
            values = ["" if v is None else v for v in values]
        stripped = list(map(str.strip, values))
        if key is not None and key.lower() in self.source._pseudo:
            memo = self.source_memo()
            stripped = [memo[v] if v else v for v in stripped]
        if "" in stripped:
            for row, value in enumerate(stripped):
                if not value:
                    refused[row] = "empty customer id"
        return stripped

    def source_memo(self) -> dict:
        memo = getattr(self, "_pseudo_memo", None)
        if memo is None:
            from designer.store.columns import Memo

            memo = self._pseudo_memo = Memo(self.source.pseudonym)
        return memo

    def _events(self, column, rows: int, refused: dict[int, str]) -> list | None:
        if column is None or pa.types.is_null(column.type):
            for row in range(rows):
                refused.setdefault(row, "empty event name")
            return [None] * rows
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            return None
        encoded = pc.dictionary_encode(column, null_encoding="encode")
        memo = self.source._name_memo
        mapped = [None if v is None else memo[v] for v in encoded.dictionary.to_pylist()]
        out = list(map(mapped.__getitem__, encoded.indices.to_pylist()))
        if None in out:
            for row, name in enumerate(out):
                if name is None:
                    refused.setdefault(row, "empty event name")
        return out

    def _times(self, column, rows: int, refused: dict[int, str]) -> list | None:
        if column is None or pa.types.is_null(column.type):
            for row in range(rows):
                refused.setdefault(row, "empty time")
            return [0] * rows
        if pa.types.is_integer(column.type):
            values = self._epoch(column)
            if values is None:
                return None
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            from designer.store.columns import TimeColumn

            if column.null_count:
                return None
            values = TimeColumn(self.times).values(column.to_pylist())
        else:
            return None
        if None in values or str in set(map(type, values)):
            for row, value in enumerate(values):
                if value is None:
                    refused.setdefault(row, "empty time")
                elif type(value) is str:
                    refused.setdefault(row, value)
        return values

    def _epoch(self, column) -> list | None:
        """Epoch ms of integer times as TimeParser.number reads them, when the whole column is plain."""
        low, high = pc.min_max(column).values()
        if low.as_py() is None:
            return column.to_pylist()  # all null: each is an empty time
        low, high = low.as_py(), high.as_py()
        unit = self.times.unit
        if unit in ("auto", "ms") and low >= (1e11 if unit == "auto" else 0) and high < 1e14 and low >= MIN_MS and high < MAX_MS:
            return column.to_pylist()
        if unit in ("auto", "s") and 0 <= low and high < 1e11 and high * 1000 < MAX_MS:
            return pc.multiply(pc.cast(column, pa.int64()), 1000).to_pylist()
        return None

    # -- properties -------------------------------------------------------------------------

    def _properties(self, props: Sequence[tuple[str, Any, bool]], rows: int) -> list[str]:
        if not props:
            return ["{}"] * rows
        parts = []
        for out, column, pseudonymised in props:
            texts = self._texts(column, pseudonymised)
            part = pc.binary_join_element_wise("," + encode_basestring(out) + ":", texts, "")
            parts.append(pc.fill_null(part, ""))
        joined = pc.binary_join_element_wise(*parts, "") if len(parts) > 1 else parts[0]
        return pc.binary_join_element_wise("{", pc.utf8_slice_codeunits(joined, 1), "}", "").to_pylist()

    def _texts(self, column, pseudonymised: bool) -> pa.Array:
        """Each value's JSON text, null where json_scalar drops it."""
        from designer.store.parquet import _python

        kind = column.type
        if not pseudonymised:
            if pa.types.is_string(kind) or pa.types.is_large_string(kind):
                return _texts_of_strings(column)
            if pa.types.is_integer(kind):
                texts = _texts_of_integers(column)
                if texts is not None:
                    return texts
            if pa.types.is_boolean(kind):
                return pc.if_else(column, "true", "false")
            if pa.types.is_floating(kind):
                texts = _texts_of_floats(column)
                if texts is not None:
                    return texts
        values = _python(column)
        rule: Callable = json_scalar
        if pseudonymised:
            value = self.source.pseudonym.value
            rule = lambda v: json_scalar(value(v))  # noqa: E731
        return pa.array(list(map(rule, values)), pa.string())


__all__ = ["RecordConverter"]
