"""``render FLOW --node NODE --db STORE --customer ID``: the message one customer would have received.

The moment is the customer's first message from that node in a backtest over
the whole history, or ``--at`` (with the latest trigger event before it).
Exit 0 rendered, 1 the template has problems (each named, with its line),
2 a file, the node or the customer could not be found.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from designer.commands.errors import CommandError
from designer.commands.storeoptions import open_existing
from designer.commands.simulate import _load_flow
from designer.content.context import build_context
from designer.content.message import Renderer, is_send, preview_problems, to_eml
from designer.content.moment import first_arrival, moment_at, read_customer
from designer.content.templates import TemplateLibrary
from designer.engine import clock
from designer.engine.simulate import SimulationError
from designer.store.settings import store_currency

FORMATS = ("html", "text", "eml")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="render the message a customer would have received from a send",
                       description="Render a send node's message for one customer of the store, at their first "
                       "arrival at the node in a backtest (or at --at). Exit 0 rendered; 1 the template has "
                       "problems; 2 a file, the node or the customer could not be found.")
    p.add_argument("flow", metavar="FLOW", help="flow JSON file")
    p.add_argument("--node", required=True, metavar="NODE", help="id of a send node (send_email, send_sms, webhook)")
    p.add_argument("--db", required=True, metavar="STORE", help="event store: a SQLite file or a database URL")
    p.add_argument("--customer", required=True, metavar="ID", help="the customer's external id (or email)")
    p.add_argument("--at", metavar="ISO", help="render as of this moment instead of the backtest's first arrival")
    p.add_argument("--format", choices=FORMATS, default="html",
                   help="html (the email's HTML), text (headers and the plain-text part) or eml (RFC 5322 "
                   "multipart/alternative, opens in any mail client)")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    flow = _load_flow(args.flow)
    node = flow.nodes.get(args.node)
    if node is None:
        sends = ", ".join(n.id for n in flow.nodes.values() if is_send(n.kind)) or "none"
        raise CommandError(f"{args.flow}: no node '{args.node}' (sends: {sends})", 2)
    if not is_send(node.kind):
        raise CommandError(f"{args.flow}: node {args.node} is a {node.kind}, not a send", 2)
    if args.format == "eml" and node.kind != "send_email":
        raise CommandError(f"--format eml needs an email; {args.node} is a {node.kind}", 2)
    store = open_existing(args.db)
    try:
        customer = read_customer(store, args.customer)
        if customer is None:
            raise CommandError(f"{args.db}: no customer '{args.customer}'", 2)
        if args.at is not None:
            try:
                at = clock.parse_moment(args.at)
            except ValueError as exc:
                raise CommandError(f"--at: {exc}", 2) from None
            entry = None
        else:
            try:
                arrival = first_arrival(flow, store, customer, node.id)
            except SimulationError as exc:
                raise CommandError(str(exc), 1 if exc.flow_errors else 2) from None
            if arrival is None:
                raise CommandError(f"customer {customer.external_id} got no message from {node.id} in a backtest "
                                   "of the whole history; give --at ISO to render as of a moment", 2)
            at, entry = arrival
        currency = store_currency(store)
    finally:
        store.dispose()
    ctx = build_context(moment_at(flow, node.id, customer, at, entry), currency=currency)
    message = Renderer(TemplateLibrary.for_flow(args.flow)).render(node.kind, node.id, node.config, ctx)
    if message.problems:
        for line in preview_problems(message):
            print(f"{args.flow}: {node.id}: {line}", file=sys.stderr)
        return 1
    data = _output(message, args.format, at)
    if args.out:
        try:
            Path(args.out).write_bytes(data)
        except OSError as exc:
            raise CommandError(f"{args.out}: {exc.strerror or exc}", 2) from None
        print(f"{args.out}: {message.channel} for {customer.external_id} as of {clock.iso(at)}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def _output(message, fmt: str, at: int) -> bytes:
    if fmt == "eml":
        return to_eml(message, when=at)
    if fmt == "html" and message.channel == "email":
        return message.html.encode("utf-8")
    head = []
    if message.channel == "email":
        head = [f"From: {message.from_name} <{message.from_email}>", f"To: {message.to}",
                f"Subject: {message.subject}", f"Preview: {message.preview_text}", ""]
    elif message.channel == "webhook":
        head = [f"{message.method} {message.url}", ""]
    text = "\n".join(head) + message.text
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")
