"""``simulate FLOW --db DB`` and ``compare FLOW_A FLOW_B --db DB``: backtests from the command line."""

from __future__ import annotations

import argparse
import json

from designer.commands.errors import CommandError
from designer.commands.storeoptions import open_existing
from designer.content.backtest import checking
from designer.engine import clock
from designer.engine.figures import SimulationResult
from designer.engine.simulate import SimulationError, simulate
from designer.model import io
from designer.model.errors import FlowFormatError
from designer.model.flow import Flow
from designer.model.kinds import summary


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("simulate", help="backtest a flow (or several, as one programme) over the event store",
                       description="Replay a flow over the stored history and print what it would have done: "
                       "per node entered, exits by port, skips by reason, in progress at the end; marketing "
                       "messages per channel (webhook calls apart), recipients, conversions, revenue, "
                       "conversion rate (converting recipients over recipients), journeys that bought before "
                       "any message, and warnings (a wait the history is too short for). Several flows (or a "
                       "programme file) are backtested together on the same customers, with the programme's "
                       "figures. Exit 0 done, 1 a flow has errors, 2 a file or the store could not be read.")
    p.add_argument("flows", nargs="+", metavar="FLOW", help="flow JSON files; test files beside them are "
                   "passed over, a programme file (flows/programme.json) sets the cap and priority")
    _common(p)
    p.add_argument("--trace", metavar="CUSTOMER", help="print one customer's journeys step by step "
                   "(the customer's external id)")
    p.add_argument("--cap", metavar="N/WINDOW", help="programme-wide frequency cap: at most N marketing "
                   "messages per customer in any WINDOW across all flows, e.g. 3/P7D")
    p.add_argument("--cluster", metavar="ADDRESS", help="run on a Dask cluster: tcp://SCHEDULER:8786, or "
                   "local[:N] for N worker processes on this machine")
    p.set_defaults(func=run_simulate)

    c = sub.add_parser("compare", help="backtest two flows on the same history, side by side",
                       description="Simulate two flows (or two versions of one) over the same window and print "
                       "their figures side by side with the differences.")
    c.add_argument("flow_a", metavar="FLOW_A", help="first flow JSON file")
    c.add_argument("flow_b", metavar="FLOW_B", help="second flow JSON file")
    _common(c)
    c.set_defaults(func=run_compare)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", required=True, metavar="DB", help="event store: a SQLite file or a database URL")
    p.add_argument("--from", dest="window_from", metavar="ISO",
                   help="window start, e.g. 2025-03-01 or 2025-03-01T00:00Z (default: first stored event)")
    p.add_argument("--to", dest="window_to", metavar="ISO",
                   help="window end, exclusive (default: just after the last stored event)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object (the last line)")
    p.add_argument("--workers", type=int, metavar="N", help="processes to use (default: one per core "
                   "for large histories)")
    p.add_argument("--no-save", action="store_true", help="do not keep the run in the store")


# -- helpers ----------------------------------------------------------------------
def _load_flow(path: str) -> Flow:
    try:
        return io.load(path)
    except FlowFormatError as exc:
        raise CommandError(str(exc), 2) from None


def _window(args: argparse.Namespace) -> tuple[int | None, int | None]:
    out = []
    for flag, value in (("--from", args.window_from), ("--to", args.window_to)):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(clock.parse_moment(value))
        except ValueError as exc:
            raise CommandError(f"{flag}: {exc}", 2) from None
    return out[0], out[1]


def _run(flow: Flow, engine, args: argparse.Namespace, trace: str | None = None) -> SimulationResult:
    try:
        return simulate(flow, engine, window=_window(args), trace_customer=trace, workers=args.workers,
                        save=not args.no_save)
    except SimulationError as exc:
        raise CommandError(str(exc), 1 if exc.flow_errors else 2) from None


def _num(x: float | int) -> str:
    if isinstance(x, float):
        return f"{x:,.2f}"
    return f"{x:,}"


def _ports(d: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(d.items())) or "-"


# -- simulate ---------------------------------------------------------------------------
def run_simulate(args: argparse.Namespace) -> int:
    from designer.commands.programme import programme_run, wanted

    flows, programme = wanted(args)
    if len(flows) > 1 or programme is not None or args.cluster:
        return programme_run(args, flows, programme)
    flow = flows[0]
    engine = open_existing(args.db)
    try:
        with checking(args.flow_files):  # sends whose template cannot render count as template_error
            result = _run(flow, engine, args, trace=args.trace)
    finally:
        engine.dispose()
    if args.trace is not None:
        if args.json:
            print(json.dumps({"customer": args.trace, "trace": [s.to_json() for s in result.trace or []]}))
        else:
            print(format_trace(flow, args.trace, result))
        return 0
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        print(format_result(flow, result))
    return 0


