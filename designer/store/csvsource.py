"""Reading CSV: the delimiter, the header and the column roles, then each batch's per-row rules.

:class:`CsvReading` is the CSV part of :class:`~designer.store.sources.EventSource` (a mixin:
it shares the source's state). A block is read plainly or through csv.reader
(:mod:`designer.store.csvblocks`), or through Arrow (:mod:`designer.store.csvcompiled`);
either way :meth:`CsvReading._csv_batch` applies the same rules to the rows.
"""

from __future__ import annotations

import csv
from itertools import compress

from designer.store import arrowcsv
from designer.store.batch import Batch
from designer.store.codec import dedupe_keys
from designer.store.columns import Memo, PropertyColumn, TimeColumn, mapped, properties_json
from designer.store.csvblocks import CsvBlocks
from designer.store.csvcompiled import CompiledCsv
from designer.store.csvtext import MAX_RECORD_LINES, FieldOverrun, TextStream
from designer.store.mapping import MappingError
from designer.store.opening import CUT_OFF_ERRORS, DAMAGED_ERRORS, SourceError, open_binary
from designer.store.timeparse import TimeError

_SNIFF_BYTES = 64 * 1024


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


class CsvReading(CsvBlocks, CompiledCsv):
    """Opening a CSV file's columns and turning its rows into batches (see the module docstring)."""

    def _sniff_delimiter(self) -> str:
        if self.mapping.delimiter:
            return self.mapping.delimiter
        try:
            sample = self.stream.read(_SNIFF_BYTES)
        except CUT_OFF_ERRORS:
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
            except DAMAGED_ERRORS as exc:
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
