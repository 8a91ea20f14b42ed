"""Validation and lint of a flow, on its networkx graph.

Errors are flows that would not run as drawn (no trigger, a cycle, a node no
one can reach, an edge from a port the node lacks, config that does not
parse, a branch where people silently fall out). Warnings are flows that run
but usually do not do what the marketer meant. Every problem names its node,
so the canvas can badge it, and says how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from designer.model import conditions, durations
from designer.model.collector import collector_paused
from designer.model.fieldtypes import FlowModel
from designer.model.flow import Flow
from designer.model.kinds import KINDS
from designer.model.score_checks import score_problems

ERROR, WARNING = "error", "warning"
#: Trigger events that start a shopping flow, which should stop once the customer buys.
SHOPPING_EVENTS = ("add_to_cart", "view", "checkout_started", "remove_from_cart")
#: Kinds whose ports drop people when left unconnected (an ending branch elsewhere is normal).
BRANCHING_KINDS = tuple(k.name for k in KINDS.values() if k.branching)
_BRANCHING = frozenset(BRANCHING_KINDS)
#: Kinds whose config has a condition (asked of the model class once: pydantic's class
#: attribute costs a slow path per node).
_MARKETING = frozenset(k.name for k in KINDS.values() if k.marketing)
#: How long each kind that holds a journey can hold it, from its typed config.
_HOLDS = {k.name: k.holds_at_most for k in KINDS.values() if k.holds_at_most is not None}
_CONDITION_KINDS = frozenset(k.name for k in KINDS.values() if "condition" in k.config.model_fields)
MIN_FIRST_DELAY_S = 300


@dataclass(frozen=True)
class Problem:
    severity: str
    code: str
    node: str | None
    message: str
    #: Where in the file the problem sits, as a JSON path (``nodes[3].config.until.time``,
    #: ``settings.reentry``), if anywhere.
    path: str | None = None

    def to_json(self) -> dict:
        return {"severity": self.severity, "code": self.code, "node": self.node,
                "message": self.message, "path": self.path}


def to_graph(flow: Flow) -> nx.MultiDiGraph:
    """The flow as a MultiDiGraph keyed by port; edges to unknown nodes are left out."""
    graph = nx.MultiDiGraph()
    graph.add_nodes_from((n.id, {"kind": n.kind}) for n in flow.nodes.values())
    graph.add_edges_from((e.source, e.target, e.port) for e in flow.edges
                         if e.source in flow.nodes and e.target in flow.nodes)
    return graph


def to_digraph(flow: Flow) -> nx.DiGraph:
    """Who can follow whom, ports collapsed: all that cycles and reachability need.

    Port-level rules (unknown or doubly used ports) are checked on the flow's
    own edges, so validation pays for the cheaper simple graph only.
    """
    nodes = flow.nodes
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from([(e.source, e.target) for e in flow.edges if e.source in nodes and e.target in nodes])
    return graph


def validate(flow: Flow) -> list[Problem]:
    """Every problem in the flow, errors first, each once."""
    with collector_paused():  # the graph of a big flow is tens of thousands of objects
        graph = to_digraph(flow)
        try:
            return _validate(flow, graph)
        finally:
            # The topological sort leaves an in-degree view cached on the graph that refers back to
            # it: a cycle only the collector would free, after walking all of the graph's dicts.
            # Emptied, the graph's contents go at once and the cycle left is two small objects.
            graph.clear()


def _validate(flow: Flow, graph: nx.DiGraph) -> list[Problem]:
    problems: list[Problem] = []
    add = problems.append
    triggers = [n.id for n in flow.nodes.values() if n.kind == "trigger"]

    for index, node in enumerate(flow.nodes.values()):
        for path, message in node.parsed.problems:
            where = f"nodes[{index}].kind" if path == "kind" and node.kind not in KINDS else \
                config_path(index, path)
            add(Problem(ERROR, "bad-config", node.id, message, where))

    if not triggers:
        add(Problem(ERROR, "no-trigger", None, "the flow has no trigger; add one to say what starts a journey"))
    for extra in triggers[1:]:
        add(Problem(ERROR, "multiple-triggers", extra,
                    f"a flow has exactly one trigger, and {triggers[0]} is already one; "
                    "delete this one or make it a separate flow"))

    # Ports depend on config (A/B variants), so work them out once per node, not per edge.
    ports = {n.id: n.output_ports() for n in flow.nodes.values()}
    connected = _edge_problems(flow, ports, add)
    # One topological sort serves the cycle test and the longest-path lint (a big flow's costliest steps).
    try:
        order: list[str] | None = list(nx.topological_sort(graph))
    except nx.NetworkXUnfeasible:
        order = None
        _cycle_problems(graph, add)

    if triggers:
        reachable = set(triggers)
        for t in triggers:
            reachable |= nx.descendants(graph, t)
        for node_id in flow.nodes:
            if node_id not in reachable:
                add(Problem(ERROR, "unreachable", node_id,
                            "no path from the trigger reaches this node; connect it or delete it"))

    _open_port_problems(flow, ports, connected, add)
    _lint(flow, graph, order, triggers[0] if triggers else None, add)
    problems.sort(key=lambda p: p.severity != ERROR)
    return problems


def config_path(index: int, path: str) -> str:
    """The file's JSON path of ``path`` inside the config of the node at ``index``."""
    base = f"nodes[{index}].config"
    return base if not path else base + (path if path.startswith("[") else "." + path)


