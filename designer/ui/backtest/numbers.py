"""How the backtest's figures are written on cards, edges, tooltips and in the dock.

One place, so the canvas and the dock never disagree ("1,234" on a card and
"1234" in a table would look like two different runs). Cards are narrow, so
they use the short form (12.3k from ten thousand up); tables use full numbers.

Numbers, money and dates follow the user's locale through QLocale (the
separators, where the currency sign goes, month names), in the open store's
currency (its ISO code; the symbol is the one the locales of that currency
use). A process whose locale is the bare "C" one (a server, a container)
formats as US English rather than as C's "1234.50$".
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QDateTime, QLocale, QTimeZone

from designer.engine.figures import NodeFigures

#: The open store's currency (ISO 4217), set when a store is opened.
_currency = {"code": "USD"}


def set_currency(code: str | None) -> None:
    _currency["code"] = (code or "USD").upper()


def currency() -> str:
    return _currency["code"]


def locale() -> QLocale:
    loc = QLocale()
    if loc.language() == QLocale.Language.C:
        return QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)
    return loc


@lru_cache(maxsize=64)
def currency_symbol(code: str) -> str:
    """The sign written for a currency: the user's own locale's when it uses that currency, else
    that of a locale of the currency (in the user's language when there is one), else the code."""
    own = locale()
    iso = QLocale.CurrencySymbolFormat.CurrencyIsoCode
    if own.currencySymbol(iso) == code:
        return own.currencySymbol(QLocale.CurrencySymbolFormat.CurrencySymbol)
    found = [loc for loc in QLocale.matchingLocales(QLocale.Language.AnyLanguage, QLocale.Script.AnyScript,
                                                    QLocale.Country.AnyCountry) if loc.currencySymbol(iso) == code]
    for loc in sorted(found, key=lambda loc: loc.language() != own.language()):
        symbol = loc.currencySymbol(QLocale.CurrencySymbolFormat.CurrencySymbol)
        if symbol:
            return symbol
    return code

#: Skip reasons (engine names) as a marketer reads them.
SKIP_REASONS = {
    "no_consent": "no consent",
    "smart_sending": "smart sending",
    "frequency_cap": "frequency cap",
    "template_error": "template error",
}
DEFER_REASONS = {"quiet_hours": "quiet hours"}


def count(n: int | float) -> str:
    """Full number with the locale's thousands separators: 1,234."""
    return locale().toString(int(round(n)))


def short(n: int | float) -> str:
    """A count for a card or an edge: 987, 9,876, 98.8k, 1.2M."""
    n = int(round(n))
    loc = locale()
    if abs(n) < 10_000:
        return loc.toString(n)
    if abs(n) < 1_000_000:
        if abs(n) < 100_000 and n % 1000 >= 50:
            return loc.toString(n / 1000, "f", 1) + "k"
        return loc.toString(round(n / 1000)) + "k"
    return (loc.toString(n / 1_000_000, "f", 1) if n % 1_000_000 >= 50_000 else loc.toString(round(n / 1_000_000))) + "M"


def money(x: float, *, compact: bool = False) -> str:
    """Revenue in whole units in the store's currency: $2,310 (12.3k with the sign when ``compact``)."""
    loc, symbol = locale(), currency_symbol(currency())
    if compact and abs(x) >= 10_000:
        # The locale's own pattern, with the short number where the amount goes.
        pattern = loc.toCurrencyString(1, symbol, 0)
        return pattern.replace(loc.toString(1), short(x), 1)
    return loc.toCurrencyString(float(round(x)), symbol, 0)


def money_exact(x: float) -> str:
    return locale().toCurrencyString(float(x), currency_symbol(currency()), 2)


def signed(n: int | float, unit: str = "", *, is_money: bool = False) -> str:
    """A difference: +12, −3, +$45; "±0" for none."""
    if abs(n) < (0.005 if is_money else 0.5):
        return "±0" + (f" {unit}" if unit else "")
    sign = "+" if n > 0 else "\u2212"
    body = money(abs(n)) if is_money else count(abs(int(round(n))))
    return f"{sign}{body}" + (f" {unit}" if unit else "")


def percent(part: int | float, whole: int | float) -> str:
    if not whole:
        return "–"
    share = 100.0 * part / whole
    return f"{share:.1f} %" if share < 10 else f"{share:.0f} %"


def _utc(ms: int) -> QDateTime:
    return QDateTime.fromMSecsSinceEpoch(int(ms), QTimeZone.utc())


def day(ms: int | None) -> str:
    """A UTC date, as the dock's window shows it: 12 May 2025 (month names in the user's language)."""
    if ms is None:
        return "\u2013"
    return locale().toString(_utc(ms).date(), "d MMM yyyy")


def moment(ms: int) -> str:
    """A UTC time: 2025-05-20 14:39 UTC."""
    return _utc(ms).toString("yyyy-MM-dd HH:mm") + " UTC"


def local_moment(ms: int, zone: str | None) -> str:
    """A moment in a customer's own zone, with the zone's abbreviation: 2025-05-20 15:39 BST
    (UTC when the customer has no known zone)."""
    tz = QTimeZone(zone.encode("utf-8")) if zone else QTimeZone.utc()
    if not tz.isValid():
        tz = QTimeZone.utc()
    dt = QDateTime.fromMSecsSinceEpoch(int(ms), tz)
    return dt.toString("yyyy-MM-dd HH:mm") + " " + (tz.abbreviation(dt) or "UTC")


def when(ms: int) -> str:
    """A moment on this machine's clock, for when something was saved: 12 May 14:05."""
    return locale().toString(QDateTime.fromMSecsSinceEpoch(int(ms)), "d MMM HH:mm")


def span(first: int | None, last: int | None) -> str:
    """A time span: 12 May – 31 May 2025 (the year once when both ends share it)."""
    if first is None or last is None:
        return "no events"
    loc, a, b = locale(), _utc(first).date(), _utc(last).date()
    if a.year() == b.year():
        return f"{loc.toString(a, 'd MMM')} \u2013 {loc.toString(b, 'd MMM yyyy')}"
    return f"{loc.toString(a, 'd MMM yyyy')} \u2013 {loc.toString(b, 'd MMM yyyy')}"


# -- what a card and an edge say -------------------------------------------------
def strip_parts(f: NodeFigures) -> list[str]:
    """The card's count strip, as separate pieces: ["1,234 in"], or for a send
    ["980 sent", "253 skipped", "41 conv", "$2,310"]: sent and skipped add up to the
    journeys on the edge below (a skipped send goes on), skips by reason in the tooltip."""
    if f.is_send:
        if f.kind == "webhook":
            return [f"{short(f.messages)} called"]
        parts = [f"{short(f.messages)} sent"]
        skipped = sum(f.skipped.values())
        if skipped:
            parts.append(f"{short(skipped)} skipped")
        return parts + [f"{short(f.conversions)} conv", money(f.revenue, compact=True)]
    return [f"{short(f.entered)} in"]


def strip_text(f: NodeFigures) -> str:
    return " \u00b7 ".join(strip_parts(f))


def edge_text(port_label: str, n: int) -> str:
    """An edge's label with the journeys that took it: "no · 812", or "812" for a plain next edge."""
    return f"{port_label} \u00b7 {short(n)}" if port_label else short(n)


def node_tooltip(f: NodeFigures) -> list[str]:
    """The lines a card's strip shows on hover: every counter that is not zero, skips by reason."""
    lines = [f"{count(f.entered)} journeys entered"]
    for port, n in sorted(f.exits.items()):
        lines.append(f"{count(n)} left by {port!r}")
    if f.is_send:
        lines.append(f"{count(f.messages)} messages to {count(f.recipients)} recipients")
        lines.append(f"{count(f.conversions)} conversions, {money_exact(f.revenue)} revenue")
    skipped = [f"{SKIP_REASONS.get(k, k.replace('_', ' '))} {count(v)}" for k, v in sorted(f.skipped.items()) if v]
    if f.exited:
        skipped.insert(0, f"exit condition {count(f.exited)}")
    if skipped:
        lines.append("skipped: " + ", ".join(skipped))
    deferred = [f"{DEFER_REASONS.get(k, k.replace('_', ' '))} {count(v)}" for k, v in sorted(f.deferred.items()) if v]
    if deferred:
        lines.append("deferred: " + ", ".join(deferred))
    if f.ended:
        lines.append(f"{count(f.ended)} ended here")
    if f.in_progress:
        lines.append(f"{count(f.in_progress)} still in progress at the window's end")
    return lines
