"""What the publishing dialogs run on the window's thread pool: plain functions, no Qt.

Each builds its own client from the key it is handed, so the key lives only in
the dialog's field and in the request headers, and closes the client when done.
The target's client and publisher come from :mod:`designer.publish.senders`,
as on the command line.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from designer.model.flow import Flow
from designer.publish.api import ApiClient, ApiError, Unreachable
from designer.publish.klaviyo.fetch import pull_flow
from designer.publish.metrics import MetricMapError, MetricNames
from designer.publish.publisher import PublishRefused, PublishResult
from designer.publish.ratelimit import DailyLimitReached
from designer.publish.report import Report
from designer.publish.senders import SENDERS, option_problem
from designer.ui.backtest.worker import TaskFailed

#: Failures shown to the user as they are.
EXPECTED = (ApiError, Unreachable, PublishRefused, DailyLimitReached)


@dataclass(frozen=True)
class Connection:
    key: str
    base_url: str = ""
    timeout: float = 30.0
    target: str = "klaviyo"
    #: What the target needs beyond the key (Dittofeed's workspace id).
    options: dict = field(default_factory=dict)

    @property
    def label(self) -> str:
        return SENDERS[self.target].label

    def client(self) -> ApiClient:
        sender = SENDERS[self.target]
        if not self.key and sender.key_required:
            raise TaskFailed(f"enter the {sender.label} {sender.key_label[0].lower()}{sender.key_label[1:]} first")
        problem = option_problem(sender, self.options)
        if problem:
            raise TaskFailed(problem)
        return sender.make_client(self.key, self.base_url or sender.default_base_url, self.timeout, self.options)


def _run(conn: Connection, fn):
    client = conn.client()
    try:
        return fn(client)
    except ApiError as exc:
        prefix = f"{conn.label} refused the key: " if exc.refuses_key else f"{conn.label} answered: "
        raise TaskFailed(prefix + str(exc)) from None
    except (Unreachable, PublishRefused, DailyLimitReached, MetricMapError) as exc:
        raise TaskFailed(str(exc)) from None
    finally:
        client.close()


def check_connection(conn: Connection) -> str:
    _run(conn, lambda c: c.check())
    return "Connected"


@dataclass
class Published:
    result: PublishResult
    report: Report
    #: The flow's publish section after the publish, for the document to keep.
    publish: dict


def publish(conn: Connection, flow: Flow, path: str | None, *, activate: bool, allow_gaps: bool) -> Published:
    work = flow.copy()
    work.publish = copy.deepcopy(flow.publish)

    def go(client: ApiClient) -> Published:
        publisher = SENDERS[conn.target].make_publisher(client, MetricNames.load())
        result, report = publisher.publish(work, flow_path=path, activate=activate, allow_gaps=allow_gaps)
        return Published(result, report, work.publish)

    return _run(conn, go)


def live_figures(conn: Connection, flow_id: str) -> dict:
    """The runtime's live figures for a deployed flow (see designer/runtime/figures.py)."""
    return _run(conn, lambda c: c.figures(flow_id))


def list_flows(conn: Connection) -> list[tuple[str, str, str]]:
    """(id, name, status) of the account's flows (Klaviyo)."""
    return _run(conn, lambda c: [(f["id"], (f.get("attributes") or {}).get("name") or "",
                                  (f.get("attributes") or {}).get("status") or "") for f in c.list_flows()])


def pull(conn: Connection, flow_id: str) -> tuple[Flow, Report]:
    return _run(conn, lambda c: pull_flow(c, flow_id))