def has_errors(problems: list[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)


def _edge_problems(flow: Flow, node_ports: dict[str, tuple[str, ...]], add) -> set[tuple[str, str]]:
    """Dangling ends, unknown ports, ports used twice, edges into the trigger; returns the
    (node, port) pairs an edge leaves from."""
    nodes = flow.nodes
    used: dict[tuple[str, str], str] = {}
    dangling: set[tuple[str, str]] = set()
    for i, e in enumerate(flow.edges):
        source, target = nodes.get(e.source), nodes.get(e.target)
        if source is None or target is None:
            dangling.add((e.source, e.port))
            missing = [end for end in (e.source, e.target) if end not in nodes]
            add(Problem(ERROR, "dangling-edge", e.source if source is not None else None,
                        f"edge {e.source} -> {e.target} points at {', '.join(repr(m) for m in missing)}, "
                        "which is not a node; delete the edge", f"edges[{i}]"))
            continue
        ports = node_ports[e.source]
        key = (e.source, e.port)
        if e.port not in ports:
            have = f"its ports are {', '.join(ports)}" if ports else "it has no outputs"
            add(Problem(ERROR, "unknown-port", e.source,
                        f"edge {e.source} -> {e.target} leaves from port {e.port!r}, which a {source.kind} node "
                        f"does not have; {have}"))
        elif key in used:
            add(Problem(ERROR, "duplicate-port", e.source,
                        f"port {e.port!r} is connected twice (to {used[key]} and {e.target}); "
                        "a port leads to one node, delete one edge or add a split"))
        else:
            used[key] = e.target
        if target.kind == "trigger":
            add(Problem(ERROR, "edge-into-trigger", e.target,
                        f"edge {e.source} -> {e.target} leads into the trigger; journeys start only from events"))
    return dangling.union(used)


def _cycle_problems(graph: nx.DiGraph, add) -> None:
    """One problem per loop region (only for a graph the cheap DAG test found cyclic)."""
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1:
            (only,) = component
            if not graph.has_edge(only, only):
                continue
        # Start from the loop's first node in file order, so the report is the same every run.
        first = next(n for n in graph if n in component)
        cycle = nx.find_cycle(graph.subgraph(component), source=first)
        loop = [u for u, *_ in cycle] + [cycle[0][0]]
        add(Problem(ERROR, "cycle", loop[0],
                    f"a journey would loop forever: {' -> '.join(loop)}; remove one edge of the loop"))


def _open_port_problems(flow: Flow, node_ports: dict[str, tuple[str, ...]], connected: set[tuple[str, str]],
                        add) -> None:
    for node in flow.nodes.values():
        if node.kind not in _BRANCHING:
            continue
        typed = node.parsed.config
        ends = (typed.end_ports if typed is not None else None) or ()
        for port in node_ports[node.id]:
            if (node.id, port) not in connected and port not in ends:
                add(Problem(ERROR, "open-port", node.id,
                            f"customers who leave by {port!r} fall out of the flow silently; connect the port, "
                            f"or mark it as an intended end"))


def _lint(flow: Flow, graph: nx.DiGraph, order: list[str] | None, trigger: str | None, add) -> None:
    """Warnings about a sound flow; ``order`` is the graph's topological order (None: it has a loop)."""
    s = flow.settings
    if s.reentry.mode == "always":
        add(Problem(WARNING, "reentry-no-cooldown", None,
                    "re-entry is 'always' with no cooldown, so a customer who repeats the trigger gets the "
                    "flow again each time; set a cooldown such as 7 days", "settings.reentry"))
    sends = sum(1 for n in flow.nodes.values() if n.kind in _MARKETING)
    if sends and s.consent is None:
        add(Problem(WARNING, "no-consent", None,
                    f"{sends} marketing send(s) but no consent property; name the profile property that "
                    "records consent so people who opted out are skipped", "settings.consent"))
    for node in flow.nodes.values():
        if node.kind == "delay":
            after = [flow.nodes[t].kind for t in graph.successors(node.id)] if node.id in graph else []
            if all(k == "exit" for k in after):
                add(Problem(WARNING, "trailing-delay", node.id,
                            "nothing happens after this delay, so it only postpones the end of the journey; "
                            "add a step after it or delete it"))
    tested = _tested_events(flow)
    if order is not None and trigger is not None:
        _cooldown_shorter_than_flow(flow, graph, order, flow.nodes[trigger], tested, add)
    score_problems(flow, lambda severity, code, node, message, path: add(Problem(severity, code, node, message, path)))
    if trigger is None:
        return
    trig = flow.nodes[trigger]
    event = trig.typed.event if trig.typed is not None else None
    if event in SHOPPING_EVENTS and s.conversion.event not in tested:
        add(Problem(WARNING, "no-purchase-exit", trigger,
                    f"a {event} flow that never checks for {s.conversion.event!r} keeps "
                    f"messaging people who already bought; add an exit condition on {s.conversion.event} "
                    "in the flow settings or a split before the sends"))
    for node_id in _first_delays(flow, graph, trigger):
        seconds = _delay_seconds(flow.nodes[node_id].typed)
        if seconds is not None and seconds < MIN_FIRST_DELAY_S:
            add(Problem(WARNING, "short-first-delay", node_id,
                        f"the first wait is {durations.humanize(durations.to_iso(seconds))}, shorter than event "
                        "data usually takes to arrive; wait at least 5 minutes"))


def _cooldown_shorter_than_flow(flow: Flow, graph: nx.DiGraph, order: list[str], trigger, tested: set[str],
                                add) -> None:
    """A re-entry cooldown shorter than the flow's longest path (the most time a journey can be held
    on its way through: a delay's duration, a wait's timeout, summed along a path) lets a customer start
    again while an earlier journey is still running, so the same messages can go out twice. A flow whose
    rules look for its trigger event again (a win-back's "bought since the flow started?") lets the
    earlier journey notice the new one and leave, so overlapping is what it means."""
    s = flow.settings
    if s.reentry.mode != "cooldown" or trigger.typed is None or trigger.typed.event in tested:
        return
    try:
        cooldown = durations.parse_seconds(s.reentry.cooldown)
    except durations.DurationError:
        return
    holds: dict[str, float] = {}
    for node in flow.nodes.values():
        hold = _HOLDS.get(node.kind)
        if hold is not None and (typed := node.parsed.config) is not None:
            holds[node.id] = hold(typed)
    longest = _longest_hold(graph, order, holds)
    if cooldown < longest:
        need = durations.humanize(durations.to_iso(longest))
        add(Problem(WARNING, "cooldown-shorter-than-flow", None,
                    f"the re-entry cooldown ({durations.humanize(s.reentry.cooldown)}) is shorter than the flow's "
                    f"longest path ({need}), so a customer can start again while an earlier journey still runs "
                    f"and get the same messages twice; set the cooldown to at least {need}",
                    "settings.reentry.cooldown"))


def _longest_hold(graph: nx.DiGraph, order: list[str], holds: dict[str, float]) -> float:
    """The most hold time before the last node of any path of the DAG, nodes weighted by ``holds``.

    networkx's ``dag_longest_path`` weighs edges, so it needed the weights copied onto a
    second set of edges first and then walked them again: for a flow of 10,000 nodes that
    was half of all validation. Over networkx's topological order, a node's longest arrival
    is its predecessors' best plus their own hold: one pass, no copies.
    """
    # A journey arrives at a node at the latest after its slowest predecessor's arrival and hold:
    # pushed forward along the raw adjacency (``adjacency()``), no view made per node.
    successors = dict(graph.adjacency())
    get = holds.get
    arrive: dict[str, float] = dict.fromkeys(order, 0.0)
    for u in order:
        leave = arrive[u] + get(u, 0.0)
        for v in successors[u]:
            if leave > arrive[v]:
                arrive[v] = leave
    # A hold at the end of a path postpones only the journey's end, not a message, so it does not count.
    return max(arrive.values(), default=0.0)


def _tested_events(flow: Flow) -> set[str]:
    """Every event the flow looks for after entry: in its exit condition, in a node's condition,
    or as what a wait is for (read once per validation; two lints ask)."""
    events = {t["event"] for t in conditions.event_tests(flow.settings.exit_when)}
    for node in flow.nodes.values():
        kind = node.kind
        if kind in _CONDITION_KINDS:
            typed = node.parsed.config
            if typed is not None and isinstance(typed.condition, FlowModel):
                # The raw config of a config that parsed is the same condition, without a copy per node.
                events.update(t["event"] for t in conditions.event_tests(node.config.get("condition")))
        elif kind == "wait_for":
            typed = node.parsed.config
            if typed is not None:
                events.add(typed.event)
    return events


def _first_delays(flow: Flow, graph: nx.DiGraph, trigger: str) -> set[str]:
    """Delay nodes reached from the trigger before any other wait."""
    found, seen, stack = set(), {trigger}, [trigger]
    while stack:
        for nxt in graph.successors(stack.pop()):
            if nxt in seen:
                continue
            seen.add(nxt)
            kind = flow.nodes[nxt].kind
            if kind == "delay":
                found.add(nxt)
            elif kind != "wait_for":
                stack.append(nxt)
    return found


def _delay_seconds(config) -> float | None:
    """A first delay's length; None when it waits until a local time (its length varies)."""
    if config is None or config.until is not None or config.duration is None:
        return None
    return durations.parse_seconds(config.duration)
