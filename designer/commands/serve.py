"""``serve --db STORE``: run deployed flows live (the runtime's HTTP API on uvicorn)."""

from __future__ import annotations

import argparse
import ipaddress
import os

from designer.commands.errors import CANNOT_RUN, INPUT, CommandError

INSTALL_HINT = "the runtime needs its extra: pip install 'trigger-flow-designer[runtime]'"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run deployed flows live (the flow runtime)",
                       description="Serve the flow runtime's HTTP API over a store. Set FLOW_RUNTIME_TOKEN to "
                       "require a bearer token; without one only a loopback address is allowed.")
    p.add_argument("--db", required=True, metavar="STORE", help="the store (a SQLite file or a database URL)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8787)
    p.add_argument("--clock", choices=("wall", "manual"), default="wall",
                   help="manual: the clock moves only through POST /clock (replays, tests)")
    p.add_argument("--smtp", metavar="HOST:PORT", help="deliver queued email through this SMTP server")
    p.add_argument("--from", dest="sender", default="shop@example.com", metavar="ADDRESS",
                   help="the From address of delivered email")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="serving processes (PostgreSQL only); several serve commands may share one store too")
    p.set_defaults(func=run)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("FLOW_RUNTIME_TOKEN") or None
    if not is_loopback(args.host) and token is None:
        raise CommandError(f"refusing to listen on {args.host} without a token: set FLOW_RUNTIME_TOKEN "
                           "or serve on 127.0.0.1", INPUT)
    if args.workers < 1:
        raise CommandError("--workers: at least 1", INPUT)
    if args.smtp:
        host, _, port = args.smtp.rpartition(":")
        if not host or not port.isdigit():
            raise CommandError(f"--smtp {args.smtp!r}: expected HOST:PORT", INPUT)
    try:
        import uvicorn  # noqa: F401

        from designer.runtime.server import ServeConfig, serve
    except ImportError:
        raise CommandError(INSTALL_HINT, CANNOT_RUN) from None
    from designer.runtime.claims import shared
    from designer.runtime.runtime import Runtime
    from designer.store.db import StoreError

    try:
        runtime = Runtime(args.db, clock=args.clock)  # the store opened (and its tables made) once, here
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    several = shared(runtime.engine)
    runtime.engine.dispose()
    if args.workers > 1 and not several:
        raise CommandError(f"--workers {args.workers}: several workers need a PostgreSQL store; a SQLite store "
                           "is served by one process", INPUT)
    serve(ServeConfig(str(args.db), args.clock, args.smtp, args.sender), args.host, args.port, args.workers, token)
    return 0
