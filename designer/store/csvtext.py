"""CSV text in blocks of lines: plain text is split in C, anything else goes to :mod:`csv`.

Most event logs are plain: no quotes, one record per line, the same number of
delimiters on every line. For a block of such lines ``str.split`` finds every
cell of every record in two C calls, and ``str.count`` proves the column
counts, which is many times faster than ``csv.reader`` handing out one list
per row. A block is plain when it has no quote character, no NUL, no lone
``\\r``, no undecodable bytes and no line longer than the field limit; any
other block is read with ``csv.reader``, which knows quoting, and the reader
keeps going past the block's end while a quoted field continues.

:class:`TextStream` decodes the file piece by piece with ``read1``, so when a
compressed file turns out to be cut short, everything decoded before the
cut has already been handed out.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

#: Bytes asked for per read.
READ_CHUNK = 1 << 20


class TextStream:
    """Decoded text of a binary stream (UTF-8, BOM skipped), line breaks kept as they are.

    Undecodable bytes become lone surrogates (``surrogateescape``), so they
    can be found and reported per row. Line breaks are ``\\n``, ``\\r\\n`` and
    ``\\r``, as ``open(..., newline="")`` sees them.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")("surrogateescape")
        self.buffer = ""
        self.pos = 0  # buffer[pos:] is not handed out yet
        self.eof = False
        #: The last block handed out ended without a line break: the file stops mid-row.
        self.cut_mid_line = False

    def _read(self) -> bool:
        """Add the next piece of the stream to the buffer; False at its end.

        Raises what the stream raises (``EOFError`` for a compressed file cut short).
        """
        if self.eof:
            return False
        data = self.stream.read1(READ_CHUNK)
        if not data:
            self.eof = True
        text = self.decoder.decode(data, final=not data)
        self.buffer = self.buffer[self.pos :] + text
        self.pos = 0
        return True

    def block(self) -> str | None:
        """The text up to the last complete line break read so far; at the end, the rest; None when done."""
        while True:
            buffer, pos = self.buffer, self.pos
            # A final "\r" may be the first half of "\r\n": not a complete break yet.
            cut = max(buffer.rfind("\n", pos), buffer.rfind("\r", pos, len(buffer) - 1)) + 1
            if cut:
                self.buffer, self.pos = buffer[cut:], 0
                return buffer[pos:cut]
            if not self._read():
                rest = self.buffer[self.pos :]
                self.buffer, self.pos = "", 0
                self.cut_mid_line = bool(rest) and not rest.endswith(("\n", "\r"))
                return rest or None

    def readline(self) -> str:
        """The next line with its line break (``""`` at the end)."""
        while True:
            buffer, pos = self.buffer, self.pos
            n = buffer.find("\n", pos)
            r = buffer.find("\r", pos, n if n >= 0 else len(buffer))
            if r >= 0:
                if r + 1 < len(buffer) or self.eof:
                    end = r + 2 if buffer.startswith("\n", r + 1) else r + 1
                    self.pos = end
                    return buffer[pos:end]
            elif n >= 0:
                self.pos = n + 1
                return buffer[pos : n + 1]
            if not self._read():
                rest = self.buffer[self.pos :]
                self.buffer, self.pos = "", 0
                return rest


#: Most lines one record may span (a quoted field with line breaks in it). Past this, the field
#: is taken for an unclosed quote: the record is rejected by its first line and the lines after
#: it are read again as records, so one stray quote cannot swallow the rest of the file.
MAX_RECORD_LINES = 1_000


class FieldOverrun(Exception):
    """A record ran past :data:`MAX_RECORD_LINES` lines: a quote that is never closed."""


class Feeder:
    """Lines for ``csv.reader``: a block's lines, then more lines from the stream while a record needs them.

    Once the reader returns a row and :attr:`exhausted` is true, the reader
    stands at a record boundary at the end of the block (or of the last line
    it needed beyond it), and block reading can take over again.

    The feeder keeps the lines of the record being read (:meth:`start_record`), so a record
    that turns out to be an unclosed quote (too many lines, too large a field, or the end of
    the file inside the quote) gives its lines after the first back (:meth:`give_back`) to be
    read again. :attr:`handed` counts the lines consumed, net of those given back: the line
    numbers of what the reader returns.
    """

    def __init__(self, block: str, text: TextStream, max_record_lines: int = MAX_RECORD_LINES) -> None:
        self.lines = list(io.StringIO(block, newline=""))
        self.pos = 0
        self.text = text
        self.last = ""  # the line handed out last
        self.max_record_lines = max_record_lines
        self.record: list[str] = []  # lines handed out for the record being read
        self.handed = 0
        #: The stream ended while the reader asked for more lines (inside a quoted field when a row follows).
        self.ran_out = False

    def __iter__(self) -> Feeder:
        return self

    def start_record(self) -> None:
        self.record = []
        self.ran_out = False

    def give_back(self) -> int:
        """Hand the record's lines after its first out again; returns how many."""
        rest = self.record[1:]
        if rest:
            self.lines = rest + self.lines[self.pos :]
            self.pos = 0
            self.handed -= len(rest)
            self.last = self.record[0]
        self.record = self.record[:1]
        return len(rest)

    def __next__(self) -> str:
        if len(self.record) >= self.max_record_lines:
            raise FieldOverrun
        if self.pos < len(self.lines):
            line = self.lines[self.pos]
            self.pos += 1
        else:
            line = self.text.readline()
            if not line:
                self.ran_out = True
                raise StopIteration
        self.last = line
        self.record.append(line)
        self.handed += 1
        return line

    @property
    def ended_mid_line(self) -> bool:
        """The last line handed out has no line break: it was the file's last, and the file stops mid-row."""
        return bool(self.last) and not self.last.endswith(("\n", "\r"))

    @property
    def exhausted(self) -> bool:
        return self.pos >= len(self.lines)


def plain_lines(block: str, max_line: int) -> list[str] | None:
    """The block's lines (without breaks) if it is plain text (see the module docstring), else None."""
    if '"' in block or "\x00" in block:
        return None
    if "\r" in block:
        if block.count("\r") != block.count("\r\n"):
            return None  # a lone "\r" ends a line too; leave that to csv
        block = block.replace("\r\n", "\n")
    if not block.isascii():
        try:
            block.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: undecodable bytes, reported row by row
            return None
    lines = block.split("\n")
    if block.endswith("\n"):
        lines.pop()
    if lines and max(map(len, lines)) > max_line:
        return None  # csv reports over-long fields
    return lines


__all__ = ["MAX_RECORD_LINES", "FieldOverrun", "Feeder", "READ_CHUNK", "TextStream", "plain_lines"]
