"""What the HubSpot and Dittofeed doubles share: a real HTTP server on loopback in a thread.

Each request is logged (method, path), its bearer token checked, its JSON body
read; a script of faults plays on the create call: ``"429"`` (with
Retry-After), ``"500"`` (nothing made), ``"hang"`` (the thing is made, and the
answer held on an event the test controls, so the client times out with
certainty rather than by a race), or a dict for a 400 naming a field.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class LoopbackESP:
    key = ""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.create_script: list = []
        self.release = threading.Event()
        self.held = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p == path)

    def next_step(self):
        with self.lock:
            return self.create_script.pop(0) if self.create_script else "ok"

    def hold(self) -> None:
        """Called after the thing is made: keep the answer until the test (or shutdown) releases it."""
        self.held.set()
        self.release.wait(60)

    # -- overridden per target -----------------------------------------------
    def handle(self, method: str, path: str, query: dict, body: dict | None, reply) -> None:
        raise NotImplementedError

    def error_body(self, status: int, message: str, field: str | None) -> dict:
        raise NotImplementedError

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def reply(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def error(self, status: int, message: str, field: str | None = None, headers=None) -> None:
                self.reply(status, fake.error_body(status, message, field), headers)

            def _any(self) -> None:
                url = urlsplit(self.path)
                with fake.lock:
                    fake.requests.append((self.command, url.path))
                if self.headers.get("Authorization") != f"Bearer {fake.key}":
                    return self.error(401, "Authentication credentials not found or invalid")
                length = int(self.headers.get("Content-Length") or 0)
                body = None
                if length:
                    if "application/json" not in (self.headers.get("Content-Type") or ""):
                        return self.error(415, "Content-Type must be application/json")
                    body = json.loads(self.rfile.read(length))
                fake.handle(self.command, url.path, parse_qs(url.query), body, self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

        return Handler
