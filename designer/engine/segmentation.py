"""Over-segmentation: steps a backtest shows too few customers reach, and splits that change nothing.

A flow split into many thin branches is hard to read and its figures are
noise: a step reached by under 1% of the journeys that entered (or by fewer
than 50) is better merged into its neighbour. A run of fewer than 50 journeys
is too small to judge by and gets no such advice. And a split whose branches
differ only in a send that no one reached sends everyone the same way in
practice. Both are warnings on the run, named by node, for the Results and
the canvas; the thresholds come from the flow's settings when it sets them.
"""

from __future__ import annotations

from designer.engine.figures import SimulationResult
from designer.model.flow import Flow
from designer.model.kinds import KINDS

DEFAULT_MIN_SHARE = 0.01
DEFAULT_MIN_JOURNEYS = 50


def _thresholds(flow: Flow) -> tuple[float, int]:
    """(least share of entries, fewest journeys) a step should see; the flow's settings may set them."""
    segments = getattr(flow.settings, "segments", None)
    share = getattr(segments, "min_share", None) if segments is not None else None
    least = getattr(segments, "min_journeys", None) if segments is not None else None
    return (DEFAULT_MIN_SHARE if share is None else float(share),
            DEFAULT_MIN_JOURNEYS if least is None else int(least))


def _branch(flow: Flow, start: str | None, reached, stop: set[str]) -> list[tuple]:
    """What a branch does from ``start`` on, as (kind, config) of each node reached, until it meets
    a node of ``stop`` (where branches join) or a fork; sends nobody reached are left out."""
    out: list[tuple] = []
    seen: set[str] = set()
    node_id = start
    while node_id is not None and node_id not in stop and node_id not in seen:
        seen.add(node_id)
        node = flow.nodes[node_id]
        if reached(node_id) or KINDS[node.kind].channel is None:
            out.append((node.kind, repr(sorted(node.config.items()))))
        ports = node.output_ports()
        if len(ports) != 1:
            out.append(("fork", node_id))
            break
        node_id = flow.successor(node_id, ports[0])
    if node_id is not None and node_id in stop:
        out.append(("join", node_id))
    return out


def _descendants(flow: Flow, node_id: str | None) -> set[str]:
    out, todo = set(), [node_id] if node_id else []
    while todo:
        n = todo.pop()
        if n in out:
            continue
        out.add(n)
        todo.extend(e.target for e in flow.edges_from(n))
    return out


def segment_warnings(flow: Flow, result: SimulationResult) -> list[dict]:
    """The warnings; none for a run of fewer journeys than the threshold (too little to judge by)."""
    share, least = _thresholds(flow)
    if result.entered < max(least, 1):
        return []
    out: list[dict] = []
    for node_id, node in flow.nodes.items():
        f = result.nodes.get(node_id)
        if f is None or node.kind == "trigger":
            continue
        if f.entered < least or f.entered < share * result.entered:
            out.append({"node": node_id, "code": "few_reached",
                        "message": f"only {f.entered:,} of {result.entered:,} journeys reach this step "
                                   f"({f.entered / result.entered:.1%}): consider merging it with its neighbour"})
    reached = lambda n: (result.nodes[n].entered if n in result.nodes else 0) > 0  # noqa: E731
    for node_id, node in flow.nodes.items():
        ports = node.output_ports()
        if len(ports) < 2:
            continue
        targets = [flow.successor(node_id, p) for p in ports]
        joins = set.intersection(*[_descendants(flow, t) for t in targets]) if all(targets) else set()
        shapes = [_branch(flow, t, reached, joins) for t in targets]
        if all(s == shapes[0] for s in shapes[1:]):
            unreached = sorted(n for t in targets for n in _descendants(flow, t) - joins
                               if KINDS[flow.nodes[n].kind].channel is not None and not reached(n))
            if unreached:
                out.append({"node": node_id, "code": "split_changes_nothing",
                            "message": f"the branches of this split differ only in {', '.join(unreached)}, which "
                                       "no one reached: everyone goes the same way in practice"})
    return out
