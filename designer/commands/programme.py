"""``simulate FLOW FLOW... [--cap N/P7D] [--cluster ADDRESS]``: flows backtested together as a programme.

The files given are told apart by their ``format``: flows run, test files are
passed over, a programme file gives the cap, the priority and (when no flow
is given) the flows. The report has each flow's totals and what only the
programme shows: messages per customer per week, customers in several flows
at once, sends another flow's message suppressed, and collisions.
"""

from __future__ import annotations

import argparse
import json

from designer.commands.errors import CommandError
from designer.commands.storeoptions import open_existing
from designer.commands.simulate import _load_flow, _num, _window
from designer.engine.figures import SimulationResult
from designer.engine.simulate import SimulationError, simulate_together
from designer.model import documents, programme as programmes
from designer.model.flow import Flow
from designer.model.programme import Programme, ProgrammeError


def wanted(args: argparse.Namespace) -> tuple[list[Flow], Programme | None]:
    """The flows to run and the programme they form (None: one plain flow, no programme asked for)."""
    groups = documents.split_by_format(list(args.flows))
    programme: Programme | None = None
    files = groups.get(documents.PROGRAMME, [])
    if len(files) > 1:
        raise CommandError(f"two programme files given ({files[0]}, {files[1]}): give one", 2)
    try:
        if files:
            programme = programmes.load(files[0])
        if args.cap:
            cap = programmes.parse_cap(args.cap)
            programme = Programme(cap, programme.priority, programme.collision_window, programme.flows,
                                  programme.base) if programme else Programme(cap)
    except ProgrammeError as exc:
        raise CommandError(("--cap: " if args.cap and not files else "") + str(exc), 2) from None
    paths = groups.get(documents.FLOW, []) + groups.get(None, [])  # unreadable ones: the loader says why
    if not paths and programme is not None:
        paths = [str(p) for p in programme.flow_paths()]
    if not paths:
        raise CommandError("no flow to simulate among the files given", 2)
    flows = [_load_flow(p) for p in paths]
    args.flow_files = dict(zip(paths, flows))  # each flow's file: its templates sit beside it
    ids = [f.id for f in flows]
    twice = next((i for i in ids if ids.count(i) > 1), None)
    if twice is not None:
        raise CommandError(f"two flows have the id {twice!r}: a programme tells flows apart by id", 2)
    if programme is None and len(flows) > 1:
        programme = Programme()
    return flows, programme


def programme_run(args: argparse.Namespace, flows: list[Flow], programme: Programme | None) -> int:
    if args.trace is not None:
        raise CommandError("--trace follows one flow: give one flow file with it", 2)
    from designer.content.backtest import checking

    engine = open_existing(args.db)
    try:
        with checking(args.flow_files):  # sends whose template cannot render count as template_error
            results = _run_programme(args, flows, programme, engine)
    except SimulationError as exc:
        raise CommandError(str(exc), 1 if exc.flow_errors else 2) from None
    finally:
        engine.dispose()
    if len(flows) == 1 and programme is None:
        from designer.commands.simulate import format_result

        r = results[0]
        print(json.dumps(r.to_json()) if args.json else format_result(flows[0], r))
        return 0
    if args.json:
        print(json.dumps({"flows": [r.to_json() for r in results],
                          "programme": results[0].programme.to_json() if results[0].programme else None}))
    else:
        print(format_programme(flows, results))
    return 0


def _run_programme(args: argparse.Namespace, flows: list[Flow], programme: Programme | None, engine):
    if args.cluster:
        from designer.engine.cluster import ClusterUnavailable, simulate_on_cluster

        try:
            return simulate_on_cluster(flows, engine, args.cluster, window=_window(args), save=not args.no_save,
                                       programme=programme)
        except ClusterUnavailable as exc:
            raise CommandError(str(exc), 2) from None
    return simulate_together(flows, engine, window=_window(args), workers=args.workers, save=not args.no_save,
                             programme=programme)


def format_programme(flows: list[Flow], results: list[SimulationResult]) -> str:
    p = results[0].programme
    lines = []
    cap = f"cap {p.cap[0]} per {p.cap[1] // 86_400_000} d" if p is not None and p.cap else "no cap"
    lines.append(f"{len(flows)} flows together ({cap})")
    rows = [["flow", "entered", "messages", "recipients", "conversions", "revenue", "skipped"]]
    for f, r in zip(flows, results):
        skipped: dict[str, int] = {}
        for n in r.nodes.values():
            for k, v in n.skipped.items():
                skipped[k] = skipped.get(k, 0) + v
        rows.append([f.id, _num(r.entered), _num(r.sends), _num(r.recipients), _num(r.conversions),
                     _num(round(r.revenue, 2)), " ".join(f"{k}={v}" for k, v in sorted(skipped.items())) or "-"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if i in (0, 6) else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    kept = [r.run_id for r in results if r.run_id is not None]
    if kept:
        lines.append(f"kept as runs {', '.join(map(str, kept))} ('audit RUN --db STORE --customer ID' lists their decisions)")
    if p is None:
        return "\n".join(lines)
    j = p.to_json()
    lines.append("")
    hist = ", ".join(f"{k}: {v}" for k, v in j["messages_per_customer_week"].items()) or "none"
    lines.append(f"marketing messages per customer-week (messages: customer-weeks): {hist}")
    lines.append(f"most marketing messages to one customer within "
                 f"{'the cap window' if p.cap else '7 days'}: {j['max_messages_in_cap_window']}")
    lines.append(f"customers in more than one flow at once: {_num(j['customers_in_several_flows'])}")
    if j["suppressed_by_other_flows"]:
        lines.append("sends suppressed by another flow's message:")
        for s in j["suppressed_by_other_flows"]:
            lines.append(f"  {s['blocked']} blocked by {s['by']} ({s['reason'].replace('_', ' ')}): {s['sends']:,}")
    hours = p.collision_ms / 3_600_000
    if j["collisions"]:
        lines.append(f"collisions (messages of two flows to one customer within {hours:g} h):")
        for c in j["collisions"]:
            lines.append(f"  {c['flows'][0]} + {c['flows'][1]}: {c['pairs']:,}")
    else:
        lines.append(f"no collisions within {hours:g} h")
    return "\n".join(lines)
