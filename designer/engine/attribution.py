"""Attribution: which of a flow's messages each conversion is credited to, after a customer's journeys.

Rules (the live runtime reports by the same ones):

* A conversion (the flow's ``conversion.event``) is credited to the flow's
  last marketing message to the customer before it, if that message is at
  most the attribution window older (last touch). Each conversion is
  credited once in a flow, however many of its messages came before it.
* When the flow has an entry key (``cart_id``: one journey per cart), only a
  message of a journey with the same key value as the conversion counts: a
  reminder about one cart earns nothing from the purchase of another. A
  conversion without the key property belongs to no journey and is credited
  to none.
* Its value is :func:`designer.engine.facts.order_value` of the conversion
  property, the same number the ``total_spent`` fact adds.
* ``converting_recipients``: recipients with at least one conversion credited
  (per send node and per flow); the conversion rate is that over recipients.
* ``bought_before_message``: journeys whose customer converted after
  entering and before the journey's first marketing message, or, with no
  message, before the journey ended: counted in journeys, the unit of
  ``entered``. Any conversion counts, whatever its key: the customer bought
  before the flow said anything (and reading every purchase's key for this
  would cost the run a parse per purchase).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from typing import Any

from designer.engine import clock
from designer.engine.facts import Orders
from designer.engine.figures import SimulationResult
from designer.engine.journey import Customer, Journey, entry_key
from designer.engine.plan import FlowPlan

#: ``note(journey, time, node, what, detail)`` of the interpreter's trace (None: no trace).
Note = Callable[[Journey | None, int, str | None, str, str], None]


def attribute(plan: FlowPlan, orders: Orders, result: SimulationResult, cust: Customer, journeys: list[Journey],
              window_to: int, note: Note | None) -> None:
    """Credit the customer's conversions to ``plan``'s messages and count the journeys that
    bought before any message (rules above), adding into ``result``."""
    history = cust.history
    conv = history.by_name.get(orders.event)
    if not conv or not journeys:
        return
    times = history.times
    sends = cust.sends.get(plan.index)
    if sends:  # a flow that sent the customer nothing has nothing to credit
        _credit(plan, orders, result, history, conv, sends, journeys, note)
    for j in journeys:
        k = bisect_left(conv, j.entry_index + 1)
        if k >= len(conv):
            continue
        first_send = j.first_send
        if first_send is not None:
            before = times[conv[k]] < first_send
        else:
            before = times[conv[k]] <= (j.end if j.end is not None else window_to)
        if before:
            result.bought_before_message += 1


def _credit(plan: FlowPlan, orders: Orders, result: SimulationResult, history, conv: list[int],
            sends: list[tuple[int, str, int]], journeys: list[Journey], note: Note | None) -> None:
    """Credit each conversion to the flow's last marketing message before it (rules above)."""
    times = history.times
    key_name = plan.trigger_key
    send_times = [s[0] for s in sends]
    window_ms = plan.conversion_ms
    converted: set[str] = set()
    by_seq = {j.seq: j for j in journeys} if key_name is not None and sends else {}
    keys: dict[int, Any] = {}  # journey seq -> its key, read when a conversion needs it

    def key_of(seq: int) -> Any:
        found = keys.get(seq, keys)
        if found is keys:
            found = keys[seq] = by_seq[seq].key
        return found
    for ci in conv:
        c = times[ci]
        k = bisect_left(send_times, c) - 1
        if k < 0 or c - send_times[k] > window_ms:
            continue
        if key_name is not None:
            key = entry_key(history.props(ci), key_name)
            while k >= 0 and c - send_times[k] <= window_ms and (key is None or key_of(sends[k][2]) != key):
                k -= 1
            if k < 0 or c - send_times[k] > window_ms:
                continue
        t, node_id, _ = sends[k]
        value = orders.value_of(history.props(ci))
        figures = result.nodes[node_id]
        figures.conversions += 1
        figures.revenue += value
        result.conversions += 1
        result.revenue += value
        if node_id not in converted:
            converted.add(node_id)
            figures.converting_recipients += 1
        if note is not None:
            note(None, c, node_id, "conversion", f"{orders.event} worth {value:g}, last touch {node_id} at "
                 f"{clock.iso(t)}" + (f" ({key_name} {key_of(sends[k][2])!r})" if key_name is not None else ""),
                 flow=plan.id)
    if converted:
        result.converting_recipients += 1
