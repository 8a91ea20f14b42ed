"""Opening an import file: plain or gzip, its format, its digest, and the errors of a file
that cannot be read (or whose compressed data is damaged)."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import BinaryIO
from zlib import error as zlib_error

from designer.store.csvtext import READ_CHUNK
from designer.store.mapping import Mapping
from designer.store.parquet import is_parquet, parquet_files

#: What a compressed file raises while it is read: cut short (``EOFError``; what came before is
#: intact) or damaged (``zlib.error``, a failed checksum: what was decoded may be garbage).
CUT_OFF_ERRORS = (EOFError, gzip.BadGzipFile, zlib_error)
DAMAGED_ERRORS = (gzip.BadGzipFile, zlib_error)


class SourceError(Exception):
    """The file cannot be read at all (missing, unreadable, not CSV/JSON Lines)."""


class DamagedStream(SourceError):
    """The file's compressed data is damaged: what it decoded to cannot be trusted.

    Unlike a file cut short, the damage is found only some way after it (a bad code, or the
    checksum at the end), so rows decoded before it may be garbage already: the import that
    meets it removes what it stored from the file (see :mod:`designer.store.importer`).
    """


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
