"""Reading Parquet: tables of rows, column-wise where it can, through the JSON Lines record rules.

:class:`ParquetReading` is part of :class:`~designer.store.sources.EventSource` (a mixin:
it shares the source's state, including the JSON Lines fields it opens for Parquet).
"""

from __future__ import annotations

from itertools import compress

from designer.store.batch import Batch
from designer.store.codec import dedupe_keys
from designer.store.opening import SourceError


class ParquetReading:
    """Batches of a Parquet file's rows (see the module docstring)."""

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
