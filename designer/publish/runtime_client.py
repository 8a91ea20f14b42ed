"""Publishing a flow to the product's own runtime (``serve``), and reading its live figures back.

The runtime's ``PUT /flows/{id}`` is an upsert by the flow's id that makes a
new version only when what the flow decides changed (see
designer/runtime/runtime.py), so the session's Retry may repeat it after a
timeout or a 5xx: a repeat lands on the same version. Because the runtime
itself tells an unchanged flow, every publish sends the flow (a runtime whose
store was replaced gets it back) rather than trusting the file's record.

The runtime has no drafts: a deployed flow runs. ``activate`` resumes a flow
that was paused at the runtime. The token (``FLOW_RUNTIME_TOKEN`` or the
keyring) is optional: a runtime on loopback may run without one.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from designer.model import io
from designer.model.flow import Flow
from designer.model.kinds import kind
from designer.model.score_checks import SCORES_LIVE, score_tests
from designer.publish.api import ApiClient, ApiError, FieldError
from designer.publish.http import RetryPolicy
from designer.publish.publisher import Prepared, Publisher
from designer.publish.report import Report

TARGET = "runtime"
DEFAULT_BASE_URL = "http://127.0.0.1:8787"
#: The channels the runtime's delivery worker sends (others are decided and kept in its outbox).
DELIVERED_CHANNELS = ("email", "webhook")


class RuntimeClient(ApiClient):
    target = TARGET

    def __init__(self, token: str | None, *, base_url: str = DEFAULT_BASE_URL, timeout: float = 30.0,
                 policy: RetryPolicy | None = None) -> None:
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        super().__init__(headers, base_url=base_url, timeout=timeout, policy=policy)

    def parse_errors(self, data: object) -> tuple[list[FieldError], list[dict]]:
        """The runtime answers ``{"error": {"code", "message", "field"?, "problems"?}}``; a flow refused
        with 422 lists its problems node by node."""
        err = data.get("error") if isinstance(data, dict) else None
        if not isinstance(err, dict):
            return [], []
        problems = [p for p in err.get("problems") or [] if isinstance(p, dict)]
        if problems:
            return [FieldError(str(p.get("message", "")), f"nodes.{p['node']}" if p.get("node") else None)
                    for p in problems], problems
        return [FieldError(str(err.get("message", "")), err.get("field"))], [err]

    def _flow_path(self, flow_id: str) -> str:
        return f"/flows/{quote(flow_id, safe='')}"

    def check(self) -> dict:
        """A call that needs the token (``/health`` does not), so a wrong token shows here."""
        return self.request("GET", "/flows")

    def flow(self, flow_id: str) -> dict | None:
        """The deployed flow, or None when the runtime has none of that id."""
        try:
            return self.request("GET", self._flow_path(flow_id))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def deploy(self, flow_id: str, document: dict) -> dict:
        return self.request("PUT", self._flow_path(flow_id), body=document)

    def resume(self, flow_id: str) -> dict:
        return self.request("POST", self._flow_path(flow_id) + "/resume")

    def figures(self, flow_id: str) -> dict:
        """``GET /flows/{id}/figures``: the deployed flow's live figures (a backtest's JSON shape under
        ``figures``), its version and clock, and the outbox's counts per node."""
        return self.request("GET", self._flow_path(flow_id) + "/figures")

    def messages(self, flow_id: str | None = None, status: str | None = None) -> list[dict]:
        params = {k: v for k, v in (("flow", flow_id), ("status", status)) if v}
        found = self.request("GET", "/messages", params=params or None).get("messages")
        return [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []


def runtime_report(flow: Flow) -> Report:
    """What the runtime cannot do as drawn: it runs every node kind with the backtest's interpreter,
    but delivers only the channels in :data:`DELIVERED_CHANNELS`."""
    report = Report(TARGET)
    for node in flow.nodes.values():
        spec = kind(node.kind)
        channel = spec.channel if spec is not None else None
        if channel and channel not in DELIVERED_CHANNELS:
            report.warn(node.id, f"the runtime decides these {channel} messages and keeps them in its outbox "
                        "(GET /messages), but does not deliver them", "kind")
    for node_id, name, path in score_tests(flow):
        report.error(node_id, SCORES_LIVE.format(name=name), path)
    return report


def export_runtime(flow: Flow, flow_path: str | Path | None = None) -> tuple[dict, Report]:
    """The body ``PUT /flows/{id}`` takes: the flow file itself."""
    return io.to_json(flow), runtime_report(flow)


class RuntimePublisher(Publisher):
    target = TARGET
    label = "the runtime"
    #: The runtime tells an unchanged flow itself, so the file's record never stops a publish.
    trusts_record = False

    def __init__(self, client: RuntimeClient, **kwargs) -> None:
        super().__init__(client, **kwargs)
        self.flow_url = client.base_url + "/flows/{id}"

    def offline(self, flow: Flow, flow_path: str | Path | None) -> Report:
        return runtime_report(flow)

    def prepare(self, flow: Flow, flow_path: str | Path | None, report: Report, name: str, version: int,
                dry_run: bool) -> Prepared:
        body, _ = export_runtime(flow, flow_path)
        prepared = Prepared(body, record={"url": self.client.base_url, "live": True})
        if dry_run:
            found = self.client.flow(flow.id)
            prepared.record["deployed_version"] = found.get("version") if found else None
        return prepared

    def send(self, flow: Flow, prepared: Prepared, name: str, version: int) -> tuple[str, bool, str]:
        answer = self.client.deploy(flow.id, prepared.body)
        number = int(answer.get("version", 0))
        prepared.record["version"] = number
        if answer.get("changed"):
            return flow.id, True, f"deployed as version {number}"
        return flow.id, False, f"unchanged at the runtime (version {number}): nothing new deployed"

    def set_live(self, flow: Flow, record: dict, flow_path: str | Path | None) -> None:
        self.client.resume(flow.id)

    def name_for(self, flow: Flow, version: int) -> str:
        """The runtime numbers versions itself, under the flow's id; the name stays the flow's."""
        return flow.name

    def dry_run_message(self, prepared: Prepared) -> str:
        deployed = prepared.record.get("deployed_version")
        if deployed is None:
            return "dry run: nothing sent; the runtime has no flow of this id, a publish deploys version 1"
        return f"dry run: nothing sent; the runtime runs version {deployed} of this flow"

