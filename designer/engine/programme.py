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
            self.add_messages([t for t, _ in messages], [f for _, f in messages])
        spans = list(spans)
        for a, (fa, sa, ea) in enumerate(spans):
            if any(fb != fa and sb < ea and sa < eb for fb, sb, eb in spans[a + 1:]):
                self.customers_in_several_flows += 1
                break

    def add_journeys(self, messages: tuple[list[int], list[int]], journeys: list, window_to: int) -> None:
        """One customer, as the interpreter leaves them: ``messages`` (times, flow indexes) of their
        marketing messages in time order, ``journeys`` with ``plan.index``, ``entry_time`` and ``end``
        (None: still running at ``window_to``)."""
        if messages[0]:
            self.add_messages(*messages)
        n = len(journeys)
        if n < 2:
            return
        for a in range(n - 1):
            ja = journeys[a]
            fa, sa, ea = ja.plan.index, ja.entry_time, ja.end if ja.end is not None else window_to
            for b in range(a + 1, n):
                jb = journeys[b]
                if jb.plan.index != fa and jb.entry_time < ea and sa < (jb.end if jb.end is not None else window_to):
                    self.customers_in_several_flows += 1
                    return

    def add_messages(self, times: list[int], flows: list[int]) -> None:
        """One customer's marketing messages: ``times`` in time order, ``flows`` the index of the flow
        of each. Most customers get one or two, so the work is plain loops over a few items."""
        self.customers_with_messages += 1
        per_week = self.messages_per_week
        n = len(times)
        if n == 1:
            per_week[1] = per_week.get(1, 0) + 1
            if self.max_in_cap_window < 1:
                self.max_in_cap_window = 1
            return
        # Weeks: times are in order, so each week's messages are one run of equal week numbers.
        week, run = None, 0
        for t in times:
            w = (t - _MONDAY_OFFSET) // WEEK_MS
            if w == week:
                run += 1
            else:
                if run:
                    per_week[run] = per_week.get(run, 0) + 1
                week, run = w, 1
        per_week[run] = per_week.get(run, 0) + 1
        # The most within one window (rolling): a window of messages less than ``window`` apart.
        window = self.cap[1] if self.cap else WEEK_MS
        lo = most = 0
        for k, t in enumerate(times):
            while t - times[lo] >= window:
                lo += 1
            if k - lo >= most:
                most = k - lo + 1
        if most > self.max_in_cap_window:
            self.max_in_cap_window = most
        first = flows[0]
        if all(f == first for f in flows):
            return  # one flow's messages: no collision between flows
        limit, ids = self.collision_ms, self.flow_ids
        for a in range(n - 1):
            ta, fa = times[a], flows[a]
            for b in range(a + 1, n):
                if times[b] - ta >= limit:
                    break
                fb = flows[b]
                if fa != fb:
                    pair = (ids[fa], ids[fb]) if ids[fa] <= ids[fb] else (ids[fb], ids[fa])
                    _add(self.collisions, pair)

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
