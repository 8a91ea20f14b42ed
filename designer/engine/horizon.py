"""What a run cannot show because the history is too short for the flow: the "unfinished" warning.

A journey that needs more time than the window holds ends the run "in
progress", and a flow whose every path needs that long shows nothing at all
(a 90-day win-back on 60 days of history: all journeys waiting, 0
messages). The earliest moment a journey can reach each node is the
shortest path from the trigger, weighing each step by the least its node
waits (a delay's duration, a wait's timeout on its timeout branch, nothing
otherwise: networkx's Dijkstra); a wait that cannot end inside the window
even for a journey entering at its very start gets a warning on its node.
"""

from __future__ import annotations

import networkx as nx

from designer.engine.clock import DAY_MS
from designer.engine.plan import FlowPlan, NodePlan
from designer.model import durations

#: The warning's code in ``SimulationResult.warnings``.
UNFINISHED = "unfinished"


def _wait_ms(node: NodePlan, port: str) -> int:
    """The least time a journey spends at ``node`` before leaving by ``port``."""
    if node.kind == "delay":
        return node.delay_ms
    if node.kind == "wait_for" and port == "timeout":
        return node.timeout_ms
    return 0


def _text(ms: int) -> str:
    """A span for the message: days to a tenth past a day (a window's odd seconds say nothing)."""
    if ms >= DAY_MS:
        return f"{round(ms / DAY_MS, 1):g} days"
    return durations.humanize(durations.to_iso(ms / 1000))


def unfinished(plan: FlowPlan, window_from: int, window_to: int) -> list[dict]:
    """A warning per node whose wait no journey can finish inside ``[window_from, window_to)``."""
    span = window_to - window_from
    graph = nx.MultiDiGraph()
    graph.add_node(plan.trigger_id)
    for node in plan.nodes.values():
        for port, nxt in node.successors.items():
            if nxt is not None:
                graph.add_edge(node.id, nxt, port=port, wait=_wait_ms(node, port))
    earliest = nx.single_source_dijkstra_path_length(graph, plan.trigger_id, weight="wait")
    out = []
    for node_id, arrive in earliest.items():
        node = plan.nodes[node_id]
        ports = ["next"] if node.kind == "delay" else ["timeout"] if node.kind == "wait_for" else []
        for port in ports:
            need = arrive + _wait_ms(node, port)
            if arrive < span <= need:
                what = "this delay" if node.kind == "delay" else "this wait's timeout branch"
                out.append({"node": node_id, "code": UNFINISHED, "message":
                            f"journeys need at least {_text(need)} after entry to get past {what}, but the "
                            f"history window holds {_text(span)}: every journey is still waiting here when it "
                            "ends, so the steps after it show nothing; import a longer history or shorten the wait"})
    return out
