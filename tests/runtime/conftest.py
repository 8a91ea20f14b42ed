"""A fresh runtime in process behind FastAPI's TestClient, over a store of its own."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient  # noqa: E402

from designer.runtime.app import create_app  # noqa: E402
from designer.runtime.runtime import Runtime  # noqa: E402


@pytest.fixture
def make_client(tmp_path):
    made = []

    def make(token: str | None = None, name: str = "runtime.db") -> TestClient:
        runtime = Runtime(tmp_path / name, clock="manual")
        client = TestClient(create_app(runtime, token or ""))
        if token:
            client.headers["Authorization"] = f"Bearer {token}"
        made.append(runtime)
        return client

    yield make
    for r in made:
        r.engine.dispose()


class LiveRuntime:
    """A runtime served by uvicorn on a loopback port, in a thread of the test process: real HTTP,
    so the product's own client (requests, urllib3 Retry) talks to it as to a deployed one."""

    def __init__(self, store, token: str | None = None) -> None:
        import socket
        import threading

        import uvicorn

        self.runtime = Runtime(store, clock="manual")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(create_app(self.runtime, token or ""), host="127.0.0.1",
                                                    port=self.port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, name="live-runtime", daemon=True)
        self.thread.start()
        self.client = TestClient(create_app(self.runtime, token or ""))
        if token:
            self.client.headers["Authorization"] = f"Bearer {token}"
        self._wait_started()

    def _wait_started(self) -> None:
        import time

        deadline = time.monotonic() + 60  # a bound on a hung start only: uvicorn sets ``started`` once listening
        while not self.server.started:
            assert self.thread.is_alive(), "the runtime's server ended before it listened"
            assert time.monotonic() < deadline, "the runtime's server never started"
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.runtime.engine.dispose()


@pytest.fixture
def live_runtime(tmp_path):
    """``live_runtime(token=None)``: a started :class:`LiveRuntime` over a store of its own."""
    made: list[LiveRuntime] = []

    def make(token: str | None = None, name: str = "live.db") -> LiveRuntime:
        made.append(LiveRuntime(tmp_path / name, token))
        return made[-1]

    yield make
    for live in made:
        live.stop()
