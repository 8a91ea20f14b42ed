"""The compiled CSV path: plain blocks of an event log parsed and converted by Apache Arrow.

The exact path (:mod:`designer.store.csvtext`, :mod:`designer.store.columns`)
costs Python several microseconds a row. Here a run of plain blocks (see
:func:`compiled_bytes`) goes to ``pyarrow.csv`` (C++, multithreaded, every
column read as text, so a 19-digit id stays exact) and each column is
converted and validated over the whole batch with ``pyarrow.compute``: event
times, the customer id checks, the canonical property JSON. Python touches
the batch's few distinct event names and the dedupe-key digests, not cells.

Exactness first, as in :mod:`designer.store.columns`: a compiled kernel is
used for a column only when a check over the whole column proves it gives
what the per-value rule gives; otherwise that column takes the per-value rule
(the exact path's own code) on the batch's values. A block Arrow might read
differently from :mod:`csv` never gets here: :func:`compiled_bytes` admits
only blocks of complete lines with no quote, NUL, lone ``\\r`` or undecodable
byte and exactly the expected number of delimiters, and Arrow itself refuses
any line with the wrong number of cells. Such a block has one record per
line, so line numbers stay exact: the first line of the block plus the row.
Everything else (quoted fields, wrong column counts, a cut-off last row,
bad bytes) goes to the exact path, which names each reject's line and reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from designer.store.columns import PropertyColumn, TimeColumn

try:
    import pyarrow as _pa
    import pyarrow.compute as _pc
    import pyarrow.csv as _pv
except ImportError:  # the exact path serves alone
    _pa = _pc = _pv = None

#: Whether the compiled path can run here (pyarrow installed).
AVAILABLE = _pa is not None

# ISO 8601 as datetime.fromisoformat reads it and Arrow's cast agrees: whole seconds or
# milliseconds, a Z or an offset under 24 hours (naive: no zone).
_ISO = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{3})?"
_ISO_ZONED = _ISO + r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
_ISO_NAIVE = _ISO + r"$"
_ISO_WORD = _ISO + r" (UTC|GMT)$"
# A number json_value writes as it is: an integer exact in a float, or a plain decimal.
_PLAIN_NUMBER = r"^-?(0|[1-9][0-9]{0,14})(\.[0-9]+)?$"
_NUMBER_START = r"^[-0-9]"
# What encode_basestring would escape (the block holds no quote: only these).
_ESCAPED = r'[\x00-\x1f"\\]'
#: Longest number text taken as it is (as columns._MAX_DECIMAL: a finite float).
_MAX_NUMBER = 300


def compiled_bytes(block: str, delimiter: str, columns: int, max_line: int) -> bytes | None:
    """The block as UTF-8 for Arrow if the compiled path reads it exactly as the exact path would, else None.

    That is: complete lines (it ends with a line break), no quote, NUL,
    byte order mark or lone ``\\r``, no undecodable byte, no line past ``max_line`` characters,
    and ``columns - 1`` delimiters per line on average. Arrow refuses a line
    with another number of cells, and a line with fewer delimiters (a blank
    one included) must be paired with one with more for the average to hold,
    so once Arrow has read the block every line had exactly ``columns`` cells.
    """
    if columns < 2 or not block.endswith("\n") or '"' in block or "\x00" in block:
        return None
    if not block.isascii() and "\ufeff" in block:
        return None  # Arrow drops a byte order mark at the start of what it reads; here it is data
    lines = block.count("\n")
    if "\r" in block and block.count("\r") != block.count("\r\n"):
        return None
    if block.count(delimiter) != lines * (columns - 1):
        return None
    if len(block) > max_line and max(map(len, block.split("\n"))) > max_line:
        return None
    try:
        return block.encode("utf-8")  # lone surrogates (undecodable bytes) raise
    except UnicodeEncodeError:
        return None


def read_table(data: bytes, columns: int, delimiter: str) -> pa.Table | None:
    """Arrow's reading of a block from :func:`compiled_bytes`: every column as text; None if Arrow refuses it."""
    names = [f"c{i}" for i in range(columns)]
    read = _pv.ReadOptions(column_names=names, use_threads=True, block_size=1 << 22)
    parse = _pv.ParseOptions(
        delimiter=delimiter, quote_char=False, double_quote=False, escape_char=False,
        newlines_in_values=False, ignore_empty_lines=False,
    )
    convert = _pv.ConvertOptions(
        column_types={n: _pa.string() for n in names}, strings_can_be_null=False,
        quoted_strings_can_be_null=False, check_utf8=True,
    )
    try:
        with _pv.open_csv(_pa.py_buffer(data), read_options=read, parse_options=parse, convert_options=convert) as reader:
            table = reader.read_all()
    except _pa.ArrowInvalid:
        return None
    if table.num_rows != data.count(b"\n"):
        return None  # cannot happen for an admitted block; never trust a miscount
    return table


