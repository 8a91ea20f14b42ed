"""How the backtest's figures are written on cards, edges, tooltips and in the dock.

One place, so the canvas and the dock never disagree ("1,234" on a card and
"1234" in a table would look like two different runs). Cards are narrow, so
they use the short form (12.3k from ten thousand up); tables use full numbers.
"""

from __future__ import annotations

from datetime import datetime, timezone

from designer.engine.figures import NodeFigures

#: The sign written before revenue. The store keeps amounts without a currency.
CURRENCY = "$"

#: Skip reasons (engine names) as a marketer reads them.
SKIP_REASONS = {
    "no_consent": "no consent",
    "smart_sending": "smart sending",
}
DEFER_REASONS = {"quiet_hours": "quiet hours"}


def count(n: int | float) -> str:
    """Full number with thousands separators: 1,234."""
    return f"{int(round(n)):,}"


def short(n: int | float) -> str:
    """A count for a card or an edge: 987, 9,876, 98.8k, 1.2M."""
    n = int(round(n))
    if abs(n) < 10_000:
        return f"{n:,}"
    if abs(n) < 1_000_000:
        return f"{n / 1000:.1f}k".replace(".0k", "k") if abs(n) < 100_000 else f"{n / 1000:.0f}k"
    return f"{n / 1_000_000:.1f}M".replace(".0M", "M")


def money(x: float, *, compact: bool = False) -> str:
    """Revenue: $2,310 (whole units; $12.3k when ``compact`` and large)."""
    if compact and abs(x) >= 10_000:
        return CURRENCY + short(x)
    return f"{CURRENCY}{x:,.0f}"


def money_exact(x: float) -> str:
    return f"{CURRENCY}{x:,.2f}"


def signed(n: int | float, unit: str = "", *, is_money: bool = False) -> str:
    """A difference: +12, −3, +$45; "±0" for none."""
    if abs(n) < (0.005 if is_money else 0.5):
        return "±0" + (f" {unit}" if unit else "")
    sign = "+" if n > 0 else "\u2212"
    body = f"{CURRENCY}{abs(n):,.0f}" if is_money else f"{abs(int(round(n))):,}"
    return f"{sign}{body}" + (f" {unit}" if unit else "")


def percent(part: int | float, whole: int | float) -> str:
    if not whole:
        return "–"
    share = 100.0 * part / whole
    return f"{share:.1f} %" if share < 10 else f"{share:.0f} %"


def day(ms: int | None) -> str:
    """A UTC date, as the dock's window shows it: 12 May 2025."""
    if ms is None:
        return "–"
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%-d %b %Y")


def moment(ms: int) -> str:
    """A UTC time for the trace: 2025-05-20 14:39."""
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M")


def span(first: int | None, last: int | None) -> str:
    """A time span: 12 May – 31 May 2025 (the year once when both ends share it)."""
    if first is None or last is None:
        return "no events"
    a = datetime.fromtimestamp(first / 1000, timezone.utc)
    b = datetime.fromtimestamp(last / 1000, timezone.utc)
    if a.year == b.year:
        return f"{a:%-d %b} \u2013 {b:%-d %b %Y}"
    return f"{a:%-d %b %Y} \u2013 {b:%-d %b %Y}"


# -- what a card and an edge say -------------------------------------------------
def strip_parts(f: NodeFigures) -> list[str]:
    """The card's count strip, as separate pieces: ["1,234 in"], or for a send
    ["980 sent", "41 conv", "$2,310"] (how many came in is on the edge above, and
    with the skips by reason in the tooltip)."""
    if f.is_send:
        verb = "called" if f.kind == "webhook" else "sent"
        return [f"{short(f.messages)} {verb}", f"{short(f.conversions)} conv", money(f.revenue, compact=True)]
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
