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
    try:
        import uvicorn

        from designer.runtime.app import create_app
    except ImportError:
        raise CommandError(INSTALL_HINT, CANNOT_RUN) from None
    from designer.runtime.runtime import Runtime
    from designer.store.db import StoreError

    try:
        runtime = Runtime(args.db, clock=args.clock)
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    app = create_app(runtime, token)
    if args.clock == "wall":
        import asyncio

        @app.on_event("startup")
        async def tick() -> None:
            async def loop() -> None:
                while True:
                    await asyncio.to_thread(runtime.run_due)
                    await asyncio.sleep(1.0)
            asyncio.get_running_loop().create_task(loop())
    if args.smtp:
        _start_delivery(runtime, args.smtp, args.sender)
    # uvicorn stops gracefully on SIGTERM / Ctrl-C: the request in hand finishes, its transaction commits.
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _start_delivery(runtime, smtp: str, sender: str) -> None:
    """A daemon thread that delivers the outbox every second (a crash is safe: see delivery.py)."""
    import threading
    import time

    from designer.publish.delivery import SmtpSender
    from designer.runtime.delivery import DeliveryWorker

    host, _, port = smtp.rpartition(":")
    if not host or not port.isdigit():
        raise CommandError(f"--smtp {smtp!r}: expected HOST:PORT", INPUT)
    worker = DeliveryWorker(runtime.engine, SmtpSender(host, int(port), sender))

    def loop() -> None:
        while True:
            worker.deliver_all()
            time.sleep(1.0)

    threading.Thread(target=loop, name="delivery", daemon=True).start()
