"""Parsing an import file in a child process, so parsing and storing use two cores.

Parsing is Python and SQLite's inserts are C, but inside one process they
share the interpreter lock: SQLite gives the lock up for every row it
inserts and must wait to win it back, so a writer *thread* ends up waiting on
the parser rather than working beside it. A child process has its own
interpreter. :class:`ParserProcess` runs an
:class:`~designer.store.sources.EventSource` there and hands batches back
through a pipe; it offers the same ``next_batch`` / ``skip`` / ``position``
surface, so the importer drives either one the same way. A batch crosses the
pipe packed (:func:`pack_texts`): each text column as one NUL-joined string
(or, when a value holds a NUL, the plain concatenation and an array of
lengths), times and dedupe keys as arrays, so pickling handles a handful of large objects
instead of one object per value. Customer ids cross as the batch's distinct
ids and a code per event (:func:`encode_customers`), so the storing side,
the slower of the two, looks each id up once per batch, not once per event;
each distinct id also carries its code in the whole file
(:class:`CustomerCodebook`), so the storing side finds the internal id of an
id met in an earlier batch by position, without hashing its text again.

The child is started with ``spawn`` (safe beside Qt and threads), ignores
Ctrl-C (the parent decides what an interrupt means) and exits on its own when
the parent goes away (the pipe breaks). In the parent a small thread drains
the pipe into a queue of two batches while the writer works, which is what
lets the child parse ahead; the bounded queue keeps memory flat.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, chain

from designer.store import arrowcsv
from designer.store.mapping import Mapping, MappingError
from designer.store.sources import Batch, DamagedStream, EventSource, SourceError
from designer.store.timeparse import TimeError

#: Errors the child reports by name; the most specific first (DamagedStream is a SourceError).
_ERRORS = {"mapping": MappingError, "damaged": DamagedStream, "source": SourceError, "time": TimeError}


def _kind(exc: Exception) -> str:
    return next(k for k, v in _ERRORS.items() if isinstance(exc, v))


@dataclass(frozen=True)
class ParseSpec:
    path: str
    mapping: Mapping
    tz: str
    pseudonymise: tuple[str, ...]
    drop: tuple[str, ...]
    salt: str
    skip: int  # records an earlier run already stored
    batch_size: int
    compiled: bool = True  # CSV through the compiled path (designer.store.arrowcsv)


def pack_texts(values: Sequence[str]) -> tuple[str, bytes | None]:
    """A list of strings as one string: NUL-separated, or (when a value holds a NUL) with their lengths."""
    joined = "\x00".join(values)
    if joined.count("\x00") == len(values) - 1:
        return joined, None
    return "".join(values), array("q", map(len, values)).tobytes()


def unpack_texts(packed: tuple[str, bytes | None], count: int) -> list[str]:
    """The ``count`` strings :func:`pack_texts` packed."""
    joined, raw_lengths = packed
    if raw_lengths is None:
        return joined.split("\x00") if count else []
    lengths = array("q")
    lengths.frombytes(raw_lengths)
    ends = list(accumulate(lengths))
    return list(map(joined.__getitem__, map(slice, chain((0,), ends), ends)))


def encode_customers(customers: list[str]) -> tuple[list[str], array]:
    """``(distinct ids, one code per event)``: Arrow's hash kernel where pyarrow is installed."""
    if arrowcsv.AVAILABLE:
        import pyarrow as pa
        import pyarrow.compute as pc

        encoded = pc.dictionary_encode(pa.array(customers, pa.string()))
        return encoded.dictionary.to_pylist(), array("i", encoded.indices.to_pylist())
    index: dict[str, int] = {}
    codes = array("i", [index.setdefault(c, len(index)) for c in customers])
    return list(index), codes


class CustomerCodebook:
    """A code per distinct customer id over the whole file, first seen first, in the parser process.

    The storing side keeps the internal id of each code in an array
    (:meth:`designer.store.writer.StoreWriter.insert_columns`), so a customer
    met again costs it an index, not a hash of the id's text: the parser,
    which has time to spare, does the hashing. Memory stays bounded: past
    ``limit`` ids the book starts afresh under a new ``epoch``, and the writer
    forgets its array when the epoch changes.
    """

    def __init__(self, limit: int = 500_000) -> None:
        self.limit = limit
        self.epoch = 0
        self._codes: dict[str, int] = {}

    def codes(self, values: Sequence[str]) -> array:
        """The code of each of ``values`` (distinct ids), new ones numbered on."""
        book = self._codes
        # setdefault numbers an id the first time it is met (len before the insert).
        codes = array("i", [book.setdefault(v, len(book)) for v in values])
        if len(book) > self.limit:  # at most a batch's ids over the limit, then afresh
            book.clear()
            self.epoch += 1
            codes = array("i", [book.setdefault(v, len(book)) for v in values])
        return codes


