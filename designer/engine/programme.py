"""What only a programme view shows: several flows backtested together on the same customers.

Collected per customer at the end of their run (from the messages each flow
sent them and the spans of their journeys) and kept as plain sums, so
partitions of customers merge by adding, like every other figure:

* ``messages_per_week``: a histogram over customer-weeks (UTC weeks from
  Monday) with at least one marketing message: how many messages that week;
* ``max_in_cap_window``: the most marketing messages any customer got within
  one cap window (rolling), so a cap can be checked from the figures alone;
* ``customers_in_several_flows``: customers with journeys in two or more
  flows at the same time (overlapping spans);
* ``suppressed``: sends another flow's message stopped, by (blocked flow,
  blocking flow, reason: ``smart_sending`` or ``frequency_cap``);
* ``collisions``: pairs of marketing messages from two different flows to one
  customer within the collision window, by (flow A, flow B).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

DAY_MS = 86_400_000
#: 1970-01-01 was a Thursday: Monday-based weeks start three days later (plus whole weeks).
_MONDAY_OFFSET = 4 * DAY_MS
WEEK_MS = 7 * DAY_MS


def _add(into: dict, key: Any, n: int = 1) -> None:
    into[key] = into.get(key, 0) + n


@dataclass
class ProgrammeFigures:
    flow_ids: list[str]
    cap: tuple[int, int] | None = None  # (messages, window ms)
    collision_ms: int = DAY_MS
    messages_per_week: dict[int, int] = field(default_factory=dict)
    max_in_cap_window: int = 0
    customers_in_several_flows: int = 0
    customers_with_messages: int = 0
    suppressed: dict[tuple[str, str, str], int] = field(default_factory=dict)
    collisions: dict[tuple[str, str], int] = field(default_factory=dict)

    # -- collecting -----------------------------------------------------------------
    def add_customer(self, sends: dict[int, list[tuple]], spans: Iterable[tuple[int, int, int]]) -> None:
        """One customer: ``sends`` flow index -> [(time, node, ...)] of marketing messages; ``spans``
        (flow index, start, end) of their journeys."""
        messages = sorted((item[0], f) for f, items in sends.items() for item in items)
        if messages:
            self.customers_with_messages += 1
            weeks: dict[int, int] = {}
            for t, _f in messages:
                _add(weeks, (t - _MONDAY_OFFSET) // WEEK_MS)
            for n in weeks.values():
                _add(self.messages_per_week, n)
            times = [t for t, _ in messages]
            window = self.cap[1] if self.cap else WEEK_MS
            most = max(k - bisect_left(times, t - window + 1) + 1 for k, t in enumerate(times))
            self.max_in_cap_window = max(self.max_in_cap_window, most)
            for a in range(len(messages)):
                ta, fa = messages[a]
                for b in range(a + 1, len(messages)):
                    tb, fb = messages[b]
                    if tb - ta >= self.collision_ms:
                        break
                    if fa != fb:
                        pair = tuple(sorted((self.flow_ids[fa], self.flow_ids[fb])))
                        _add(self.collisions, pair)
        spans = sorted(spans, key=lambda s: s[1])
        for i, (fi, start, end) in enumerate(spans):
            if any(fj != fi and sj < end and start < ej for fj, sj, ej in spans[i + 1:]):
                self.customers_in_several_flows += 1
                break

    def add_suppressed(self, blocked_flow: int, blocking_flow: int, reason: str) -> None:
        _add(self.suppressed, (self.flow_ids[blocked_flow], self.flow_ids[blocking_flow], reason))

    def merge(self, other: "ProgrammeFigures") -> None:
        for k, v in other.messages_per_week.items():
            _add(self.messages_per_week, k, v)
        self.max_in_cap_window = max(self.max_in_cap_window, other.max_in_cap_window)
        self.customers_in_several_flows += other.customers_in_several_flows
        self.customers_with_messages += other.customers_with_messages
        for k, v in other.suppressed.items():
            _add(self.suppressed, k, v)
        for k, v in other.collisions.items():
            _add(self.collisions, k, v)

    def to_json(self) -> dict:
        return {
            "flows": list(self.flow_ids),
            "cap": None if self.cap is None else {"messages": self.cap[0], "window_ms": self.cap[1]},
            "collision_window_ms": self.collision_ms,
            "customers_with_messages": self.customers_with_messages,
            "messages_per_customer_week": {str(k): v for k, v in sorted(self.messages_per_week.items())},
            "max_messages_in_cap_window": self.max_in_cap_window,
            "customers_in_several_flows": self.customers_in_several_flows,
            "suppressed_by_other_flows": [{"blocked": b, "by": by, "reason": r, "sends": n}
                                          for (b, by, r), n in sorted(self.suppressed.items())],
            "collisions": [{"flows": [a, b], "pairs": n} for (a, b), n in sorted(self.collisions.items())],
        }
