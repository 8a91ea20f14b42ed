"""Parquet files (and folders of them, as Spark and BigQuery exports write) as import records.

pyarrow (Apache Arrow's own reader) reads the file a row group at a time, so
memory stays flat whatever its size. Each column is first made plain with
Arrow's compute kernels, a batch at a time: timestamps become epoch
milliseconds (a zoned timestamp is an instant; a naive one is read in the
import's ``--tz``, as naive text is), dates their midnight, decimals floats;
then each row becomes an object with named fields and goes through the same
record rules as a JSON Lines object, so rejects, canonical names,
pseudonymising, dropping and dedupe are the JSON Lines import's exactly. A
reject names its row (1 = the first data row of the first file, counting on
across a folder's files in name order), since Parquet has no lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
#: Rows per Arrow batch read from a row group.
BATCH_ROWS = 50_000


class ParquetUnavailable(RuntimeError):
    """pyarrow is missing: the message names the package to install."""


def _arrow():
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq
    except ImportError:
        raise ParquetUnavailable("reading Parquet needs pyarrow: pip install pyarrow") from None
    return pa, pc, pq


def is_parquet(path: str | Path) -> bool:
    """A Parquet file by its name or its magic bytes, or a folder holding Parquet files."""
    p = Path(path)
    if p.is_dir():
        return any(True for _ in parquet_files(p))
    if p.name.lower().endswith(PARQUET_SUFFIXES):
        return True
    try:
        with open(p, "rb") as fh:
            return fh.read(4) == b"PAR1"
    except OSError:
        return False


def parquet_files(path: str | Path) -> list[Path]:
    """The file itself, or a folder's Parquet files (in its subfolders too: partitioned exports), by name."""
    p = Path(path)
    if not p.is_dir():
        return [p]
    return sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(("_", "."))
                  and (f.name.lower().endswith(PARQUET_SUFFIXES) or _magic(f)))


def _magic(f: Path) -> bool:
    try:
        with open(f, "rb") as fh:
            return fh.read(4) == b"PAR1"
    except OSError:
        return False


def total_size(path: str | Path) -> int:
    return sum(f.stat().st_size for f in parquet_files(path))


def _plain_column(column, tz: str):
    """A column whose values Python reads as JSON Lines values: times as epoch ms, decimals as floats."""
    pa, pc, _ = _arrow()
    t = column.type
    if pa.types.is_timestamp(t):
        if t.tz is None:
            column = pc.assume_timezone(column, tz, ambiguous="earliest", nonexistent="earliest")
        return pc.cast(pc.cast(column, pa.timestamp("ms", tz="UTC")), pa.int64())
    if pa.types.is_date(t):
        return pc.cast(pc.cast(column, pa.timestamp("ms")), pa.int64())
    if pa.types.is_dictionary(t):
        return column.dictionary_decode()
    return column


def _python(column) -> list:
    """The column's values as Python's; decimals as correctly rounded floats (Arrow's own cast to
    double is not: 80.10 would become 80.10000000000001)."""
    pa, _, _ = _arrow()
    values = column.to_pylist()
    if pa.types.is_decimal(column.type):
        return [None if v is None else float(v) for v in values]
    return values


class ParquetRecords:
    """Objects (field name -> value) from a Parquet file or folder, in order, a batch at a time."""

    def __init__(self, path: str | Path, tz: str = "UTC") -> None:
        _, _, pq = _arrow()
        self.path = Path(path)
        self.tz = tz
        self.files = parquet_files(path)
        if not self.files:
            raise ValueError(f"{path}: no Parquet files in this folder")
        self._pq = pq
        self.size = sum(f.stat().st_size for f in self.files)
        self._done_bytes = 0
        self._batches = self._tables()
        self._rest = None  # rows of a batch read but not handed out yet

    def position(self) -> int:
        """Bytes of the file(s) behind the rows read so far (whole files, for progress)."""
        return self._done_bytes

    def _tables(self) -> Iterator[Any]:
        """The files' rows as Arrow tables of plain columns (see :func:`_plain_column`), a batch at a time."""
        pa, _, _ = _arrow()
        for f in self.files:
            try:
                reader = self._pq.ParquetFile(f)
            except Exception as exc:  # noqa: BLE001 - Arrow raises several types for a damaged file
                raise ValueError(f"{f}: not a readable Parquet file ({exc})") from None
            for batch in reader.iter_batches(batch_size=BATCH_ROWS):
                columns = [_plain_column(batch.column(i), self.tz) for i in range(batch.num_columns)]
                yield pa.Table.from_arrays(columns, names=batch.schema.names)
            self._done_bytes += f.stat().st_size

    def take_tables(self, limit: int) -> list[Any]:
        """The next ``limit`` rows (fewer only at the end) as Arrow tables, one or more per file."""
        out, have = [], 0
        while have < limit:
            if self._rest is None:
                self._rest = next(self._batches, None)
                if self._rest is None:
                    break
            table, self._rest = self._rest, None
            if have + table.num_rows > limit:
                table, self._rest = table.slice(0, limit - have), table.slice(limit - have)
            if table.num_rows:
                out.append(table)
                have += table.num_rows
        return out

    @staticmethod
    def rows(table) -> list[dict[str, Any]]:
        """A table's rows as objects (field name -> Python value)."""
        names = table.column_names
        values = [_python(table.column(i).combine_chunks()) for i in range(table.num_columns)]
        return [dict(zip(names, row)) for row in zip(*values)]

    def take(self, limit: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for table in self.take_tables(limit):
            out += self.rows(table)
        return out

    def close(self) -> None:
        self._batches.close()