def _pack(batch: Batch, book: CustomerCodebook | None = None) -> tuple:
    values, codes = encode_customers(batch.customers)
    columns = tuple(pack_texts(c) for c in (values, batch.names, batch.properties))
    keys = batch.keys if isinstance(batch.keys, array) else array("q", batch.keys)
    lines = array("q", batch.lines).tobytes()
    globals_ = book.codes(values).tobytes() if book is not None else None
    return (columns, len(values), codes.tobytes(), array("q", batch.times).tobytes(), keys.tobytes(),
            batch.rejects, batch.read, batch.done, lines, globals_, book.epoch if book is not None else 0)


def _unpack(packed: tuple) -> Batch:
    ((values, names, properties), distinct, raw_codes, raw_times, raw_keys, rejects, read, done, raw_lines,
     raw_globals, epoch) = packed
    times = array("q")
    times.frombytes(raw_times)
    n = len(times)
    keys = array("q")
    keys.frombytes(raw_keys)
    lines = array("q")
    lines.frombytes(raw_lines)
    codes = array("i")
    codes.frombytes(raw_codes)
    globals_ = None
    if raw_globals is not None:
        globals_ = array("i")
        globals_.frombytes(raw_globals)
    return Batch(
        [], unpack_texts(names, n), times.tolist(), unpack_texts(properties, n), keys, rejects, read, done,
        lines.tolist(), unpack_texts(values, distinct), codes, globals_, epoch,
    )


def _child(conn, spec: ParseSpec) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        try:
            source = EventSource(spec.path, spec.mapping, spec.tz, spec.pseudonymise, spec.drop, spec.salt,
                                 compiled=spec.compiled)
        except (MappingError, SourceError, TimeError) as exc:
            conn.send(("error", _kind(exc), str(exc)))
            return
        book = CustomerCodebook()
        with source:
            conn.send(("ready", source.format, source.size, source.skip(spec.skip)))
            while True:
                try:
                    batch = source.next_batch(spec.batch_size)
                except SourceError as exc:
                    conn.send(("error", _kind(exc), str(exc)))
                    return
                position = source.size if batch.done else source.position()
                conn.send(("batch", _pack(batch, book), batch.done, position))
                if batch.done:
                    return
    except (BrokenPipeError, EOFError, ConnectionResetError):
        return  # the importing process is gone; nothing to report to
    finally:
        conn.close()


class ParserProcess:
    """An EventSource in a child process (see the module docstring)."""

    def __init__(self, spec: ParseSpec) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child_end = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_child, args=(child_end, spec), daemon=True, name="event-import-parser")
        self._proc.start()
        child_end.close()
        self._position = 0
        self._done = False
        self._messages: queue.Queue = queue.Queue(maxsize=2)
        self._closing = threading.Event()
        first = self._receive_direct()
        if first[0] == "error":
            self.close()
            raise _ERRORS[first[1]](first[2])
        _, self.format, self.size, self._skipped = first
        self._drain = threading.Thread(target=self._pump, name="event-import-pipe", daemon=True)
        self._drain.start()

    def _receive_direct(self) -> tuple:
        try:
            return self._conn.recv()
        except (EOFError, OSError, TypeError):
            # TypeError: close() closed the connection under a pump still reading it (its handle is None).
            return ("error", "source", "the parser process stopped unexpectedly")

    def _pump(self) -> None:
        """Move messages from the pipe to the queue until the last batch or an error."""
        while not self._closing.is_set():
            message = self._receive_direct()
            while not self._closing.is_set():
                try:
                    self._messages.put(message, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if message[0] == "error" or (message[0] == "batch" and message[2]):
                return

    def _receive(self) -> tuple:
        while True:
            try:
                return self._messages.get(timeout=0.1)
            except queue.Empty:
                if not self._drain.is_alive() and self._messages.empty():
                    return ("error", "source", "the parser process stopped unexpectedly")

    def skip(self, records: int) -> int:
        """The child skipped its records at start (``ParseSpec.skip``); report how many."""
        return self._skipped

    def next_batch(self, limit: int) -> Batch:
        if self._done:
            return Batch(done=True)
        message = self._receive()
        if message[0] == "error":
            raise _ERRORS[message[1]](message[2])
        _, packed, self._done, self._position = message
        return _unpack(packed)

    def position(self) -> int:
        return self._position

    def close(self) -> None:
        self._closing.set()
        try:
            self._conn.close()
        finally:
            if self._proc.is_alive():
                self._proc.terminate()
            self._proc.join(timeout=5)

    def __enter__(self) -> ParserProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
