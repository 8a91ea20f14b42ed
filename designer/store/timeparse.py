"""Event times as imported: text or numbers in, epoch milliseconds UTC out.

Accepted forms:

* epoch numbers (text or JSON numbers), the unit told by magnitude unless
  given: below 1e11 seconds, below 1e14 milliseconds, below 1e17
  microseconds, else nanoseconds (``1570000000``, ``1570000000123``,
  ``1570000000.5``);
* ISO 8601 with ``T`` or a space, with ``Z`` or an offset
  (``2019-10-01T00:00:00Z``, ``2019-10-01 02:00:00+02:00``);
* a trailing zone word ``UTC`` / ``GMT`` (``2019-10-01 00:00:00 UTC``, the
  REES46 form);
* naive times (``2019-10-01 00:00:00``, ``2019-10-01``) are read in the zone
  the user names (default UTC), never in the machine's zone. A wall time that
  a DST change skips or repeats takes the first (``fold=0``) reading.

Times before 1970 or from 2100 on are refused as out of range: they are
almost always a wrong unit or a corrupt cell.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_MS = 0
MAX_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z
_MS = timedelta(milliseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_UNITS = {"s": 1000.0, "ms": 1.0, "us": 0.001, "ns": 0.000001}
_ZONE_WORDS = (" UTC", " GMT", " Z")


class TimeError(ValueError):
    """A time that cannot be read; the message says what was found."""


def zone(name: str | None):
    """The tzinfo for an IANA zone name ("UTC" when empty); raises TimeError if unknown."""
    if not name or name.upper() == "UTC":
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise TimeError(f"unknown time zone {name!r} (use an IANA name such as 'Europe/Paris')") from exc


def is_zone(name: str) -> bool:
    try:
        zone(name)
    except TimeError:
        return False
    return True


class TimeParser:
    """Parses one column's times; remembers the last text (logs are often sorted)."""

    def __init__(self, tz: str | None = "UTC", unit: str = "auto") -> None:
        self.tzinfo = zone(tz)
        self.utc = self.tzinfo is timezone.utc
        if unit != "auto" and unit not in _UNITS:
            raise TimeError(f"unknown time unit {unit!r}; use auto, s, ms, us or ns")
        self.unit = unit
        self._last_text: str | None = None
        self._last_ms = 0

    def number(self, value: float | int, text: str | None = None) -> int:
        """Epoch number to ms, by the configured unit or by magnitude (``text``: as written, for messages)."""
        if self.unit != "auto":
            ms = value * _UNITS[self.unit]
        else:
            size = abs(value)
            if size < 1e11:
                ms = value * 1000
            elif size < 1e14:
                ms = value
            elif size < 1e17:
                ms = value / 1000
            else:
                ms = value / 1_000_000
        ms = int(ms // 1) if isinstance(ms, float) else ms
        if not MIN_MS <= ms < MAX_MS:
            raise TimeError(f"time {text if text is not None else value!r} is out of range (1970-2099)")
        return ms

    def __call__(self, text: str) -> int:
        if text == self._last_text:
            return self._last_ms
        ms = self._parse(text)
        self._last_text = text
        self._last_ms = ms
        return ms

    def _parse(self, text: str) -> int:
        if text[4:5] == "-" and text[-1:] != " " and text[-4:-3] != " ":
            # The common shape, 2024-05-01T10:00:00Z or with an offset: straight to the parser.
            try:
                dt = datetime.fromisoformat(text)
            except ValueError:
                pass
            else:
                if dt.tzinfo is None:
                    dt = dt.replace(tzinfo=self.tzinfo)
                ms = (dt - _EPOCH) // _MS
                if MIN_MS <= ms < MAX_MS:
                    return ms
        s = text.strip()
        if not s:
            raise TimeError("empty time")
        if not s.isascii() and any(ch.isdigit() and not ch.isascii() for ch in s):
            # Python reads full-width and other scripts' digits as numbers ('２０２５'), no log means them.
            raise TimeError(f"unparseable time {text!r}: digits other than 0-9")
        if len(s) > 40:
            raise TimeError(f"unparseable time {text[:40]!r}...: {len(s):,} characters")
        if s.isdigit() and s.isascii():
            return self.number(int(s), s)
        first = s[0]
        if (first in "+-." or first.isdigit()) and s[4:5] != "-" and ":" not in s:
            try:
                value = float(s) if ("." in s or "e" in s or "E" in s) else int(s)
            except ValueError:
                value = None  # maybe a compact ISO form such as 20191001T000000Z
            if value is not None:
                if value != value or value in (float("inf"), float("-inf")):
                    raise TimeError(f"unparseable time {text!r}")
                return self.number(value, s)
        if s[-4:].upper() in _ZONE_WORDS or s[-2:].upper() == " Z":
            s = s[: s.rindex(" ")] + "+00:00"
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            raise TimeError(f"unparseable time {text!r}") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self.tzinfo)
        ms = (dt - _EPOCH) // _MS
        if not MIN_MS <= ms < MAX_MS:
            raise TimeError(f"time {text!r} is out of range (1970-2099)")
        return ms


def format_ms(ms: int | None) -> str:
    """ISO 8601 UTC text for epoch ms (for summaries)."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
