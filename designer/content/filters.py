"""Filters marketers need in a message: money, dates in the customer's zone, pluralisation.

Each is a plain function jinja calls; those that need the customer (their zone)
or the shop (its currency) read them from the render context (``timezone``,
``currency``), so a template says ``{{ cart.total | money }}`` and
``{{ event.time | date }}`` without repeating either.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jinja2 import pass_context

#: Symbol and decimals of the currencies the shipped templates expect; others print their code.
CURRENCIES: dict[str, tuple[str, int]] = {
    "USD": ("$", 2), "EUR": ("€", 2), "GBP": ("£", 2), "JPY": ("¥", 0), "CAD": ("CA$", 2),
    "AUD": ("A$", 2), "CHF": ("CHF ", 2), "SEK": ("SEK ", 2), "INR": ("₹", 2), "BRL": ("R$", 2),
}
DEFAULT_CURRENCY = "USD"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def format_money(value: Any, currency: str = DEFAULT_CURRENCY) -> str:
    """``1234.5`` -> ``$1,234.50`` (the currency's symbol and decimals); text that is no number stays as it is."""
    amount = _number(value)
    if amount is None:
        return str(value)
    symbol, decimals = CURRENCIES.get(currency.upper(), (currency.upper() + " ", 2))
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.{decimals}f}"


@pass_context
def money(context, value: Any, currency: str | None = None) -> str:
    return format_money(value, currency or context.get("currency") or DEFAULT_CURRENCY)


def _zone(name: Any) -> timezone | ZoneInfo:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.utc


def format_date(value: Any, fmt: str = "%d %b %Y", zone: Any = None) -> str:
    """A moment (epoch ms, or ISO text) in ``zone`` (the customer's; UTC when unknown), as ``strftime(fmt)``.

    Portable formats only: ``%d`` keeps its leading zero on every platform."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(value / 1000, timezone.utc)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    elif isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    else:
        return str(value)
    return moment.astimezone(_zone(zone)).strftime(fmt)


@pass_context
def date(context, value: Any, fmt: str = "%d %b %Y") -> str:
    return format_date(value, fmt, context.get("timezone"))


def pluralize(count: Any, singular: str = "", plural: str | None = None) -> str:
    """``{{ n | pluralize('item') }}`` -> ``1 item`` / ``3 items``; without a word, just the suffix ``s``."""
    n = _number(count)
    one = n is not None and abs(n) == 1
    if not singular:
        return "" if one else "s"
    word = singular if one else (plural if plural is not None else singular + "s")
    shown = int(n) if n is not None and n == int(n) else count
    return f"{shown} {word}"


FILTERS = {"money": money, "date": date, "pluralize": pluralize}
