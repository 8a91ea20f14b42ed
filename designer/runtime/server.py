"""The runtime's process: the HTTP app on uvicorn, the clock's tick and the delivery thread.

Each serving process (one, or ``--workers N`` of them, or several ``serve``
commands on many machines over one PostgreSQL store) runs the same three
things: the API, a tick that decides whatever is due once a second (in manual
mode too, so a ``POST /clock`` to one worker is shared by all; see claims.py)
and, with ``--smtp``, a delivery thread. uvicorn's own worker processes
re-create the app from :data:`CONFIG_ENV` (the store, clock and SMTP server;
the token stays in ``FLOW_RUNTIME_TOKEN``), so nothing secret is passed
beyond what the environment already holds.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from dataclasses import asdict, dataclass

from fastapi import FastAPI

from designer.runtime.app import create_app
from designer.runtime.runtime import Runtime

CONFIG_ENV = "FLOW_RUNTIME_SERVE"
TICK_SECONDS = 1.0


@dataclass(frozen=True)
class ServeConfig:
    db: str
    clock: str = "wall"
    smtp: str | None = None
    sender: str = "shop@example.com"


def build_app(config: ServeConfig, token: str | None = None) -> FastAPI:
    runtime = Runtime(config.db, clock=config.clock)
    app = create_app(runtime, token)

    @app.on_event("startup")
    async def start_background() -> None:
        async def tick() -> None:
            while True:
                await asyncio.to_thread(runtime.run_due)
                await asyncio.sleep(TICK_SECONDS)

        app.state.tick = asyncio.get_running_loop().create_task(tick())
        if config.smtp:
            start_delivery(runtime, config.smtp, config.sender)

    return app


def app_from_env() -> FastAPI:
    """The app of one of uvicorn's worker processes (``--workers N``)."""
    return build_app(ServeConfig(**json.loads(os.environ[CONFIG_ENV])))


def start_delivery(runtime: Runtime, smtp: str, sender: str) -> None:
    """A daemon thread that delivers the outbox every second (a crash is safe: see delivery.py)."""
    from designer.publish.delivery import SmtpSender
    from designer.runtime.delivery import DeliveryWorker

    host, _, port = smtp.rpartition(":")
    worker = DeliveryWorker(runtime.engine, SmtpSender(host, int(port), sender))

    def loop() -> None:
        while True:
            worker.deliver_all()
            time.sleep(TICK_SECONDS)

    threading.Thread(target=loop, name="delivery", daemon=True).start()


def serve(config: ServeConfig, host: str, port: int, workers: int = 1, token: str | None = None) -> None:
    """Serve until SIGTERM / Ctrl-C (uvicorn finishes the request in hand, its transaction commits)."""
    import uvicorn

    if workers <= 1:
        uvicorn.run(build_app(config, token), host=host, port=port, log_level="info")
        return
    os.environ[CONFIG_ENV] = json.dumps(asdict(config))
    uvicorn.run("designer.runtime.server:app_from_env", factory=True, workers=workers, host=host, port=port,
                log_level="info")
