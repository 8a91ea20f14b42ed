"""Reading import files: plain or gzip, CSV or JSON Lines, row by row, bounded memory.

A :class:`EventSource` turns a file and a :class:`~designer.store.mapping.Mapping`
into batches of ready-to-store events ``(name, time_ms, properties_json,
dedupe_key, external_id)`` plus the rows it rejected, each with its line
number and the reason. It holds one batch at a time, so a file of any size
is read in flat memory.

Reject reasons (the text starts with one of these):
``wrong column count``, ``empty customer id``, ``empty event name``,
``unparseable time`` / ``empty time`` / ``time ... out of range``,
``bad encoding`` (not UTF-8), ``bad CSV`` (the CSV parser's complaint),
``invalid JSON``, ``not a JSON object``, ``line too long``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import hmac
import io
import json
import threading
from dataclasses import dataclass, field
from hashlib import blake2b
from json.encoder import encode_basestring
from pathlib import Path
from typing import BinaryIO
from zlib import error as zlib_error

from designer.store.codec import dedupe_key, json_scalar, json_value
from designer.store.mapping import Mapping, MappingError
from designer.store.timeparse import TimeError, TimeParser

#: Longest line (bytes) a JSON Lines record may have; longer ones are rejected.
MAX_LINE = 1 << 20
#: Cap on distinct event names remembered for the name cache.
_MAX_NAMES = 10_000
#: Entries kept per memo of cell -> JSON (and time text -> ms) before it starts afresh.
_MEMO_MAX = 65_536
_SNIFF_BYTES = 64 * 1024
#: Bytes per read from the file. Large reads matter with the writer thread:
#: every read releases the interpreter lock, and winning it back can wait a
#: whole switch interval while the writer holds it.
_READ_CHUNK = 1 << 20
#: What a compressed file cut short raises while it is read.
_CUT_OFF = (EOFError, gzip.BadGzipFile, zlib_error)

csv.field_size_limit(MAX_LINE)


class SourceError(Exception):
    """The file cannot be read at all (missing, unreadable, not CSV/JSON Lines)."""


@dataclass
class Batch:
    # (name, time_ms, properties_json, dedupe_key, external_id): the order the
    # SQLite insert binds them in, so the writer passes the list as it is.
    rows: list[tuple] = field(default_factory=list)
    rejects: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    read: int = 0  # records consumed (rows + rejects)
    done: bool = False


def open_binary(path: str | Path) -> tuple[BinaryIO, BinaryIO]:
    """``(stream, raw)``: the decompressed byte stream and the file under it (for progress)."""
    try:
        raw = open(path, "rb", buffering=_READ_CHUNK)
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from exc
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw
    return raw, raw


def file_digest(path: str | Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of the file's bytes as stored."""
    digest = hashlib.sha256()
    size = 0
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest(), size


