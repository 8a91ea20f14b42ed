"""The compiled CSV path: plain blocks handed to Arrow (:mod:`designer.store.arrowcsv`).

:class:`CompiledCsv` is part of :class:`~designer.store.sources.EventSource` (a mixin: it
shares the source's state). A block Arrow may not take, or a run it refuses, is held for
the exact path (:mod:`designer.store.csvblocks`), so both give the same events and rejects.
"""

from __future__ import annotations

from itertools import compress

from designer.store import arrowcsv
from designer.store.batch import MAX_LINE, Batch
from designer.store.codec import dedupe_keys
from designer.store.opening import DAMAGED_ERRORS


class CompiledCsv:
    """Batches of plain CSV blocks through Arrow (see the module docstring)."""

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
            except DAMAGED_ERRORS as exc:
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