def concat(tables: Sequence[pa.Table]) -> pa.Table:
    """Tables of consecutive lines as one."""
    return _pa.concat_tables(tables)


def _any(mask) -> bool:
    return bool(_pc.any(mask).as_py())


class ArrowConverter:
    """One import's column rules applied to Arrow tables of its CSV (see the module docstring).

    It borrows the exact path's per-value rules (``name_memo``, ``time_column``,
    the property columns' memos, the pseudonym memo), so both paths share one
    definition of every rule, and a column the kernels cannot prove falls back
    to precisely that code.
    """

    def __init__(
        self,
        customer: int,
        event: int,
        time: int,
        properties: Sequence[PropertyColumn],
        name_memo,
        time_column: TimeColumn,
        pseudonymised: Sequence[int],
        pseudo_memo,
    ) -> None:
        self.customer, self.event, self.time = customer, event, time
        self.properties = list(properties)
        self.name_memo = name_memo
        self.time_column = time_column
        self.utc = time_column.parser.utc
        self.pseudonymised = list(pseudonymised)
        self.pseudo_memo = pseudo_memo
        # ',"key":' for each property, as properties_json joins them.
        self.prefixes = ["," + p.key + ":" for p in self.properties]

    def convert(self, table: pa.Table) -> tuple[list[str], list, list, list[str], dict[int, str]]:
        """``(customers, names, times, properties, refused)`` for every row; ``refused``: row -> reason.

        The first check that fails names the reason, in the exact path's order:
        customer id, event name, time.
        """
        columns = {i: table.column(i).combine_chunks() for i in range(table.num_columns)}
        refused: dict[int, str] = {}
        for i in self.pseudonymised:
            columns[i] = self._by_distinct(columns[i], self.pseudo_memo)
        customers = self._customers(columns[self.customer], refused)
        names = self._by_distinct(columns[self.event], self.name_memo, python=True)
        if None in names:
            for row, name in enumerate(names):
                if name is None:
                    refused.setdefault(row, "empty event name")
        times = self._times(columns[self.time])
        if str in set(map(type, times)):
            for row, value in enumerate(times):
                if type(value) is str:
                    refused.setdefault(row, value)
        properties = self._properties(columns, table.num_rows)
        return customers, names, times, properties, refused

    @staticmethod
    def _by_distinct(column, memo, python: bool = False):
        """``memo[value]`` for each value, computed once per distinct value of the batch.

        Returns a Python list when ``python``, else an Arrow array.
        """
        encoded = _pc.dictionary_encode(column)
        mapped = list(map(memo.__getitem__, encoded.dictionary.to_pylist()))
        if python:
            return list(map(mapped.__getitem__, encoded.indices.to_pylist()))
        return _pa.array(mapped, _pa.string()).take(encoded.indices)

    @staticmethod
    def _customers(column, refused: dict[int, str]) -> list[str]:
        """The external ids; an empty one (after trimming spaces) is refused, as the exact path does."""
        trouble = _pc.or_(
            _pc.equal(_pc.binary_length(column), 0),
            _pc.or_(_pc.starts_with(column, " "), _pc.ends_with(column, " ")),
        )
        values = column.to_pylist()
        if _any(trouble):
            values = [c.strip() if not c or c[0] == " " or c[-1] == " " else c for c in values]
            for row, customer in enumerate(values):
                if not customer:
                    refused[row] = "empty customer id"
        return values

    def _times(self, column) -> list:
        """Epoch ms per row; when a kernel cannot prove the whole column, the exact path's TimeColumn."""
        ms = self._iso_ms(column)
        if ms is None:
            return self.time_column.values(column.to_pylist())
        return ms.to_pylist()

    def _iso_ms(self, column):
        from designer.store.timeparse import MAX_MS, MIN_MS

        if len(column) == 0:
            return None
        if _pc.all(_pc.match_substring_regex(column, _ISO_ZONED)).as_py():
            target = _pa.timestamp("ms", tz="UTC")
        elif _pc.all(_pc.match_substring_regex(column, _ISO_WORD)).as_py():
            column = _pc.replace_substring_regex(column, " (UTC|GMT)$", "+00:00")
            target = _pa.timestamp("ms", tz="UTC")
        elif self.utc and _pc.all(_pc.match_substring_regex(column, _ISO_NAIVE)).as_py():
            target = _pa.timestamp("ms")  # naive times in UTC, the import's zone
        else:
            return None
        try:
            ms = _pc.cast(_pc.cast(column, target), _pa.int64())
        except (_pa.ArrowInvalid, _pa.ArrowNotImplementedError):
            return None  # an impossible date (February 30th): the exact rule says which and why
        low, high = _pc.min_max(ms).values()
        if low.as_py() < MIN_MS or high.as_py() >= MAX_MS:
            return None
        return ms

    def _properties(self, columns: dict, rows: int) -> list[str]:
        """The canonical properties JSON per row, as :func:`designer.store.columns.properties_json` writes it."""
        if not self.properties:
            return ["{}"] * rows
        texts = []
        sparse = False
        for prop in self.properties:
            column = columns[prop.index]
            text = self._json_texts(column)
            if text is None:  # the per-value rule, exactly as the exact path applies it
                values = column.to_pylist()
                filled = list(filter(None, values))
                text = _pa.array(prop.values(values, filled), _pa.string())
            empty = _pc.min(_pc.binary_length(column)).as_py() == 0
            texts.append((text, _pc.equal(_pc.binary_length(column), 0) if empty else None))
            sparse = sparse or empty
        if not sparse:
            # Every property in every row: '{"a":' value ',"b":' value ... '}' in one call.
            pieces: list = []
            for n, (prop, (text, _)) in enumerate(zip(self.properties, texts)):
                pieces += [("{" if n == 0 else ",") + prop.key + ":", text]
            return _pc.binary_join_element_wise(*pieces, "}", "").to_pylist()
        # Empty cells leave their property out: ',"key":value' parts, joined, first comma dropped.
        parts = []
        for prefix, (text, empty) in zip(self.prefixes, texts):
            part = _pc.binary_join_element_wise(prefix, text, "")
            parts.append(part if empty is None else _pc.if_else(empty, "", part))
        joined = _pc.binary_join_element_wise(*parts, "") if len(parts) > 1 else parts[0]
        body = _pc.utf8_slice_codeunits(joined, 1)
        return _pc.binary_join_element_wise("{", body, "}", "").to_pylist()

    @staticmethod
    def _json_texts(column):
        """Each cell's JSON text (numbers as written, other text quoted), or None if a cell needs the per-value rule.

        A cell that starts like a number but is no plain one (``007``, ``1e3``,
        a 19-digit id) or holds a character JSON escapes is left to the rule.
        The cheapest proof is tried first: no cell starts like a number, or every
        cell is a plain number (which holds nothing to escape).
        """
        numeric = _pc.match_substring_regex(column, _NUMBER_START)
        if not _any(numeric):
            if _any(_pc.match_substring_regex(column, _ESCAPED)):
                return None
            return _pc.binary_join_element_wise('"', column, '"', "")
        number = _pc.match_substring_regex(column, _PLAIN_NUMBER)
        if _any(_pc.and_(numeric, _pc.invert(number))):
            return None
        if _pc.max(_pc.binary_length(column)).as_py() > _MAX_NUMBER and _any(
            _pc.and_(number, _pc.greater(_pc.binary_length(column), _MAX_NUMBER))
        ):
            return None
        if _pc.all(number).as_py():
            return column
        if _any(_pc.match_substring_regex(column, _ESCAPED)):
            return None
        return _pc.if_else(number, column, _pc.binary_join_element_wise('"', column, '"', ""))


__all__ = ["AVAILABLE", "ArrowConverter", "compiled_bytes", "concat", "read_table"]