def format_result(flow: Flow, r: SimulationResult) -> str:
    head = [f"{flow.name} ({flow.id}) from {clock.iso(r.window_from)} to {clock.iso(r.window_to)}"]
    rows = [["node", "kind", "entered", "exited", "ended", "in prog", "left by port", "skipped / held",
             "msgs", "recip", "conv", "conv rcp", "revenue", "step"]]
    for node_id, node in flow.nodes.items():
        f = r.nodes[node_id]
        skips = _ports(f.skipped) if f.skipped else ""
        if f.deferred:
            skips = (skips + " " if skips else "") + " ".join(f"held:{k}={v}" for k, v in sorted(f.deferred.items()))
        send = [_num(f.messages), _num(f.recipients), _num(f.conversions), _num(f.converting_recipients),
                _num(round(f.revenue, 2))] if f.is_send else ["", "", "", "", ""]
        step = summary(node.kind, node.config)
        rows.append([node_id, node.kind, _num(f.entered), _num(f.exited), _num(f.ended), _num(f.in_progress),
                     _ports(f.exits), skips or "-", *send, step[:40]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {2, 3, 4, 5, 8, 9, 10, 11, 12}
    lines = []
    for n, row in enumerate(rows):
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    not_entered = f" (not entered: {_ports(r.not_entered)})" if r.not_entered else ""
    totals = [
        f"journeys entered {_num(r.entered)} by {_num(r.customers_entered)} customers{not_entered}; "
        f"in progress at the end {_num(r.in_progress)}",
        f"messages {_num(r.sends)}{_channels(r)} to {_num(r.recipients)} recipients" + _webhooks(r),
        f"conversions {_num(r.conversions)}, revenue {_num(round(r.revenue, 2))}; converting recipients "
        f"{_num(r.converting_recipients)}, conversion rate {_percent(r.conversion_rate)}",
        f"bought before any message {_num(r.bought_before_message)} journeys "
        f"({_percent(r.bought_before_message_share)} of entries)",
        f"read {_num(r.events_read)} events of {_num(r.customers_read)} customers in {r.seconds:.2f} s"
        + (f"; run {r.run_id}" if r.run_id is not None else ""),
    ]
    warnings = [f"warning {w['code']}" + (f" at {w['node']}" if w.get("node") else "") + f": {w['message']}"
                for w in r.warnings]
    return "\n".join(head + [""] + lines + [""] + totals + ([""] + warnings if warnings else []))


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1%}"


def _channels(r: SimulationResult) -> str:
    """The marketing channels of ``messages``, e.g. ' (email 300, sms 69)'."""
    parts = [f"{channel} {_num(n)}" for channel, n in sorted(r.messages_by_channel.items()) if channel != "webhook"]
    return f" ({', '.join(parts)})" if parts else ""


def _webhooks(r: SimulationResult) -> str:
    calls = r.messages_by_channel.get("webhook", 0)
    return f"; webhook calls {_num(calls)} (not messages: no consent, no conversions)" if calls else ""


def format_trace(flow: Flow, customer: str, r: SimulationResult) -> str:
    steps = r.trace or []
    if not steps:
        return f"customer {customer}: no journey in {flow.id} between {clock.iso(r.window_from)} and " \
               f"{clock.iso(r.window_to)} (no matching trigger event)"
    lines = [f"customer {customer} in {flow.name} ({flow.id})"]
    for s in steps:
        who = f"journey {s.journey + 1}" if s.journey >= 0 else "customer"
        node = ""
        if s.node is not None and s.node in flow.nodes:
            node = f"{s.node} {flow.nodes[s.node].kind}"
        lines.append(f"{clock.iso(s.time)}  {who:<10}  {node:<20}  {s.what}: {s.detail}".rstrip(": "))
    return "\n".join(lines)


# -- compare -----------------------------------------------------------------------------
def run_compare(args: argparse.Namespace) -> int:
    flow_a, flow_b = _load_flow(args.flow_a), _load_flow(args.flow_b)
    engine = open_existing(args.db)
    try:
        with checking({args.flow_a: flow_a}):
            a = _run(flow_a, engine, args)
        with checking({args.flow_b: flow_b}):
            b = _run(flow_b, engine, args)
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps({"a": a.to_json(), "b": b.to_json(), "difference": difference(a, b)}))
    else:
        print(format_compare(flow_a, flow_b, a, b))
    return 0


TOTALS = ("entered", "sends", "recipients", "conversions", "converting_recipients", "revenue",
          "bought_before_message", "in_progress")


def difference(a: SimulationResult, b: SimulationResult) -> dict:
    """B minus A for the totals, and per node present in either flow."""
    out: dict = {k: round(getattr(b, k) - getattr(a, k), 2) for k in TOTALS}
    nodes = {}
    for node_id in list(dict.fromkeys([*a.nodes, *b.nodes])):
        fa, fb = a.nodes.get(node_id), b.nodes.get(node_id)
        get = lambda f, k: getattr(f, k) if f is not None else 0  # noqa: E731
        nodes[node_id] = {k: get(fb, k) - get(fa, k) for k in ("entered", "messages", "conversions")}
    out["nodes"] = nodes
    return out


def format_compare(flow_a: Flow, flow_b: Flow, a: SimulationResult, b: SimulationResult) -> str:
    rows = [["", f"A {flow_a.id}", f"B {flow_b.id}", "B - A"]]
    for k in TOTALS:
        va, vb = getattr(a, k), getattr(b, k)
        diff = vb - va
        rows.append([k.replace("_", " "), _num(va), _num(vb), ("+" if diff > 0 else "") + _num(diff) if diff else "="])
    rows.append(["", "", "", ""])
    rows.append(["node (kind): entered / messages", "A", "B", "B - A"])
    for node_id in dict.fromkeys([*flow_a.nodes, *flow_b.nodes]):
        fa, fb = a.nodes.get(node_id), b.nodes.get(node_id)
        kinds = dict.fromkeys(f.kind for f in (fa, fb) if f is not None)
        kind = "/".join(kinds)
        cell = lambda f: "-" if f is None else (f"{f.entered:,} / {f.messages:,}" if f.is_send else f"{f.entered:,}")  # noqa: E731
        ea = fa.entered if fa else 0
        eb = fb.entered if fb else 0
        d = eb - ea
        rows.append([f"{node_id} ({kind})", cell(fa), cell(fb), ("+" if d > 0 else "") + f"{d:,}" if d else "="])
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"window {clock.iso(a.window_from)} to {clock.iso(a.window_to)}"]
    for n, r in enumerate(rows):
        lines.append("  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
