"""``export``, ``publish`` and ``pull``: flows to and from the ESPs.

Exit codes: 0 done (or nothing to do), 1 the flow has errors or the target
cannot express it (the capability report on stderr says where), 2 a file
could not be read, or the target cannot be reached or refuses the key.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from designer.commands.errors import CommandError
from designer.model import io
from designer.model.errors import FlowFormatError
from designer.model.flow import Flow
from designer.model.validate import has_errors, validate
from designer.publish.metrics import MetricMapError, MetricNames
from designer.publish.targets import EXPORTERS

PUBLISH_TARGETS = ("klaviyo", "hubspot", "dittofeed", "runtime")
PULL_TARGETS = ("klaviyo",)


def register(sub: argparse._SubParsersAction) -> None:
    e = sub.add_parser("export", help="write a flow's body for an ESP, offline",
                       description="Compile a flow to a target's native body without contacting it "
                       "(placeholder ids stand for metrics, templates and lists). The capability report goes "
                       "to stderr. Exit 0, or 1 when the target cannot express something.")
    _flow_target(e, "flow JSON file", sorted(EXPORTERS))
    e.add_argument("--out", metavar="FILE", help="write the body here (default: stdout)")
    e.set_defaults(func=run_export)

    p = sub.add_parser("publish", help="send a flow to an ESP as a draft, or deploy it to the runtime",
                       description="Compile, resolve names to the account's ids (creating missing templates and "
                       "lists), and create the flow as a draft. Re-publishing an unchanged flow creates nothing; "
                       "a changed flow becomes a new draft with a versioned name. --target runtime deploys the "
                       "flow to a running 'serve' (--url) as its new version. The API key comes from the "
                       "environment (KLAVIYO_API_KEY, HUBSPOT_TOKEN, DITTOFEED_ADMIN_KEY, FLOW_RUNTIME_TOKEN) or "
                       "the keyring. Exit 0 published or nothing to do, 1 the flow has errors or cannot be "
                       "expressed, 2 the target cannot be reached or refuses the key.")
    _flow_target(p, "flow JSON file (its publish record is updated)", PUBLISH_TARGETS)
    p.add_argument("--dry-run", action="store_true", help="look up ids and report, but create nothing")
    p.add_argument("--activate", action="store_true", help="set the flow live after creating it")
    p.add_argument("--allow-gaps", action="store_true",
                   help="publish even though the capability report lists errors")
    p.add_argument("--base-url", "--url", dest="base_url", metavar="URL",
                   help="another API server (an EU data centre, a test double); the runtime's address "
                   "(default http://127.0.0.1:8787)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="per-call timeout (30)")
    p.add_argument("--workspace", metavar="ID",
                   help="Dittofeed: the workspace id (default: the environment's DITTOFEED_WORKSPACE_ID)")
    p.add_argument("--json", action="store_true", help="print the result as JSON (the last line)")
    p.set_defaults(func=run_publish)

    q = sub.add_parser("pull", help="bring a live Klaviyo flow into a flow file",
                       description="Translate a flow from the account into a flow file (metric ids to event "
                       "names, the flow filter to exit condition and consent, layout computed), with the Klaviyo "
                       "ids in its publish record. What does not translate is reported and kept as a note. "
                       "--list shows the account's flows.")
    q.add_argument("target", choices=PULL_TARGETS)
    q.add_argument("flow_id", nargs="?", metavar="FLOW_ID", help="the Klaviyo flow id")
    q.add_argument("--list", action="store_true", help="list the account's flows (id, status, name)")
    q.add_argument("--out", metavar="FILE", help="flow file to write")
    q.add_argument("--base-url", metavar="URL", help="another API server")
    q.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="per-call timeout (30)")
    _metric_map(q)
    q.set_defaults(func=run_pull)


def _flow_target(p: argparse.ArgumentParser, flow_help: str, targets) -> None:
    p.add_argument("flow", metavar="FLOW", help=flow_help)
    p.add_argument("--target", required=True, choices=targets)
    _metric_map(p)


def _metric_map(p: argparse.ArgumentParser) -> None:
    p.add_argument("--metric-map", metavar="FILE",
                   help="JSON object of event names to the ESP's metric names (default: the app's "
                   "metric-names.json, else Klaviyo's shop-integration names)")


def load_flow(path: str) -> Flow:
    try:
        return io.load(path)
    except FlowFormatError as exc:
        raise CommandError(str(exc), 2) from None


def metric_names(args: argparse.Namespace) -> MetricNames:
    try:
        return MetricNames.load(args.metric_map)
    except MetricMapError as exc:
        raise CommandError(str(exc), 2) from None


def refuse_invalid(flow: Flow, path: str) -> None:
    problems = validate(flow)
    if has_errors(problems):
        for p in problems:
            if p.severity == "error":
                print(f"{path}: {p.node or '-'}: error {p.code}: {p.message}", file=sys.stderr)
        raise CommandError(f"{path}: the flow has errors; fix them before exporting or publishing", 1)


def run_export(args: argparse.Namespace) -> int:
    flow = load_flow(args.flow)
    refuse_invalid(flow, args.flow)
    body, report = EXPORTERS[args.target](flow, Path(args.flow), metric_names(args))
    text = json.dumps(body, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        io.atomic_write_text(Path(args.out), text)
    else:
        sys.stdout.write(text)
    for line in report.lines():
        print(line, file=sys.stderr)
    return 0 if report.ok() else 1


def make_client(args: argparse.Namespace):
    """The target's client, with the key from the environment or the keyring (never from a file)."""
    from designer.publish.keys import MissingKey, get_key
    from designer.publish.senders import SENDERS, option_problem, resolve_options

    sender = SENDERS[args.target]
    options = resolve_options(sender, {"workspace": getattr(args, "workspace", None)})
    problem = option_problem(sender, options)
    if problem:
        raise CommandError(problem, 2)
    try:
        key = get_key(args.target)
    except MissingKey as exc:
        if sender.key_required:
            raise CommandError(str(exc), 2) from None
        key = ""
    return sender.make_client(key, args.base_url or sender.default_base_url, args.timeout, options)


