"""Local time for the engine: customers' zones, delays until a time of day, quiet hours.

The engine counts time in integer epoch milliseconds UTC. Wall-clock rules
(a delay "until 10:00 on a weekday", quiet hours 21:00-08:00) are read in the
customer's own zone, falling back to the flow's zone, then UTC, via zoneinfo,
so daylight-saving changes move the UTC moment, never the local one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from designer.model.kinds import WEEKDAYS

UTC = timezone.utc
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """The zone for an IANA name; None for an empty or unknown name."""
    if not name or not isinstance(name, str):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


#: (customer's zone name, fallback name) -> zone: asked once per customer who gets a message.
_customer_zones: dict[tuple[str | None, str | None], ZoneInfo | timezone] = {}


def customer_zone(customer_tz: str | None, fallback: str | None) -> ZoneInfo | timezone:
    """The zone a customer's local times are read in: theirs, else the flow's, else UTC."""
    if customer_tz is not None and not isinstance(customer_tz, str):
        return zone(fallback) or UTC  # a profile value that is no zone name (a number, a list...)
    key = (customer_tz, fallback)
    found = _customer_zones.get(key)
    if found is None:
        if len(_customer_zones) >= 4096:
            _customer_zones.clear()
        found = _customer_zones[key] = zone(customer_tz) or zone(fallback) or UTC
    return found


def local(ms: int, tz) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz)


def to_ms(dt: datetime) -> int:
    return int(round(dt.timestamp() * 1000))


def clock_minutes(text: str) -> int:
    """Minutes after midnight of an 'HH:MM' text."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _at(day: date, minutes: int, tz) -> int:
    """Epoch ms of a local wall time; in a DST gap the wall time is read with the earlier offset."""
    return to_ms(datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz))


def next_local_time(ms: int, tz, at: str | None, weekdays: list[str] | tuple[str, ...] | None) -> int:
    """The first moment at or after ``ms`` that is local time ``at`` on one of ``weekdays``.

    With no ``at``, the answer is ``ms`` itself when today is an allowed day,
    else the start (00:00) of the next allowed day. With no ``weekdays`` every
    day is allowed.
    """
    minutes, allowed = _rule(at, tuple(weekdays) if weekdays else None)
    today = local_day(ms, tz)
    for offset in range(8):
        day = today + offset
        if allowed is not None and (day + _EPOCH_WEEKDAY) % 7 not in allowed:
            continue
        if minutes is None:
            return ms if offset == 0 else wall_time(day, 0, tz)
        candidate = wall_time(day, minutes, tz)
        if candidate >= ms:
            return candidate
    raise ValueError(f"no local time {at!r} on {weekdays!r}")  # unreachable with a non-empty day list


@lru_cache(maxsize=256)
def _rule(at: str | None, weekdays: tuple[str, ...] | None) -> tuple[int | None, frozenset[int] | None]:
    """A local-time rule parsed once: minutes after midnight (or None) and allowed weekday numbers."""
    allowed = frozenset(WEEKDAYS.index(d) for d in weekdays) if weekdays else None
    return (clock_minutes(at) if at else None), allowed


#: Weekday of 1970-01-01 (a Thursday; Monday is 0), so local day numbers give weekdays by arithmetic.
_EPOCH_WEEKDAY = 3
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

#: (zone, local day number, minutes after midnight) -> epoch ms of that wall time. Quiet
#: hours end at the same few wall times for every customer in a zone; building each one
#: from datetime objects took a tenth of a backtest's interpreting time.
_wall_times: dict[tuple[object, int, int], int] = {}
_WALL_TIMES_MAX = 200_000


def local_day(ms: int, tz) -> int:
    """The local calendar date at ``ms`` as days since 1970-01-01 (the date ``local(ms, tz)`` has)."""
    return (ms + offset_ms(ms, tz)) // DAY_MS


def wall_time(day: int, minutes: int, tz) -> int:
    """Epoch ms of the local wall time ``minutes`` after midnight on local day number ``day``
    (in a DST gap read with the earlier offset, as :func:`_at`)."""
    key = (tz, day, minutes)
    found = _wall_times.get(key)
    if found is None:
        if len(_wall_times) >= _WALL_TIMES_MAX:
            _wall_times.clear()
        found = _wall_times[key] = _at(date.fromordinal(_EPOCH_ORDINAL + day), minutes, tz)
    return found


