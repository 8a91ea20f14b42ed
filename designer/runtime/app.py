"""The runtime's HTTP API (FastAPI): flows, events, profiles, the clock, the outbox, figures.

Every error is ``{"error": {"code", "message", "field"?}}`` with a 4xx status,
FastAPI's own validation errors included. With ``FLOW_RUNTIME_TOKEN`` set,
every call needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hmac
import json
import os
from typing import Any

from fastapi import Body, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from designer.engine.clock import iso
from designer.model import io
from designer.model.errors import FlowFormatError
from designer.model.score_checks import SCORES_LIVE, score_tests
from designer.model.validate import has_errors, validate
from designer.runtime.runtime import Runtime, RuntimeError_
from designer.store.timeparse import TimeError, TimeParser

TOKEN_ENV = "FLOW_RUNTIME_TOKEN"


def error(status: int, code: str, message: str, field: str | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    body.update(extra)
    return JSONResponse({"error": body}, status_code=status)


def _time(value: Any, field: str) -> int:
    if isinstance(value, bool) or value is None:
        raise RuntimeError_("invalid", f"{field}: an ISO 8601 time or epoch milliseconds is required", 422, field)
    if isinstance(value, (int, float)):
        return int(value)
    try:
        return TimeParser("UTC")(str(value))
    except (TimeError, ValueError) as exc:
        raise RuntimeError_("invalid", f"{field}: {exc}", 422, field) from None


def create_app(runtime: Runtime, token: str | None = None) -> FastAPI:
    app = FastAPI(title="Trigger Flow Designer runtime")
    token = token if token is not None else os.environ.get(TOKEN_ENV) or None

    @app.middleware("http")
    async def auth(request: Request, call_next):
        if token and request.url.path not in ("/health",):
            given = request.headers.get("authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return error(401, "unauthorized", "a valid 'Authorization: Bearer <token>' header is required",
                             "Authorization")
        return await call_next(request)

    @app.exception_handler(RuntimeError_)
    async def refused(_request, exc: RuntimeError_):
        return error(exc.status, exc.code, exc.message, exc.field)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        field = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
        return error(422, "invalid", first.get("msg", "invalid request"), field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request, exc: StarletteHTTPException):
        return error(exc.status_code, "not_found" if exc.status_code == 404 else "http_error", str(exc.detail))

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "clock": runtime.clock, "now": runtime.now()}

    @app.put("/flows/{flow_id}")
    def put_flow(flow_id: str, body: Any = Body(...)):
        try:
            flow = io.from_json(body)
        except FlowFormatError as exc:
            return error(422, "invalid_flow", exc.message, exc.path or None, node=exc.node)
        if flow.id != flow_id:
            return error(422, "id_mismatch", f"the flow's id is {flow.id!r}, the address says {flow_id!r}", "id")
        problems = validate(flow)
        if has_errors(problems):
            return error(422, "flow_errors", "the flow has errors; fix them before deploying", "nodes",
                         problems=[p.to_json() for p in problems if p.severity == "error"])
        scores = score_tests(flow)
        if scores:
            return error(422, "unsupported", "the flow tests predictive scores, which the runtime cannot compute",
                         "nodes", problems=[{"severity": "error", "code": "score-live", "node": node,
                                             "message": SCORES_LIVE.format(name=name), "path": path}
                                            for node, name, path in scores])
        return runtime.deploy(flow_id, flow)

    @app.get("/flows")
    def list_flows() -> dict:
        return {"flows": runtime.flows()}

    @app.get("/flows/{flow_id}")
    def get_flow(flow_id: str) -> dict:
        return runtime.flow(flow_id)

    @app.get("/flows/{flow_id}/figures")
    def figures(flow_id: str) -> dict:
        return runtime.figures(flow_id)

    @app.delete("/flows/{flow_id}")
    def delete_flow(flow_id: str) -> dict:
        runtime.delete(flow_id)
        return {"id": flow_id, "deleted": True}

    @app.post("/flows/{flow_id}/pause")
    def pause(flow_id: str) -> dict:
        return runtime.set_paused(flow_id, True)

    @app.post("/flows/{flow_id}/resume")
    def resume(flow_id: str) -> dict:
        return runtime.set_paused(flow_id, False)

    @app.post("/events", status_code=202)
    def post_events(body: Any = Body(...)) -> dict:
        raws = body if isinstance(body, list) else [body]
        r = runtime.ingest(raws)
        return {"accepted": r.accepted, "duplicates": r.duplicates, "rejected": r.rejected}

    @app.put("/customers/{external_id}")
    def put_customer(external_id: str, body: Any = Body(...)) -> dict:
        runtime.upsert_customer(external_id, body)
        return {"id": external_id}

    @app.post("/clock")
    def post_clock(body: Any = Body(...)) -> dict:
        if not isinstance(body, dict) or "now" not in body:
            raise RuntimeError_("invalid", "now: the new time is required", 422, "now")
        to = _time(body["now"], "now")
        decided = runtime.advance(to)
        return {"now": to, "customers_decided": decided}

    @app.get("/messages")
    def messages(flow: str | None = None, customer: str | None = None, status: str | None = None,
                 since: str | None = None) -> dict:
        lo = None if since is None else _time(int(since) if since.isdigit() else since, "since")
        found = runtime.messages(flow, customer, status, lo)
        for m in found:  # ISO 8601 for people and tools, epoch ms beside it for arithmetic
            m["time_ms"] = m["time"]
            m["time"] = iso(m["time"]).replace(" ", "T")
        return {"messages": found}

    @app.get("/customers/{external_id}/journeys")
    def journeys(external_id: str) -> dict:
        return {"customer": external_id, "trace": runtime.journeys(external_id)}

    @app.get("/metrics", response_class=PlainTextResponse)
    def metrics() -> str:
        m = runtime.metrics()
        lines = ["# TYPE flow_runtime_events_ingested_total counter",
                 f"flow_runtime_events_ingested_total {m['events_ingested']}",
                 "# TYPE flow_runtime_late_events_total counter",
                 f"flow_runtime_late_events_total {m['late_events']}",
                 "# TYPE flow_runtime_customers_waiting gauge",
                 f"flow_runtime_customers_waiting {m['customers_waiting']}",
                 "# TYPE flow_runtime_timer_lag_ms gauge",
                 f"flow_runtime_timer_lag_ms {m['timer_lag_ms']}",
                 "# TYPE flow_runtime_messages gauge"]
        for status in ("queued", "sending", "sent", "failed", "skipped"):
            lines.append(f'flow_runtime_messages{{status="{status}"}} {m["messages"].get(status, 0)}')
        return "\n".join(lines) + "\n"

    return app