def api_failure(target: str, exc: Exception) -> CommandError:
    from designer.publish.api import ApiError

    if isinstance(exc, ApiError):
        return CommandError(f"{target}: {'the key was refused: ' if exc.refuses_key else ''}{exc}",
                            2 if exc.refuses_key or exc.status >= 500 or exc.status == 429 else 1)
    return CommandError(f"{target}: {exc}", 2)


def run_pull(args: argparse.Namespace) -> int:
    from designer.publish.api import ApiError, Unreachable
    from designer.publish.klaviyo.fetch import pull_flow

    if not args.list and not (args.flow_id and args.out):
        raise CommandError("give FLOW_ID and --out FILE, or --list", 2)
    names = metric_names(args)
    client = make_client(args)
    try:
        if args.list:
            for f in client.list_flows():
                a = f.get("attributes") or {}
                print(f"{f['id']}\t{a.get('status') or '-'}\t{a.get('name') or ''}")
            return 0
        flow, report = pull_flow(client, args.flow_id, names)
    except (ApiError, Unreachable) as exc:
        raise api_failure(args.target, exc) from None
    finally:
        client.close()
    io.save(flow, args.out)
    for line in report.lines():
        print(line, file=sys.stderr)
    problems = validate(flow)
    for p in problems:
        print(f"{args.out}: {p.node or '-'}: {p.severity} {p.code}: {p.message}", file=sys.stderr)
    print(f"{args.target}: flow {args.flow_id} written to {args.out} ({len(flow.nodes)} nodes)")
    return 1 if has_errors(problems) or not report.ok() else 0


def run_publish(args: argparse.Namespace) -> int:
    from designer.publish.api import ApiError, Unreachable
    from designer.publish.publisher import PublishRefused
    from designer.publish.ratelimit import DailyLimitReached
    from designer.publish.senders import SENDERS

    flow = load_flow(args.flow)
    refuse_invalid(flow, args.flow)
    names = metric_names(args)
    before = json.dumps(flow.publish, sort_keys=True)
    client = make_client(args)
    try:
        result, report = SENDERS[args.target].make_publisher(client, names).publish(
            flow, flow_path=args.flow, activate=args.activate, allow_gaps=args.allow_gaps, dry_run=args.dry_run)
    except PublishRefused as exc:
        raise CommandError(str(exc), 1) from None
    except (Unreachable, DailyLimitReached, ApiError) as exc:
        raise api_failure(args.target, exc) from None
    finally:
        client.close()
    for line in report.lines():
        print(line, file=sys.stderr)
    if not args.dry_run and json.dumps(flow.publish, sort_keys=True) != before:
        io.save(flow, args.flow)
    where = f" ({result.url})" if result.url else (f" (id {result.remote_id})" if result.remote_id else "")
    print(f"{args.target}: {result.name}: {result.message}{where}")
    if args.json:
        print(json.dumps(result.summary()))
    return 0
