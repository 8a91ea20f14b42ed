"""The exact CSV path: a block of text as plain lines when it can be, else through csv.reader.

:class:`CsvBlocks` is part of :class:`~designer.store.sources.EventSource` (a mixin: it
shares the source's state). It yields the records of each block, filing the rows with the
wrong number of cells, undecodable bytes, unclosed quotes or a cut-off end as rejects.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from itertools import repeat

from designer.store.batch import MAX_LINE, NUL_BYTE
from designer.store.csvtext import MAX_RECORD_LINES, Feeder, FieldOverrun, plain_lines
from designer.store.opening import DAMAGED_ERRORS

csv.field_size_limit(MAX_LINE)

#: Why a record whose quoted field never closes is refused (formatted with how far it runs).
UNCLOSED_QUOTE = "unclosed quote: the quoted field starting on this line {}; the lines after it are read again"

#: Why a last row with all its cells but no line break after it is refused.
CUT_OFF_ROW = (
    "the file ends in the middle of this row (no line break after it), so it looks cut off; "
    "if the row is complete, end the file with a line break and import it again"
)


class CsvBlocks:
    """Records of a CSV file's blocks, with their line numbers (see the module docstring)."""

    def _csv_reader(self, block: str = ""):
        self._feeder = Feeder(block, self.text)
        self._reader = csv.reader(self._feeder, delimiter=self.delimiter, strict=False)
        self._reader_base = self._line  # the feeder's lines handed out count from here

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
        except DAMAGED_ERRORS as exc:
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
