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
