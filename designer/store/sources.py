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

import io
from pathlib import Path

from designer.store import arrowcsv
from designer.store.batch import MAX_LINE, NUL_BYTE, Batch
from designer.store.csvblocks import CUT_OFF_ROW, UNCLOSED_QUOTE
from designer.store.csvsource import CsvReading
from designer.store.jsonsource import JsonLinesReading
from designer.store.mapping import Mapping, MappingError
from designer.store.opening import DamagedStream, SourceError, detect_format, file_digest, open_binary
from designer.store.parquet import ParquetRecords, ParquetUnavailable
from designer.store.parquetsource import ParquetReading
from designer.store.pseudonyms import Pseudonymiser
from designer.store.timeparse import TimeParser


class EventSource(CsvReading, JsonLinesReading, ParquetReading):
    """Batches of events from one file; see the module docstring.

    It opens the file and dispatches by format; the reading itself is in the
    per-format parts it is made of (:mod:`designer.store.csvsource`,
    :mod:`designer.store.jsonsource`, :mod:`designer.store.parquetsource`).
    """

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

    # -- public -----------------------------------------------------------------------

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


__all__ = [
    "CUT_OFF_ROW", "MAX_LINE", "NUL_BYTE", "UNCLOSED_QUOTE", "Batch", "DamagedStream", "EventSource",
    "Pseudonymiser", "SourceError", "detect_format", "file_digest", "open_binary",
]