def detect_format(path: str | Path, mapping: Mapping) -> str:
    """``csv`` or ``jsonl``: as the mapping says, else by extension, else by the first byte."""
    if mapping.format:
        return mapping.format
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
    """Keyed hashing of values (HMAC-SHA256 with the store's salt).

    The same value always gives the same pseudonym in one store (so a hashed
    customer id still groups that customer's events) and cannot be reversed
    without the salt. Values with an ``@`` are lower-cased and trimmed first,
    so ``Ann@Example.com`` and ``ann@example.com`` agree.
    """

    def __init__(self, salt: str) -> None:
        self.key = salt.encode()

    def __call__(self, value: str) -> str:
        value = value.strip()
        if "@" in value:
            value = value.lower()
        return "p_" + hmac.new(self.key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


class _BadBytes:
    """Whether the text decoder has met bytes that are not UTF-8 (see :func:`_note_bad_bytes`)."""

    def __init__(self) -> None:
        self.seen = False


_DECODING = threading.local()  # .flag: the _BadBytes of the file this thread is reading


def _note_bad_bytes(error: UnicodeDecodeError):
    """Decoding error handler: note that bytes were not UTF-8, then escape them.

    The escaped bytes become lone surrogates in the text. Rows are scanned for
    them only after this has fired (a chunk is decoded before its rows are
    parsed), so clean files pay nothing for the check.
    """
    flag = getattr(_DECODING, "flag", None)
    if flag is not None:
        flag.seen = True
    return codecs.lookup_error("surrogateescape")(error)


_BAD_BYTES_HANDLER = "trigger-flow-designer-note-bad-bytes"
codecs.register_error(_BAD_BYTES_HANDLER, _note_bad_bytes)


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
    ) -> None:
        self.path = Path(path)
        self.mapping = mapping
        self.format = detect_format(path, mapping)
        self.times = TimeParser(tz, mapping.time_unit)
        self.pseudonymise = tuple(pseudonymise)
        self.drop = tuple(drop)
        self.pseudonym = Pseudonymiser(salt) if pseudonymise else None
        self.stream, self.raw = open_binary(path)
        self.size = self.raw.seek(0, io.SEEK_END)
        self.raw.seek(0)
        self.names: dict[str, str] = dict(mapping.events)
        self._line = 0
        self._time_memo: dict[str, int] | None = {}
        self._pending: list | None = None  # a first CSV row that turned out to be data
        self._pending_line = 0
        if self.format == "csv":
            self._open_csv()
        else:
            self._open_jsonl()

    # -- shared ---------------------------------------------------------------------

    def position(self) -> int:
        """Bytes of the file (compressed, if it is) read so far."""
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return self.size

    def close(self) -> None:
        try:
            self.stream.close()
        finally:
            self.raw.close()

    def __enter__(self) -> EventSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _event_name(self, raw: str) -> str | None:
        name = raw.strip()
        if not name:
            return None
        mapped = self.mapping.events.get(name)
        if mapped is None:
            mapped = self.mapping.events.get(name.lower(), name)
        if len(self.names) < _MAX_NAMES:
            self.names[raw] = mapped
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

    def _text(self) -> io.TextIOWrapper:
        self._bad_bytes = _BadBytes()
        _DECODING.flag = self._bad_bytes
        text = io.TextIOWrapper(self.stream, encoding="utf-8-sig", errors=_BAD_BYTES_HANDLER, newline="")
        text._CHUNK_SIZE = _READ_CHUNK  # few large reads: each read lets the writer thread take the GIL
        return text

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

    def _open_csv(self) -> None:
        m = self.mapping
        self.delimiter = self._sniff_delimiter()
        self.text = self._text()
        self.reader = csv.reader(self.text, delimiter=self.delimiter, strict=False)
        first = None
        while first is None:
            try:
                row = next(self.reader)
            except StopIteration:
                break
            except (csv.Error, *_CUT_OFF) as exc:
                raise SourceError(f"cannot read the first row of {self.path}: {exc}") from exc
            if row:
                first = row
        first_line = self.reader.line_num
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
            self._props: list[tuple[int, str]] = []
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
        # Each property column remembers the JSON of values it has seen: ids,
        # prices and categories repeat, and typing a cell is the costly part.
        self._props = [(i, encode_basestring(k) + ":", {}) for i, k in props]
        pseudo = {p.lower() for p in self.pseudonymise}
        self._pseudo_idx = [i for i in range(self.columns) if lowered[i] in pseudo]

    def _csv_batch(self, limit: int) -> Batch:
        batch = Batch()
        rows, rejects = batch.rows, batch.rejects
        reader = self.reader
        ncols, ci, ei, ti = self.columns, self.ci, self.ei, self.ti
        props = self._props
        names = self.names
        event_name = self._event_name
        times = self.times
        pseudo_idx, pseudonym = self._pseudo_idx, self.pseudonym
        time_memo = self._time_memo
        bad_bytes = self._bad_bytes
        _DECODING.flag = bad_bytes
        undecodable = bad_bytes.seen
        append = rows.append
        prev = self._line
        read = 0
        pending = self._pending
        while read < limit:
            if pending is not None:
                row, line = pending, self._pending_line
                pending = self._pending = None
                prev = line
            else:
                try:
                    row = next(reader)
                except StopIteration:
                    batch.done = True
                    break
                except _CUT_OFF as exc:
                    read += 1
                    rejects.append((prev + 1, f"file is cut off: {exc}"))
                    batch.done = True
                    break
                except csv.Error as exc:
                    line = prev + 1
                    prev = reader.line_num
                    read += 1
                    rejects.append((line, f"bad CSV: {exc}"))
                    continue
                line = prev + 1
                prev = reader.line_num
                if not row:
                    continue  # a blank line is not a record
            read += 1
            if len(row) != ncols:
                if len(row) == 1 and not row[0].strip():
                    read -= 1
                    continue  # whitespace-only line
                rejects.append((line, f"wrong column count: expected {ncols}, found {len(row)}"))
                continue
            if undecodable or bad_bytes.seen:
                undecodable = True  # from the chunk with bad bytes on, every row is checked
                joined = "".join(row)
                if not joined.isascii():
                    try:
                        joined.encode("utf-8")
                    except UnicodeEncodeError:
                        rejects.append((line, "bad encoding: not valid UTF-8"))
                        continue
            if pseudo_idx:
                for i in pseudo_idx:
                    if row[i].strip():
                        row[i] = pseudonym(row[i])
            customer = row[ci]
            if not customer or customer[0] == " " or customer[-1] == " ":
                customer = customer.strip()
                if not customer:
                    rejects.append((line, "empty customer id"))
                    continue
            name = names.get(row[ei])
            if name is None:
                name = event_name(row[ei])
                if name is None:
                    rejects.append((line, "empty event name"))
                    continue
            cell = row[ti]
            ms = time_memo.get(cell) if time_memo is not None else None
            if ms is None:
                try:
                    ms = times(cell)
                except TimeError as exc:
                    rejects.append((line, str(exc)))
                    continue
                if time_memo is not None:
                    if len(time_memo) >= _MEMO_MAX:
                        time_memo.clear()
                    time_memo[cell] = ms
            parts = []
            for i, prefix, memo in props:
                cell = row[i]
                if cell:
                    if memo is None:
                        parts.append(prefix + json_value(cell))
                        continue
                    part = memo.get(cell)
                    if part is None:
                        part = prefix + json_value(cell)
                        if len(memo) >= _MEMO_MAX:
                            memo.clear()
                        memo[cell] = part
                    parts.append(part)
            text = "{" + ",".join(parts) + "}"
            append(
                (
                    name,
                    ms,
                    text,
                    # codec.dedupe_key, inlined: this loop runs once per row.
                    blake2b(f"{customer}\x1f{name}\x1f{ms}\x1f{text}".encode(), digest_size=16).digest(),
                    customer,
                )
            )
        self._line = prev
        batch.read = read
        if read >= 10_000:
            self._drop_useless_memos(read)
        return batch

    def _drop_useless_memos(self, rows: int) -> None:
        """Stop memoising columns whose values hardly repeat (order ids, exact times)."""
        if self._time_memo is not None and len(self._time_memo) > 0.95 * rows:
            self._time_memo = None
        self._props = [
            (i, prefix, None if memo is not None and len(memo) > 0.95 * rows else memo)
            for i, prefix, memo in self._props
        ]

    # -- JSON Lines -------------------------------------------------------------------

    def _open_jsonl(self) -> None:
        m = self.mapping
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
        """The stored event for one JSON object, or a reject reason."""
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
        name = self.names.get(event) or self._event_name(event)
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
            if key.lower() in self._pseudo and isinstance(value, str) and value.strip():
                value = self.pseudonym(value)
            text = json_scalar(value)
            if text is not None:
                props.append((rename.get(key, key), text))
        props.sort()
        body = "{" + ",".join(encode_basestring(k) + ":" + v for k, v in props) + "}"
        return name, ms, body, dedupe_key(customer, name, ms, body), customer

    def _jsonl_batch(self, limit: int) -> Batch:
        batch = Batch()
        stream = self.stream
        line_no = self._line
        read = 0
        while read < limit:
            try:
                line = stream.readline(MAX_LINE + 1)
            except _CUT_OFF as exc:
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
            except (json.JSONDecodeError, RecursionError) as exc:
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
                batch.rejects.append((line_no, f"invalid JSON: {reason}"))
                continue
            if not isinstance(obj, dict):
                batch.rejects.append((line_no, "not a JSON object"))
                continue
            try:
                result = self._json_record(obj)
            except (ValueError, TypeError, OverflowError) as exc:  # e.g. lone surrogates from \ud800 escapes
                result = f"bad encoding: {exc}"
            if isinstance(result, str):
                batch.rejects.append((line_no, result))
            else:
                batch.rows.append(result)
        self._line = line_no
        batch.read = read
        return batch

    # -- public -----------------------------------------------------------------------

    def next_batch(self, limit: int) -> Batch:
        """Up to ``limit`` records (stored rows plus rejects)."""
        try:
            if self.format == "csv":
                if self.columns == 0 and self._pending is None:
                    return Batch(done=True)
                return self._csv_batch(limit)
            return self._jsonl_batch(limit)
        except _CUT_OFF as exc:
            # A compressed file cut short: what came before stands, the rest is reported.
            return Batch(rejects=[(self._line + 1, f"file is cut off: {exc}")], read=1, done=True)
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



__all__ = ["Batch", "EventSource", "Pseudonymiser", "SourceError", "detect_format", "file_digest", "open_binary"]
