"""Reading import files: plain or gzip, CSV or JSON Lines, in batches, bounded memory.

A :class:`EventSource` turns a file and a :class:`~designer.store.mapping.Mapping`
into batches of ready-to-store events, as columns (external customer id,
canonical name, epoch ms, canonical properties JSON, dedupe key), plus the rows it
rejected, each with its line number and the reason. It holds one batch at a
time, so a file of any size is read in flat memory. CSV is read a block and
a column at a time (:mod:`designer.store.csvtext`, :mod:`designer.store.columns`);
JSON Lines a record at a time.

Reject reasons (the text starts with one of these):
``wrong column count``, ``empty customer id``, ``empty event name``,
``unparseable time`` / ``empty time`` / ``time ... out of range``,
``bad encoding`` (not UTF-8), ``bad CSV`` (the CSV parser's complaint),
``invalid JSON``, ``not a JSON object``, ``line too long``, ``file is cut off``
(a compressed file that ends early), ``the file ends in the middle of this row``,
``unclosed quote`` (a quoted CSV field running past
:data:`~designer.store.csvtext.MAX_RECORD_LINES` lines or to the end of the
file: the record is rejected by its first line and the lines after it are read
again, as is a field past the 1 MiB limit). Compressed data that turns out
damaged is no reject: it raises :class:`DamagedStream`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import hmac
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import compress, repeat
from json.encoder import encode_basestring
from pathlib import Path
from typing import BinaryIO
from zlib import error as zlib_error

from designer.store import arrowcsv
from designer.store.codec import dedupe_keys, json_scalar
from designer.store.columns import Memo, PropertyColumn, TimeColumn, mapped, properties_json
from designer.store.csvtext import MAX_RECORD_LINES, READ_CHUNK, Feeder, FieldOverrun, TextStream, plain_lines
from designer.store.mapping import Mapping, MappingError
from designer.store.parquet import ParquetRecords, ParquetUnavailable, is_parquet, parquet_files
from designer.store.timeparse import TimeError, TimeParser

#: Why a record holding a NUL character is refused: it would end up inside a stored id or
#: event name that no command line can type (so could never be erased by id).
NUL_BYTE = "NUL character in the record"

#: Longest line (bytes) a JSON Lines record may have, and longest CSV field
#: (characters); longer ones are rejected.
MAX_LINE = 1 << 20
_SNIFF_BYTES = 64 * 1024
#: What a compressed file raises while it is read: cut short (``EOFError``; what came before is
#: intact) or damaged (``zlib.error``, a failed checksum: what was decoded may be garbage).
_CUT_OFF = (EOFError, gzip.BadGzipFile, zlib_error)
_DAMAGED = (gzip.BadGzipFile, zlib_error)

csv.field_size_limit(MAX_LINE)


#: Why a record whose quoted field never closes is refused (formatted with how far it runs).
UNCLOSED_QUOTE = "unclosed quote: the quoted field starting on this line {}; the lines after it are read again"

#: Why a last row with all its cells but no line break after it is refused.
CUT_OFF_ROW = (
    "the file ends in the middle of this row (no line break after it), so it looks cut off; "
    "if the row is complete, end the file with a line break and import it again"
)


class SourceError(Exception):
    """The file cannot be read at all (missing, unreadable, not CSV/JSON Lines)."""


class DamagedStream(SourceError):
    """The file's compressed data is damaged: what it decoded to cannot be trusted.

    Unlike a file cut short, the damage is found only some way after it (a bad code, or the
    checksum at the end), so rows decoded before it may be garbage already: the import that
    meets it removes what it stored from the file (see :mod:`designer.store.importer`).
    """


@dataclass
class Batch:
    # One entry per event to store, in file order.
    customers: list[str] = field(default_factory=list)  # external ids
    names: list[str] = field(default_factory=list)  # canonical event names
    times: list[int] = field(default_factory=list)  # epoch ms UTC
    properties: list[str] = field(default_factory=list)  # canonical JSON (designer.store.codec)
    keys: Sequence[int] = field(default_factory=list)  # dedupe keys (designer.store.codec.dedupe_keys)
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, reason), in line order
    read: int = 0  # records consumed (events + rejects)
    done: bool = False
    lines: Sequence[int] = field(default_factory=list)  # each event's line (or row) in the file
    # Customers as distinct ids and one code per event (``customers`` then empty): how a batch
    # crosses from the parser process, so the storing side resolves each id once per batch.
    customer_values: list[str] | None = None
    customer_codes: Sequence[int] | None = None

    def external_ids(self) -> list[str]:
        """The customer id of each event, however the batch holds them."""
        if self.customer_codes is None:
            return self.customers
        return list(map(self.customer_values.__getitem__, self.customer_codes))

    def without(self, refused: set[str], reason: str) -> "Batch":
        """This batch less the events of the customers in ``refused``, each a reject with ``reason``
        (the customers come back one id per event)."""
        customers = self.external_ids()
        keep = [c not in refused for c in customers]
        rejects = sorted(self.rejects + [(line, reason) for line, k in zip(self.lines, keep) if not k])
        kept = (list(compress(values, keep)) for values in (customers, self.names, self.times,
                                                            self.properties, self.keys, self.lines))
        customers, names, times, properties, keys, lines = kept
        return Batch(customers, names, times, properties, keys, rejects, self.read, self.done, lines)


def open_binary(path: str | Path) -> tuple[BinaryIO, BinaryIO]:
    """``(stream, raw)``: the decompressed byte stream and the file under it (for progress)."""
    try:
        raw = open(path, "rb", buffering=READ_CHUNK)
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from exc
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    return raw, raw


def file_digest(path: str | Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of the file's bytes as stored (for a folder of Parquet files: of each
    file's path within the folder and bytes, in name order)."""
    digest = hashlib.sha256()
    size = 0
    folder = Path(path)
    files = parquet_files(folder) if folder.is_dir() else [folder]
    try:
        for name in files:
            if folder.is_dir():
                digest.update(str(name.relative_to(folder)).encode("utf-8", "surrogatepass") + b"\0")
            with open(name, "rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest(), size


def detect_format(path: str | Path, mapping: Mapping) -> str:
    """``csv``, ``jsonl`` or ``parquet``: as the mapping says, else by extension, else by the first bytes."""
    if mapping.format:
        return mapping.format
    if is_parquet(path):
        return "parquet"
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    stream, raw = open_binary(path)
    try:
        head = stream.read(4096)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise SourceError(f"cannot read {path}: {exc}") from exc
    finally:
        raw.close()
    return "jsonl" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


class Pseudonymiser:
    """Keyed hashing of values (HMAC-SHA256 with the store's key, kept apart: designer.store.keys).

    The same value always gives the same pseudonym in one store (so a hashed
    customer id still groups that customer's events) and cannot be reversed
    without the key. Values with an ``@`` are lower-cased and trimmed first,
    so ``Ann@Example.com`` and ``ann@example.com`` agree.
    """

    def __init__(self, salt: str) -> None:
        self.key = salt.encode()

    def value(self, value):
        """A JSON value pseudonymised whatever its type, so nothing of it is stored raw.

        A number or boolean gets the pseudonym of its JSON text (``33612345678`` the same as the
        text cell ``33612345678`` in a CSV), a list one per item (a list of emails stays a list
        whose items match each email's pseudonym elsewhere), an object one for its whole
        canonical JSON (its keys may identify someone too). Null and blank text stay as they are.
        """
        if value is None:
            return None
        if isinstance(value, str):
            return self(value) if value.strip() else value
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return self(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True))
        return self(json_scalar(value).strip('"'))

    def __call__(self, value: str) -> str:
        value = value.strip()
        if "@" in value:
            value = value.lower()
        return "p_" + hmac.new(self.key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


def _resolve(ref, names: list[str] | None, what: str) -> int:
    """Column index for a mapping reference; MappingError naming the columns when absent."""
    if isinstance(ref, int):
        return ref
    if names is None:
        raise MappingError(f"the {what} column is named {ref!r} but the file has no header; give 'columns' or an index")
    lowered = [n.strip().lower() for n in names]
    candidates = ref if isinstance(ref, tuple) else (ref,)
    for candidate in candidates:
        if candidate.lower() in lowered:
            return lowered.index(candidate.lower())
    shown = ", ".join(names[:20])
    wanted = " or ".join(repr(c) for c in candidates[:6])
    raise MappingError(f"no {what} column {wanted} in the header (columns: {shown})")


class EventSource:
    """Batches of events from one file; see the module docstring."""

    def __init__(
        self,
        path: str | Path,
        mapping: Mapping,
        tz: str = "UTC",
        pseudonymise: tuple[str, ...] = (),
        drop: tuple[str, ...] = (),
        salt: str = "",
        compiled: bool = True,
    ) -> None:
        self.path = Path(path)
        # CSV: plain blocks through Arrow (designer.store.arrowcsv) where pyarrow is installed.
        self.compiled = compiled and arrowcsv.AVAILABLE
        self.mapping = mapping
        self.format = detect_format(path, mapping)
        self.times = TimeParser(tz, mapping.time_unit)
        self.pseudonymise = tuple(pseudonymise)
        self.drop = tuple(drop)
        self.pseudonym = Pseudonymiser(salt) if pseudonymise else None
        self._line = 0  # the last line of the file consumed (for Parquet: the last row)
        self._pending: list | None = None  # a first CSV row that turned out to be data
        self._pending_line = 0
        self.records: ParquetRecords | None = None
        self._records = None  # the compiled Parquet path (designer.store.arrowrecords)
        if self.format == "parquet":
            try:
                self.records = ParquetRecords(path, tz)
            except (ValueError, ParquetUnavailable) as exc:
                raise SourceError(str(exc)) from None
            self.stream = self.raw = None
            self.size = self.records.size
            self._open_jsonl()  # named fields, read by the JSON Lines record rules
            if self.compiled:
                from designer.store.arrowrecords import RecordConverter

                self._records = RecordConverter(self)
            return
        self.stream, self.raw = open_binary(path)
        self.size = self.raw.seek(0, io.SEEK_END)
        self.raw.seek(0)
        if self.format == "csv":
            self._open_csv()
        else:
            self._open_jsonl()

    # -- shared ---------------------------------------------------------------------

    def position(self) -> int:
        """Bytes of the file (compressed, if it is) read so far."""
        if self.records is not None:
            return self.records.position()
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return self.size

    def _damaged(self, exc: Exception) -> DamagedStream:
        """The error for damaged compressed data, naming where it was found (bytes of the file as stored)."""
        return DamagedStream(
            f"{self.path}: the compressed data is damaged ({exc}); found by byte {self.position():,} of "
            f"{self.size:,}, after line {self._line:,}; rows decoded before it cannot be trusted"
        )

    def close(self) -> None:
        if self.records is not None:
            self.records.close()
            return
        try:
            self.stream.close()
        finally:
            self.raw.close()

    def __enter__(self) -> EventSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _event_name(self, raw: str) -> str | None:
        """The canonical name for an event name as written (None when blank)."""
        name = raw.strip()
        if not name:
            return None
        mapped = self.mapping.events.get(name)
        if mapped is None:
            mapped = self.mapping.events.get(name.lower(), name)
        return mapped

    def _check_privacy_names(self, known: list[str], used: dict[str, int]) -> None:
        lowered = {n.lower() for n in known}
        for name in self.pseudonymise + self.drop:
            if name.lower() not in lowered:
                raise MappingError(f"no column {name!r} to pseudonymise or drop (columns: {', '.join(known[:20])})")
        for name in self.drop:
            for role, index in used.items():
                if known[index].lower() == name.lower():
                    raise MappingError(f"cannot drop {name!r}: it is the {role} column (pseudonymise it instead)")

    # -- CSV --------------------------------------------------------------------------

    def _sniff_delimiter(self) -> str:
        if self.mapping.delimiter:
            return self.mapping.delimiter
        try:
            sample = self.stream.read(_SNIFF_BYTES)
        except _CUT_OFF:
            sample = b""  # the data loop reports the cut
        except OSError as exc:
            raise SourceError(f"cannot read {self.path}: {exc}") from exc
        self.stream.close()
        self.stream, self.raw = open_binary(self.path)
        text = sample.decode("utf-8", "replace")
        lines = text.splitlines()
        if len(lines) > 1 and not text.endswith(("\n", "\r")):
            text = "\n".join(lines[:-1])  # the sample ends mid-line
        try:
            return csv.Sniffer().sniff(text, delimiters=",;\t|").delimiter
        except csv.Error:
            return ","

    def _csv_reader(self, block: str = ""):
        self._feeder = Feeder(block, self.text)
        self._reader = csv.reader(self._feeder, delimiter=self.delimiter, strict=False)
        self._reader_base = self._line  # the feeder's lines handed out count from here

    def _open_csv(self) -> None:
        m = self.mapping
        self.delimiter = self._sniff_delimiter()
        self.text = TextStream(self.stream)
        self._lines: list[str] = []  # plain lines of the current block not consumed yet
        self._clean = True  # every line in _lines has the right number of delimiters
        self._reader = None  # csv.reader while a block that is not plain is read
        self._done = False
        self._cut_line: str | None = None  # a last line the file ends in without a break
        self._arrow: arrowcsv.ArrowConverter | None = None  # the compiled path, when it serves this file
        self._arrow_rest: tuple | None = None  # (Arrow table, its first line): rows parsed, not handed out
        self._held: str | None = None  # text the compiled path gave back to the exact path, next in line
        self._cut_exc: EOFError | None = None  # a cut-off compressed file, met by the compiled path
        self._csv_reader()
        first = None
        first_line = 0
        while first is None:
            self._feeder.start_record()
            try:
                row = next(self._reader)
            except StopIteration:
                break
            except _DAMAGED as exc:
                raise self._damaged(exc) from None
            except FieldOverrun:
                raise SourceError(f"cannot read the first row of {self.path}: it opens a quote that is not "
                                  f"closed within {MAX_RECORD_LINES:,} lines") from None
            except (csv.Error, EOFError) as exc:
                raise SourceError(f"cannot read the first row of {self.path}: {exc}") from exc
            if row:
                first = row
            else:
                first_line = self._feeder.handed  # blank lines before it
        first_line += 1  # where the first record starts
        self._line = self._feeder.handed
        self._reader = None
        names: list[str] | None = list(m.columns) if m.columns else None
        header = m.header
        stripped = [c.strip() for c in first] if first else []
        if header is None and first:
            if names is not None:
                header = [c.lower() for c in stripped] == [c.lower() for c in names]
            elif all(isinstance(r, int) for r in (m.customer, m.event, m.time)):
                try:
                    self.times(first[m.time]) if m.time < len(first) else None
                    header = False
                except TimeError:
                    header = True
            else:
                header = True
        if header and first:
            names = stripped
        elif first:
            self._pending, self._pending_line = first, first_line
        if names is None and first is not None:
            if any(not isinstance(r, int) for r in (m.customer, m.event, m.time)):
                raise MappingError("the file has no header; name its columns with 'columns' or map by index")
            names = [f"column_{i}" for i in range(len(first))]
        if names is None:  # empty file
            self.columns = 0
            self._props: list[PropertyColumn] = []
            self.ci = self.ei = self.ti = 0
            self._pseudo_idx: list[int] = []
            return
        self.column_names = names
        self.columns = len(names)
        self.ci = _resolve(m.customer, names, "customer")
        self.ei = _resolve(m.event, names, "event")
        self.ti = _resolve(m.time, names, "time")
        for role, index in (("customer", self.ci), ("event", self.ei), ("time", self.ti)):
            if index >= self.columns:
                raise MappingError(f"the {role} column index {index} is beyond the file's {self.columns} columns")
        used = {"customer": self.ci, "event": self.ei, "time": self.ti}
        self._check_privacy_names(names, used)
        lowered = [n.lower() for n in names]
        excluded = {x.lower() for x in m.exclude + self.drop}
        if m.properties is None:
            indexes = [i for i in range(self.columns) if i not in used.values() and lowered[i] not in excluded]
        else:
            indexes = []
            for ref in m.properties:
                i = _resolve(ref, names, "property")
                if i >= self.columns:
                    raise MappingError(f"property column index {i} is beyond the file's {self.columns} columns")
                if lowered[i] not in excluded:
                    indexes.append(i)
        props = []
        seen: set[str] = set()
        for i in indexes:
            key = m.rename.get(names[i], names[i]) or f"column_{i}"
            if key in seen:
                raise MappingError(f"two columns would both become property {key!r}; rename one")
            seen.add(key)
            props.append((i, key))
        props.sort(key=lambda p: p[1])  # sorted keys: canonical JSON, stable dedupe keys
        self._props = [PropertyColumn(i, key) for i, key in props]
        pseudo = {p.lower() for p in self.pseudonymise}
        self._pseudo_idx = [i for i in range(self.columns) if lowered[i] in pseudo]
        self._wanted = sorted({self.ci, self.ei, self.ti, *(p.index for p in self._props)})
        self._time_column = TimeColumn(self.times)
        self._name_memo = Memo(self._event_name)
        pseudonym = self.pseudonym
        self._pseudo_memo = Memo(lambda v: pseudonym(v) if v.strip() else v) if pseudonym else None
        if self.compiled and self.columns > 1:
            self._arrow = arrowcsv.ArrowConverter(
                self.ci, self.ei, self.ti, self._props, self._name_memo, self._time_column,
                self._pseudo_idx, self._pseudo_memo,
            )

    def _csv_records(self, limit: int, rejects: list[tuple[int, str]]) -> tuple[int, list[list[str]], list[int]]:
        """Up to ``limit`` records: ``(records read, wanted columns of the good rows, their lines)``.

        Rows with the wrong number of cells, undecodable bytes or CSV the
        parser refuses go to ``rejects``; blank lines are not records.
        """
        ncols = self.columns
        want = ncols - 1
        delimiter = self.delimiter
        # In file order: (plain lines, None, their numbers) or (None, rows from csv.reader, their numbers).
        segments: list[tuple[list[str] | None, list[list[str]] | None, Sequence[int]]] = []
        records = 0
        pending = self._pending
        if pending is not None:
            self._pending = None
            rows: list[list[str]] = []
            numbers: list[int] = []
            records += self._csv_row(pending, self._pending_line, rows, numbers, rejects)
            segments.append((None, rows, numbers))
        try:
            while records < limit:
                if self._reader is not None:
                    rows, numbers = [], []
                    segments.append((None, rows, numbers))
                    records += self._csv_rows(limit - records, rows, numbers, rejects)
                    continue
                lines = self._lines
                if not lines:
                    if self._cut_line is not None:
                        # Files cut off mid-row exist in the wild; a last row with no line break
                        # after it is taken for one rather than stored with a clipped value.
                        self._cut_line = None
                        self._line += 1
                        records += 1
                        rejects.append((self._line, CUT_OFF_ROW))
                        continue
                    if self._held is not None:
                        block, self._held = self._held, None
                    elif self._done:
                        break
                    elif self._cut_exc is not None:
                        cut, self._cut_exc = self._cut_exc, None
                        raise cut
                    elif self._arrow is not None:
                        break  # the next block is the compiled path's to try
                    else:
                        block = self.text.block()
                    if block is None:
                        self._done = True
                        break
                    self._take_block(block)
                    lines = self._lines
                    if self._reader is not None or not lines:
                        continue
                first = self._line + 1
                if self._clean:
                    take = min(limit - records, len(lines))
                    segments.append((lines[:take], None, range(first, first + take)))
                    self._lines = lines[take:]
                    self._line += take
                    records += take
                    continue
                # Some lines are blank or have the wrong number of cells: line by line.
                good: list[str] = []
                numbers = []
                taken = 0
                for taken, line in enumerate(lines, 1):
                    number = first + taken - 1
                    found = line.count(delimiter)
                    if found == want and "\x00" in line:
                        rejects.append((number, NUL_BYTE))
                    elif found == want:
                        good.append(line)
                        numbers.append(number)
                    elif found == 0 and not line.strip():
                        continue  # a blank line is not a record
                    else:
                        rejects.append((number, f"wrong column count: expected {ncols}, found {found + 1}"))
                    records += 1
                    if records >= limit:
                        break
                segments.append((good, None, numbers))
                self._lines = lines[taken:]
                self._line += taken
        except _DAMAGED as exc:
            raise self._damaged(exc) from None
        except EOFError as exc:
            # A compressed file cut short: what came before stands, the rest is reported.
            records += 1
            rejects.append((self._line + 1, f"file is cut off: {exc}"))
            self._done, self._lines, self._reader = True, [], None
        wanted = self._wanted
        columns: list[list[str]] = [[] for _ in range(ncols)]
        lines_of_rows: list[int] = []
        for lines, rows, numbers in segments:
            if lines:
                cells = delimiter.join(lines).split(delimiter)
                for i in wanted:
                    columns[i] += cells[i::ncols]
            elif rows:
                for i in wanted:
                    columns[i] += [row[i] for row in rows]
            lines_of_rows += numbers
        return records, columns, lines_of_rows

    def _take_block(self, block: str) -> None:
        """Make a block of text the exact path's next lines (plain) or its csv.reader's input."""
        ncols = self.columns
        lines = plain_lines(block, MAX_LINE) if ncols > 1 else None
        if lines is None:
            self._csv_reader(block)
            return
        # A cut row short of cells is already a wrong column count; one with all its
        # cells may still have lost the end of its last value.
        if self.text.cut_mid_line and lines and lines[-1].count(self.delimiter) == ncols - 1:
            self._cut_line = lines.pop()
        counts = set(map(str.count, lines, repeat(self.delimiter)))
        self._lines, self._clean = lines, counts == {ncols - 1} and "\x00" not in block

    def _compiled_ready(self) -> bool:
        """Whether the next records are the compiled path's: rows it holds, or a block nobody has read yet."""
        if self._arrow is None:
            return False
        if self._arrow_rest is not None:
            return True
        return not (self._lines or self._reader is not None or self._pending is not None or self._done
                    or self._cut_line is not None or self._held is not None or self._cut_exc is not None)

    def _compiled_table(self, limit: int):
        """About ``limit`` lines of blocks the compiled path may read, as one Arrow table; None if none.

        The first block it may not take, and any run Arrow refuses, is held for the exact path.
        """
        parts: list[str] = []
        data: list[bytes] = []
        lines = 0
        while lines < limit:
            try:
                block = self.text.block()
            except _DAMAGED as exc:
                raise self._damaged(exc) from None
            except EOFError as exc:
                self._cut_exc = exc  # reported by the exact path, after these lines
                break
            if block is None:
                self._done = True
                break
            raw = arrowcsv.compiled_bytes(block, self.delimiter, self.columns, MAX_LINE)
            if raw is None:
                self._held = block
                break
            parts.append(block)
            data.append(raw)
            lines += raw.count(b"\n")
        if not data:
            return None
        table = arrowcsv.read_table(b"".join(data), self.columns, self.delimiter)
        if table is None:
            self._held = "".join(parts) + (self._held or "")
        return table

    def _compiled_batch(self, limit: int) -> Batch | None:
        """Up to ``limit`` records through the compiled path, or None when the exact path must read on."""
        table, first = self._arrow_rest or (None, self._line + 1)
        self._arrow_rest = None
        have = table.num_rows if table is not None else 0
        if have < limit and not (self._done or self._held is not None or self._cut_exc is not None):
            more = self._compiled_table(limit - have)
            if more is not None:
                table = more if table is None else arrowcsv.concat([table, more])
        if table is None:
            return None
        if table.num_rows > limit:
            self._arrow_rest = (table.slice(limit), first + limit)
            table = table.slice(0, limit)
        rows = table.num_rows
        self._line = first + rows - 1
        customers, names, times, properties, refused = self._arrow.convert(table)
        batch = Batch(read=rows)
        lines = range(first, first + rows)  # a compiled block holds one record per line
        if refused:
            batch.rejects = sorted((first + i, reason) for i, reason in refused.items())
            keep = [i not in refused for i in range(rows)]
            customers, names, times, properties, lines = (
                list(compress(values, keep)) for values in (customers, names, times, properties, lines)
            )
        batch.customers, batch.names, batch.times, batch.properties = customers, names, times, properties
        batch.lines = list(lines)
        batch.keys = dedupe_keys(names, properties)
        batch.done = self._done and self._arrow_rest is None and self._held is None and self._cut_exc is None
        return batch

    def _csv_row(self, row: list[str], line: int, rows: list, lines: list, rejects: list) -> int:
        """File one row read by csv.reader; returns 1 if it is a record, 0 for a blank line."""
        if len(row) != self.columns:
            if not row or (len(row) == 1 and not row[0].strip()):
                return 0  # a blank or whitespace-only line is not a record
            rejects.append((line, f"wrong column count: expected {self.columns}, found {len(row)}"))
            return 1
        joined = "".join(row)
        if "\x00" in joined:
            rejects.append((line, NUL_BYTE))
            return 1
        if not joined.isascii():
            try:
                joined.encode("utf-8")
            except UnicodeEncodeError:
                rejects.append((line, "bad encoding: not valid UTF-8"))
                return 1
        rows.append(row)
        lines.append(line)
        return 1

    def _csv_rows(self, limit: int, rows: list, lines: list, rejects: list) -> int:
        """Records from csv.reader until ``limit``, or until it stands at the end of its block."""
        reader, feeder, base = self._reader, self._feeder, self._reader_base
        prev = self._line
        records = 0
        try:
            while records < limit:
                line = prev + 1  # where the next record starts
                feeder.start_record()
                try:
                    row = next(reader)
                except StopIteration:
                    self._reader, self._done = None, True
                    break
                except FieldOverrun:
                    # A quote never closed: the record is rejected, the lines it took are records again.
                    feeder.give_back()
                    records += 1
                    rejects.append((line, UNCLOSED_QUOTE.format(f"runs past {MAX_RECORD_LINES:,} lines")))
                    prev = base + feeder.handed
                except csv.Error as exc:
                    feeder.give_back()  # a field past the size limit: as for an unclosed quote
                    records += 1
                    rejects.append((line, f"bad CSV: {exc}"))
                    prev = base + feeder.handed
                else:
                    if feeder.ran_out:
                        # The file ends inside a quoted field that began on this record's first line.
                        feeder.give_back()
                        records += 1
                        rejects.append((line, UNCLOSED_QUOTE.format("runs to the end of the file")))
                        prev = base + feeder.handed
                        continue
                    prev = base + feeder.handed
                    if feeder.ended_mid_line and len(row) == self.columns:
                        # As for plain lines: a row the file stops in may have lost the end of its last value.
                        records += 1
                        rejects.append((line, CUT_OFF_ROW))
                    else:
                        records += self._csv_row(row, line, rows, lines, rejects)
                if feeder.exhausted:
                    self._reader = None  # at a record boundary: plain blocks again
                    break
        finally:
            self._line = prev
        return records

    def _csv_batch(self, limit: int) -> Batch:
        if self._compiled_ready():
            compiled = self._compiled_batch(limit)
            if compiled is not None:
                return compiled
        batch = Batch()
        rejects = batch.rejects
        batch.read, columns, lines = self._csv_records(limit, rejects)
        batch.done = (self._done and not self._lines and self._reader is None and self._held is None
                      and self._cut_exc is None and self._arrow_rest is None)
        if not lines:
            rejects.sort()
            return batch
        refused: dict[int, str] = {}  # row index -> reason (the first check that fails wins)
        if self._pseudo_memo is not None:
            for i in self._pseudo_idx:
                if columns[i]:
                    columns[i] = mapped(self._pseudo_memo, columns[i])
        customers = columns[self.ci]
        edges = "\x00" + "\x00".join(customers) + "\x00"  # cells never hold NUL: csv refuses it
        if "\x00\x00" in edges or "\x00 " in edges or " \x00" in edges:
            customers = [c.strip() if not c or c[0] == " " or c[-1] == " " else c for c in customers]
            for i, customer in enumerate(customers):
                if not customer:
                    refused[i] = "empty customer id"
        names = mapped(self._name_memo, columns[self.ei])
        if None in names:
            for i, name in enumerate(names):
                if name is None:
                    refused.setdefault(i, "empty event name")
        times = self._time_column.values(columns[self.ti])
        if str in set(map(type, times)):
            for i, value in enumerate(times):
                if type(value) is str:
                    refused.setdefault(i, value)
        properties = properties_json([(p, columns[p.index]) for p in self._props], len(lines))
        if refused:
            rejects.extend((lines[i], reason) for i, reason in refused.items())
            keep = [i not in refused for i in range(len(lines))]
            customers, names, times, properties, lines = (
                list(compress(values, keep)) for values in (customers, names, times, properties, lines)
            )
        rejects.sort()
        batch.customers, batch.names, batch.times, batch.properties = customers, names, times, properties
        batch.lines = lines
        batch.keys = dedupe_keys(names, properties)
        return batch

    # -- JSON Lines -------------------------------------------------------------------

    def _open_jsonl(self) -> None:
        m = self.mapping
        self._name_memo = Memo(self._event_name)
        for role in ("customer", "event", "time"):
            if isinstance(getattr(m, role), int):
                raise MappingError(f"JSON Lines fields are named; the {role} mapping cannot be an index")
        if m.properties is not None and any(isinstance(p, int) for p in m.properties):
            raise MappingError("JSON Lines fields are named; 'properties' cannot hold indexes")
        as_tuple = lambda ref: ref if isinstance(ref, tuple) else (ref,)  # noqa: E731
        self._keys = {role: as_tuple(getattr(m, role)) for role in ("customer", "event", "time")}
        self._excluded = {x.lower() for x in m.exclude + self.drop}
        self._listed = None if m.properties is None else set(m.properties)
        self._pseudo = {p.lower() for p in self.pseudonymise}
        dropped_roles = [r for r, keys in self._keys.items() if any(k.lower() in {d.lower() for d in self.drop} for k in keys)]
        if dropped_roles:
            raise MappingError(f"cannot drop the {dropped_roles[0]} field (pseudonymise it instead)")

    @staticmethod
    def _pick(obj: dict, keys: tuple[str, ...]):
        for k in keys:
            if k in obj:
                return k, obj[k]
        return None, None

    def _json_record(self, obj: dict) -> tuple | str:
        """``(customer, name, time_ms, properties_json)`` for one JSON object, or a reject reason."""
        ck, customer = self._pick(obj, self._keys["customer"])
        ek, event = self._pick(obj, self._keys["event"])
        tk, when = self._pick(obj, self._keys["time"])
        if isinstance(customer, bool) or not isinstance(customer, (str, int, float)) or customer == "":
            return "empty customer id"
        if isinstance(customer, float):
            if not customer.is_integer():
                return f"customer id {customer!r} is not text or an integer"
            customer = int(customer)
        customer = str(customer).strip()
        if not customer:
            return "empty customer id"
        if ck.lower() in self._pseudo:
            customer = self.pseudonym(customer)
        if not isinstance(event, str) or not event.strip():
            return "empty event name"
        name = self._name_memo[event]
        try:
            if isinstance(when, bool) or when is None:
                raise TimeError("empty time")
            if isinstance(when, (int, float)):
                ms = self.times.number(when)
            elif isinstance(when, str):
                ms = self.times(when)
            else:
                raise TimeError(f"unparseable time {when!r}")
        except TimeError as exc:
            return str(exc)
        used = {ck, ek, tk}
        rename = self.mapping.rename
        props = []
        for key, value in obj.items():
            if key in used or key.lower() in self._excluded:
                continue
            if self._listed is not None and key not in self._listed:
                continue
            if key.lower() in self._pseudo:
                value = self.pseudonym.value(value)
            text = json_scalar(value)
            if text is not None:
                props.append((rename.get(key, key), text))
        props.sort()
        body = "{" + ",".join(encode_basestring(k) + ":" + v for k, v in props) + "}"
        for text in (customer, name, body):
            text.encode("utf-8")  # lone surrogates (from \ud800 escapes) cannot be stored: a bad encoding
        return customer, name, ms, body

    def _jsonl_batch(self, limit: int) -> Batch:
        batch = Batch()
        customers, names, times, properties = batch.customers, batch.names, batch.times, batch.properties
        lines = batch.lines
        stream = self.stream
        line_no = self._line
        read = 0
        while read < limit:
            try:
                line = stream.readline(MAX_LINE + 1)
            except _DAMAGED as exc:
                self._line = line_no
                raise self._damaged(exc) from None
            except EOFError as exc:
                read += 1
                batch.rejects.append((line_no + 1, f"file is cut off: {exc}"))
                batch.done = True
                break
            if not line:
                batch.done = True
                break
            line_no += 1
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                while True:  # skip the rest of the over-long line
                    more = stream.readline(MAX_LINE)
                    if not more or more.endswith(b"\n"):
                        break
                read += 1
                batch.rejects.append((line_no, f"line too long: over {MAX_LINE} bytes"))
                continue
            stripped = line.strip()
            if not stripped:
                continue
            read += 1
            try:
                text = stripped.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError:
                batch.rejects.append((line_no, "bad encoding: not valid UTF-8"))
                continue
            try:
                obj = json.loads(text)
            except (ValueError, RecursionError) as exc:
                # ValueError beyond JSONDecodeError: a number of 4,300+ digits (Python's int limit).
                reason = (exc.msg if isinstance(exc, json.JSONDecodeError)
                          else "nested too deeply" if isinstance(exc, RecursionError) else "a number too long")
                batch.rejects.append((line_no, f"invalid JSON: {reason}"))
                continue
            if not isinstance(obj, dict):
                batch.rejects.append((line_no, "not a JSON object"))
                continue
            if "\x00" in text or "\\u0000" in text:
                batch.rejects.append((line_no, NUL_BYTE))
                continue
            try:
                result = self._json_record(obj)
            except (ValueError, TypeError, OverflowError) as exc:  # e.g. lone surrogates from \ud800 escapes
                result = f"bad encoding: {exc}"
            if isinstance(result, str):
                batch.rejects.append((line_no, result))
            else:
                customer, name, ms, body = result
                customers.append(customer)
                names.append(name)
                times.append(ms)
                properties.append(body)
                lines.append(line_no)
        self._line = line_no
        batch.read = read
        batch.keys = dedupe_keys(names, properties)
        return batch

    # -- public -----------------------------------------------------------------------

    def _parquet_batch(self, limit: int) -> Batch:
        """Rows of a Parquet file through the JSON Lines record rules; a reject names its row.

        Each table goes column-wise through :mod:`designer.store.arrowrecords` when it
        can, else row by row through :meth:`_json_record`; both give the same events.
        """
        batch = Batch()
        try:
            tables = self.records.take_tables(limit)
        except (ValueError, OSError) as exc:
            raise SourceError(f"{self.path}: after row {self._line}: {exc}") from None
        for table in tables:
            first = self._line + 1
            converted = self._records.convert(table) if self._records is not None else None
            if converted is None:
                self._parquet_rows(self.records.rows(table), batch)
                continue
            customers, names, times, properties, refused = converted
            lines = range(first, first + table.num_rows)
            if refused:
                batch.rejects += sorted((first + i, reason) for i, reason in refused.items())
                keep = [i not in refused for i in range(table.num_rows)]
                customers, names, times, properties, lines = (
                    list(compress(values, keep)) for values in (customers, names, times, properties, lines)
                )
            batch.lines += lines
            batch.customers += customers
            batch.names += names
            batch.times += times
            batch.properties += properties
            self._line += table.num_rows
        batch.read = sum(t.num_rows for t in tables)
        batch.done = batch.read < limit
        batch.keys = dedupe_keys(batch.names, batch.properties)
        return batch

    def _parquet_rows(self, rows: list[dict], batch: Batch) -> None:
        """Parquet rows as objects, one at a time through the JSON Lines record rules."""
        row_no = self._line
        for obj in rows:
            row_no += 1
            try:
                result = self._json_record(obj)
            except (ValueError, TypeError, OverflowError) as exc:
                result = f"bad encoding: {exc}"
            if isinstance(result, str):
                batch.rejects.append((row_no, result))
            else:
                customer, name, ms, body = result
                batch.customers.append(customer)
                batch.names.append(name)
                batch.times.append(ms)
                batch.properties.append(body)
                batch.lines.append(row_no)
        self._line = row_no

    def next_batch(self, limit: int) -> Batch:
        """Up to ``limit`` records (stored rows plus rejects)."""
        try:
            if self.format == "parquet":
                return self._parquet_batch(limit)
            if self.format == "csv":
                if self.columns == 0 and self._pending is None:
                    return Batch(done=True)
                return self._csv_batch(limit)
            return self._jsonl_batch(limit)
        except OSError as exc:
            raise SourceError(f"cannot read {self.path} after line {self._line}: {exc}") from exc

    def skip(self, records: int) -> int:
        """Pass over the first ``records`` records (resuming); returns how many were skipped."""
        skipped = 0
        while skipped < records:
            batch = self.next_batch(min(50_000, records - skipped))
            skipped += batch.read
            if batch.done:
                break
        return skipped



__all__ = ["Batch", "DamagedStream", "EventSource", "Pseudonymiser", "SourceError", "detect_format", "file_digest", "open_binary"]
