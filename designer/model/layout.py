"""Auto-layout: the flow top to bottom in layers, branches side by side.

A pure function of the flow (no Qt), so the editor runs it as one undo step
and tests check it without a window. Layers come from the longest path from
the trigger (networkx topological order), so a step always sits below
everything that leads to it; left-to-right order follows each node's ports
(yes before no, event before timeout, variants in order) through a spanning
tree whose leaves take one column each and whose inner nodes sit centred over
their children. Nodes of one layer therefore never share a column, so cards
never overlap. Loops (which validation reports) are cut at their back edges.
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx

from designer.model.flow import Flow

#: The card size the editor draws, and the gaps auto-layout leaves between cards.
CARD_WIDTH = 220.0
CARD_HEIGHT = 72.0
H_GAP = 40.0
V_GAP = 58.0


def layout(flow: Flow, *, card_width: float = CARD_WIDTH, card_height: float = CARD_HEIGHT,
           h_gap: float = H_GAP, v_gap: float = V_GAP) -> dict[str, tuple[float, float]]:
    """New top-left corners for every node: ``{node_id: (x, y)}``.

    The first root (the trigger, when there is one) keeps its place, so the
    flow does not jump away from where the user was looking.
    """
    if not flow.nodes:
        return {}
    order = {nid: i for i, nid in enumerate(flow.nodes)}
    children = _ordered_children(flow, order)
    dag = _acyclic(flow, children, order)
    layer = _layers(dag)
    column = _columns(flow, dag, children, order, layer)

    pitch_x, pitch_y = card_width + h_gap, card_height + v_gap
    roots = _roots(flow, dag, order)
    anchor = flow.nodes[roots[0]]
    dx = anchor.x - column[roots[0]] * pitch_x
    dy = anchor.y - layer[roots[0]] * pitch_y
    return {nid: (round(column[nid] * pitch_x + dx, 2), round(layer[nid] * pitch_y + dy, 2))
            for nid in flow.nodes}


def _ordered_children(flow: Flow, order: dict[str, int]) -> dict[str, list[str]]:
    """Each node's successors in port order, then file order for unknown ports."""
    out: dict[str, list[str]] = {}
    for nid, node in flow.nodes.items():
        rank = {p: i for i, p in enumerate(node.output_ports())}
        edges = [e for e in flow.edges_from(nid) if e.target in order]
        edges.sort(key=lambda e: rank.get(e.port, len(rank)))
        out[nid] = list(dict.fromkeys(e.target for e in edges))
    return out


def _roots(flow: Flow, dag: nx.DiGraph, order: dict[str, int]) -> list[str]:
    roots = [n for n in dag if dag.in_degree(n) == 0]
    roots.sort(key=lambda n: (flow.nodes[n].kind != "trigger", order[n]))
    return roots


def _acyclic(flow: Flow, children: dict[str, list[str]], order: dict[str, int]) -> nx.DiGraph:
    """The flow's graph without the back edges a depth-first walk meets (loops cut once)."""
    dag = nx.DiGraph()
    dag.add_nodes_from(flow.nodes)
    state: dict[str, int] = {}  # 1 on the walk's stack, 2 finished
    starts = sorted(flow.nodes, key=lambda n: (flow.nodes[n].kind != "trigger",
                                                bool(flow.edges_to(n)), order[n]))
    for start in starts:
        if start in state:
            continue
        state[start] = 1
        stack = [(start, iter(children[start]))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                continue  # a back edge: leaving it out breaks the loop
            else:
                dag.add_edge(node, nxt)
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(children[nxt])))
    return dag


def _layers(dag: nx.DiGraph) -> dict[str, int]:
    """Longest-path layering: every node lies below all its predecessors."""
    layer: dict[str, int] = {}
    for node in nx.topological_sort(dag):
        layer[node] = max((layer[p] + 1 for p in dag.predecessors(node)), default=0)
    return layer


def _columns(flow: Flow, dag: nx.DiGraph, children: dict[str, list[str]], order: dict[str, int],
             layer: dict[str, int]) -> dict[str, float]:
    """Column (in card pitches) of each node from a spanning tree of the layered graph."""
    tree_children: dict[str, list[str]] = {n: [] for n in dag}
    placed: set[str] = set()
    roots = _roots(flow, dag, order)
    # Breadth-first from the roots so each node hangs under the earliest-drawn parent.
    for root in roots:
        if root in placed:
            continue
        placed.add(root)
        queue = [root]
        for node in queue:
            for child in children[node]:
                if child not in placed and dag.has_edge(node, child):
                    placed.add(child)
                    tree_children[node].append(child)
                    queue.append(child)
    column: dict[str, float] = {}
    next_leaf = 0.0
    for root in roots:
        for node in _post_order(root, tree_children):
            kids = tree_children[node]
            if kids:
                column[node] = (column[kids[0]] + column[kids[-1]]) / 2
            else:
                column[node] = next_leaf
                next_leaf += 1
    return column


def _post_order(root: str, tree_children: dict[str, list[str]]) -> Iterable[str]:
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            yield node
            continue
        stack.append((node, True))
        for child in reversed(tree_children[node]):
            stack.append((child, False))
