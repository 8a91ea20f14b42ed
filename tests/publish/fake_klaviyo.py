"""A Klaviyo double on loopback: a real HTTP server in a thread, answering as Klaviyo does.

It checks every request's auth, revision and content type, pages its lists
(two items a page, so ``links.next`` is followed), keeps the flows, templates
and lists created, and plays a script of faults on Create Flow: ``"429"``
(with Retry-After), ``"500"`` (nothing created), ``"hang"`` (the flow is
created, and the answer is held on an event the test controls, so the client
times out with certainty rather than by a race), or a JSON:API 400.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PAGE = 2
KEY = "pk_test_9f3b7c2e1a5d4b8f"


def real_ids(definition: dict, flow_no: int) -> dict:
    """The definition as Klaviyo stores it: every temporary id replaced by a real one."""
    definition = json.loads(json.dumps(definition))
    ids = {a["temporary_id"]: f"{flow_no}{i:03d}" for i, a in enumerate(definition["actions"], 1)}
    for a in definition["actions"]:
        a["id"] = ids[a.pop("temporary_id")]
        for key, target in (a.get("links") or {}).items():
            a["links"][key] = ids.get(target) if target else None
    definition["entry_action_id"] = ids.get(definition["entry_action_id"])
    return definition


class FakeKlaviyo:
    def __init__(self, metrics: list[str], key: str = KEY) -> None:
        self.key = key
        self.metrics = [{"type": "metric", "id": f"M{i}", "attributes": {"name": n}} for i, n in enumerate(metrics)]
        self.templates: list[dict] = []
        self.lists: list[dict] = []
        self.flows: list[dict] = []
        self.create_script: list = []
        self.get_faults: list[int] = []
        self.requests: list[tuple[str, str]] = []
        self.bad_requests: list[str] = []
        self.release = threading.Event()
        self.held = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FakeKlaviyo":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def flow_creates(self) -> int:
        return sum(1 for m, p in self.requests if m == "POST" and p == "/api/flows")

    # -- the handler -------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _send(self, status: int, body: dict | None, headers: dict | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/vnd.api+json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _error(self, status: int, title: str, pointer: str | None = None, headers=None) -> None:
                err = {"id": "e1", "code": str(status), "title": title, "detail": title}
                if pointer:
                    err["source"] = {"pointer": pointer}
                self._send(status, {"errors": [err]}, headers)

            def _checked(self) -> dict | None:
                url = urlsplit(self.path)
                with fake.lock:
                    fake.requests.append((self.command, url.path))
                problems = []
                if self.headers.get("Authorization") != f"Klaviyo-API-Key {fake.key}":
                    self._error(401, "Incorrect authentication credentials.")
                    return None
                if not self.headers.get("revision"):
                    problems.append("revision header missing")
                if "application/vnd.api+json" not in (self.headers.get("Accept") or ""):
                    problems.append("Accept is not JSON:API")
                body = None
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    if self.headers.get("Content-Type") != "application/vnd.api+json":
                        problems.append("Content-Type is not JSON:API")
                    body = json.loads(self.rfile.read(length))
                if problems:
                    fake.bad_requests.extend(problems)
                    self._error(400, "; ".join(problems))
                    return None
                return {"url": url, "query": parse_qs(url.query), "body": body}

            def _page(self, items: list[dict], req: dict) -> None:
                start = int((req["query"].get("page[cursor]") or ["0"])[0])
                out = {"data": items[start:start + PAGE], "links": {"self": fake.url + req["url"].path}}
                if start + PAGE < len(items):
                    out["links"]["next"] = f"{fake.url}{req['url'].path}?page%5Bcursor%5D={start + PAGE}"
                self._send(200, out)

            def do_GET(self) -> None:
                req = self._checked()
                if req is None:
                    return
                with fake.lock:
                    fault = fake.get_faults.pop(0) if fake.get_faults else None
                if fault:
                    self._error(fault, "try again", headers={"Retry-After": "0"})
                    return
                path = req["url"].path
                if path == "/api/metrics":
                    return self._page(fake.metrics, req)
                if path == "/api/templates":
                    return self._page(fake.templates, req)
                if path == "/api/lists":
                    return self._page(fake.lists, req)
                if path == "/api/accounts":
                    return self._send(200, {"data": [{"type": "account", "id": "A1"}]})
                if path == "/api/flows":
                    flows = fake.flows
                    flt = (req["query"].get("filter") or [None])[0]
                    if flt:
                        name = json.loads(flt[len("equals(name,"):-1])
                        flows = [f for f in flows if f["attributes"]["name"] == name]
                    return self._page([{k: v for k, v in f.items() if k != "definition"} for f in flows], req)
                if path.startswith("/api/flows/"):
                    fid = path.rsplit("/", 1)[1]
                    flow = next((f for f in fake.flows if f["id"] == fid), None)
                    if flow is None:
                        return self._error(404, "Not found")
                    return self._send(200, {"data": flow})
                self._error(404, "Not found")

            def do_PATCH(self) -> None:
                req = self._checked()
                if req is None:
                    return
                fid = req["url"].path.rsplit("/", 1)[1]
                for f in fake.flows:
                    if f["id"] == fid:
                        f["attributes"]["status"] = req["body"]["data"]["attributes"]["status"]
                        return self._send(200, {"data": f})
                self._error(404, "Not found")

            def do_POST(self) -> None:
                req = self._checked()
                if req is None:
                    return
                path, body = req["url"].path, req["body"]
                if path == "/api/flows":
                    return self._create_flow(body)
                store = {"/api/templates": fake.templates, "/api/lists": fake.lists}.get(path)
                if store is None:
                    return self._error(404, "Not found")
                kind = body["data"]["type"]
                with fake.lock:
                    item = {"type": kind, "id": f"{kind[0].upper()}{len(store) + 1}",
                            "attributes": dict(body["data"]["attributes"])}
                    store.append(item)
                self._send(201, {"data": item})

            def _create_flow(self, body: dict) -> None:
                with fake.lock:
                    step = fake.create_script.pop(0) if fake.create_script else "ok"
                if step == "429":
                    return self._error(429, "Throttled", headers={"Retry-After": "1"})
                if step == "500":
                    return self._error(500, "Internal error")
                if isinstance(step, dict):  # a JSON:API 400 at a pointer
                    return self._error(400, step["title"], step["pointer"])
                attrs = body["data"]["attributes"]
                with fake.lock:
                    flow = {"type": "flow", "id": f"F{len(fake.flows) + 1}",
                            "attributes": {"name": attrs["name"], "status": "draft",
                                           "definition": real_ids(attrs["definition"], len(fake.flows) + 1)}}
                    fake.flows.append(flow)
                if step == "hang":
                    fake.held.set()
                    fake.release.wait(60)
                self._send(201, {"data": flow})

        return Handler
