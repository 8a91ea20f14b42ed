"""ISO 8601 durations (``PT1H``, ``P2D``, ``P1W``), the one way flows spell time spans.

Months and years are refused: their length depends on the calendar, and a
backtest must mean the same span for every customer.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache

_PATTERN = re.compile(
    r"^P(?!$)(?:(?P<w>\d+(?:\.\d+)?)W)?(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?!$)(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?\Z",
    re.ASCII,
)

_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))

#: The longest span a flow may spell: 100 years of days. Longer is a mistake (a typo'd
#: number of days), and unbounded spans overflow the engine's clock and datetime.
MAX_SECONDS = 100 * 36525 * 864.0
#: Digits allowed in one number of a duration, so a 400-digit count never becomes infinity.
_MAX_DIGITS = 12
#: The pattern a file's duration text follows (letters in either case, spaces around),
#: for the flow file's JSON Schema; the 100-year bound is checked in code.
SCHEMA_PATTERN = (r"^\s*[Pp](?!\s*$)([0-9]+(\.[0-9]+)?[Ww])?([0-9]+(\.[0-9]+)?[Dd])?"
                  r"([Tt](?!\s*$)([0-9]+(\.[0-9]+)?[Hh])?([0-9]+(\.[0-9]+)?[Mm])?([0-9]+(\.[0-9]+)?[Ss])?)?\s*$")


class DurationError(ValueError):
    """A duration text that is not ISO 8601 (with the reason in the message)."""


def parse_seconds(text: object) -> float:
    """Seconds in an ISO 8601 duration; raises DurationError naming the problem."""
    if not isinstance(text, str):
        raise DurationError(f"expected an ISO 8601 duration such as 'PT1H', got {text!r}")
    return _parse_text(text)


@lru_cache(maxsize=1024)
def _parse_text(text: str) -> float:
    # Flows repeat a handful of durations across thousands of nodes; parse each once.
    stripped = text.strip()
    match = _PATTERN.match(stripped.upper()) if stripped.isascii() else None
    if not match:
        if re.match(r"^P.*\d+[YM]", text.upper().split("T")[0]):
            raise DurationError(f"{text!r}: months and years vary in length; use days (e.g. 'P30D')")
        raise DurationError(f"{text!r} is not an ISO 8601 duration such as 'PT1H', 'P2D' or 'P1DT12H'")
    if any(len(g) > _MAX_DIGITS for g in match.groups() if g):
        raise DurationError(f"{text[:40]!r}: a number of more than {_MAX_DIGITS} digits; "
                            "a delay is at most 100 years")
    seconds = sum(float(match.group(k)) * mult for k, mult in _UNITS if match.group(k))
    if seconds > MAX_SECONDS:
        raise DurationError(f"{text!r} is longer than 100 years; use a shorter span")
    return seconds


def parse(text: object) -> timedelta:
    return timedelta(seconds=parse_seconds(text))


def parse_ms(text: object) -> int:
    """Milliseconds, the engine's unit of time."""
    return int(round(parse_seconds(text) * 1000))


def is_valid(text: object) -> bool:
    try:
        parse_seconds(text)
    except DurationError:
        return False
    return True


def to_iso(seconds: float) -> str:
    """The canonical ISO text for a number of seconds (days, hours, minutes, seconds)."""
    seconds = int(round(seconds))
    if seconds <= 0:
        return "PT0S"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    if hours or minutes or secs:
        out += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{secs}S" if secs else "")
    return out


def humanize(text: object) -> str:
    """Short words for a card or a table: 'PT1H' -> '1 h', 'P1DT12H' -> '1 d 12 h'."""
    try:
        seconds = int(round(parse_seconds(text)))
    except DurationError:
        return str(text)
    if seconds == 0:
        return "0 min"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}")
    return " ".join(parts)
