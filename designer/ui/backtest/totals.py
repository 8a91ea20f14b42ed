"""The Results' totals: one tile per figure, each with its difference against the run compared with,
and a line that sums up what changed.

Every figure is in one unit its caption names (journeys, messages, customers or
money), so a marketer never compares journeys with purchases.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from designer.engine.figures import SimulationResult
from designer.ui.backtest import numbers

#: Channels as the tables name them.
CHANNELS = {"email": "Email", "sms": "SMS", "webhook": "Webhook"}

#: The totals row: (key, caption, tooltip, format, value). Formats: "count", "money", "share".
TOTALS = (
    ("entered", "Journeys", "Journeys started by the trigger (a customer may start several)", "count",
     lambda r: r.entered),
    ("sends", "Messages", "Marketing messages (email and SMS) that would have gone out; webhook calls are "
     "counted apart", "count", lambda r: r.sends),
    ("webhooks", "Webhook calls", "Calls to webhooks (no consent or smart sending applies, no conversions "
     "credited)", "count", lambda r: r.messages_by_channel.get("webhook", 0)),
    ("recipients", "Recipients", "Customers who would have got at least one marketing message", "count",
     lambda r: r.recipients),
    ("conversion_rate", "Conversion rate", "Recipients with a conversion credited to a message, over recipients",
     "share", lambda r: r.conversion_rate),
    ("conversions", "Conversions", "Purchases credited to a message: the last message before them within the "
     "attribution window (of the same cart when the flow has an entry key); each purchase once", "count",
     lambda r: r.conversions),
    ("revenue", "Revenue", "Value of those conversions", "money", lambda r: r.revenue),
    ("bought_before_message", "Bought before any message", "Journeys whose customer bought after entering and "
     "before the journey's first message: no message can take credit for them", "count",
     lambda r: r.bought_before_message),
    ("in_progress", "In progress", "Journeys still waiting somewhere when the window closed", "count",
     lambda r: r.in_progress),
)


def formatted(fmt: str, value) -> str:
    if fmt == "money":
        return numbers.money(value)
    if fmt == "share":
        return "\u2013" if value is None else numbers.percent(value, 1)
    return numbers.count(value)


class Tile(QFrame):
    """One total: caption, value, and its difference against the run compared with."""

    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "group")
        self.setToolTip(tooltip)
        self.caption = QLabel(caption)
        self.caption.setProperty("role", "muted")
        self.value = QLabel("\u2013")
        font = self.value.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setBold(True)
        self.value.setFont(font)
        self.delta = QLabel("")
        self.delta.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(0)
        layout.addWidget(self.caption)
        layout.addWidget(self.value)
        layout.addWidget(self.delta)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_value(self, text: str, delta: str = "", tone: str = "muted") -> None:
        self.value.setText(text)
        self.delta.setText(delta)
        if self.delta.property("role") != tone:
            self.delta.setProperty("role", tone)
            self.delta.style().unpolish(self.delta)
            self.delta.style().polish(self.delta)


class Totals(QWidget):
    """The row of tiles and, under it, the line saying what changed against the baseline."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles: dict[str, Tile] = {}
        row = QHBoxLayout()
        row.setSpacing(6)
        for attr, caption, tip, _format, _value in TOTALS:
            self.tiles[attr] = tile = Tile(caption, tip)
            row.addWidget(tile)
        self.compare_line = QLabel("")
        self.compare_line.setProperty("role", "muted")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.compare_line)

    def show_result(self, r: SimulationResult | None, base: SimulationResult | None, base_name: str) -> None:
        """Fill the tiles from ``r`` (None: dashes), with differences against ``base`` when given."""
        base = base if r is not None else None
        changes = []
        for attr, caption, _tip, fmt, get in TOTALS:
            tile = self.tiles[attr]
            if r is None:
                tile.set_value("\u2013")
                continue
            value = get(r)
            text = formatted(fmt, value)
            if attr == "entered" and r.customers_entered:
                tile.setToolTip(f"{TOTALS[0][2]}: {numbers.count(r.customers_entered)} customers")
            if attr == "bought_before_message" and r.entered:
                text += f" ({numbers.percent(value, r.entered)} of journeys)"
            if attr == "sends" and r.messages_by_channel:
                tile.setToolTip(TOTALS[1][2] + ": " + ", ".join(
                    f"{numbers.count(n)} {CHANNELS.get(c, c)}" for c, n in sorted(r.messages_by_channel.items())
                    if c != "webhook"))
            if base is None or fmt == "share":
                tile.set_value(text)
                continue
            diff = value - get(base)
            is_money = fmt == "money"
            delta = numbers.signed(diff, is_money=is_money)
            if abs(diff) < 0.005 or attr not in ("conversions", "revenue"):
                tone = "muted"
            else:
                tone = "ok" if diff > 0 else "warning"
            tile.set_value(text, f"{delta} vs {base_name}", tone)
            if abs(diff) >= 0.005:
                changes.append(numbers.signed(diff, caption.lower(), is_money=is_money)
                               if not is_money else f"{numbers.signed(diff, is_money=True)} revenue")
        if r is None or base is None:
            self.compare_line.setText("")
        elif changes:
            self.compare_line.setText(f"Against the {base_name}: " + ", ".join(changes) + ".")
        else:
            self.compare_line.setText(f"Same totals as the {base_name}.")
        self.compare_line.setVisible(bool(self.compare_line.text()))