#: (zone, UTC day) -> (offset at the day's start, moment of a change in the day or None,
#: offset after it). Zones change offset at most once a day, so one entry per zone and
#: day answers every moment of that day; a run touches a few thousand entries. Keyed by
#: the zone object itself, not its id(), so a zone freed and another allocated at the same
#: address cannot inherit its offsets.
days_offsets: dict[tuple[object, int], tuple[int, int | None, int]] = {}
_DAY_OFFSETS_MAX = 200_000


def _offset_now(ms: int, tz) -> int:
    delta = datetime.fromtimestamp(ms / 1000, tz).utcoffset()
    return int(delta.total_seconds() * 1000) if delta is not None else 0


def offset_ms(ms: int, tz) -> int:
    """The zone's UTC offset at ``ms``, in ms (cached per zone and day: asked millions of times)."""
    day = ms // DAY_MS
    key = (tz, day)
    entry = days_offsets.get(key)
    if entry is None:
        if len(days_offsets) >= _DAY_OFFSETS_MAX:
            days_offsets.clear()
        start = day * DAY_MS
        before, after = _offset_now(start, tz), _offset_now(start + DAY_MS - 1, tz)
        change = None
        if before != after:  # find the first millisecond with the new offset
            lo, hi = start, start + DAY_MS - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if _offset_now(mid, tz) == before:
                    lo = mid + 1
                else:
                    hi = mid
            change = lo
        entry = days_offsets[key] = (before, change, after)
    before, change, after = entry
    return before if change is None or ms < change else after


@dataclass(frozen=True)
class QuietHours:
    """Quiet hours: from ``start`` (inclusive) to ``end`` (exclusive), minutes after local
    midnight, wrapping past midnight when start is after end (21:00-08:00).

    The one rule for "is this moment quiet, and until when". The send gate
    asks it for every marketing send, so the answer for each minute of the
    local day is worked out once (:attr:`minutes`, indexed without a call)
    and the end is computed only for a held send (:meth:`end_after`).
    """

    start: int
    end: int
    #: Whether each minute of the local day (0..1439) is quiet.
    minutes: tuple[bool, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        s, e = self.start, self.end
        object.__setattr__(self, "minutes", tuple(((m >= s or m < e) if s > e else (s <= m < e))
                                                  for m in range(1440)))

    @staticmethod
    @lru_cache(maxsize=64)
    def of(start: int, end: int) -> "QuietHours":
        """One shared instance per period (it is immutable, and its minute table takes 1,440 steps
        to build: a replay per customer in the runtime would otherwise build it for every send)."""
        return QuietHours(start, end)

    @classmethod
    def between(cls, start: str, end: str) -> "QuietHours | None":
        """Quiet hours from 'HH:MM' texts; None for an empty period (start == end)."""
        s, e = clock_minutes(start), clock_minutes(end)
        return cls(s, e) if s != e else None

    def until(self, ms: int, tz, local_ms: int | None = None) -> int | None:
        """When the quiet period holding ``ms`` ends (epoch ms UTC), or None when ``ms`` is not
        quiet; ``local_ms``: ``ms`` in the zone's wall-clock time, when the caller has it."""
        if local_ms is None:
            local_ms = ms + offset_ms(ms, tz)
        return self.end_after(ms, tz) if self.minutes[(local_ms // 60_000) % 1440] else None

    def end_after(self, ms: int, tz) -> int:
        """The first end of quiet hours after ``ms`` (for a moment known to be quiet)."""
        return next_local_time(ms, tz, f"{self.end // 60:02d}:{self.end % 60:02d}", None)


def local_hour(ms: int, tz) -> int:
    return ((ms + offset_ms(ms, tz)) // HOUR_MS) % 24


_days: dict[int, str] = {}


def utc_day(ms: int) -> str:
    """The UTC calendar day of a moment, 'YYYY-MM-DD' (the x axis of the per-day chart)."""
    n = ms // DAY_MS
    text = _days.get(n)
    if text is None:
        text = _days[n] = datetime.fromtimestamp(n * 86400, UTC).strftime("%Y-%m-%d")
    return text


def day_start(ms: int) -> int:
    return ms - ms % DAY_MS


def parse_moment(text: str) -> int:
    """Epoch ms for an ISO date or date-time from the command line; naive text is read as UTC."""
    value = text.strip()
    if value.endswith("Z") or value.endswith("z"):
        value = value[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO date or date-time such as 2025-03-01 or 2025-03-01T12:00Z") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return to_ms(dt)


def iso(ms: int) -> str:
    """A readable UTC moment for reports: 2025-03-01 12:00:05Z."""
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    text = dt.strftime("%Y-%m-%d %H:%M:%S")
    return text + (f".{ms % 1000:03d}" if ms % 1000 else "") + "Z"
