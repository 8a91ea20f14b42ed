"""What the publishing dialogs run on the window's thread pool: plain functions, no Qt.

Each builds its own client from the key it is handed, so the key lives only in
the dialog's field and in the request headers, and closes the client when done.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from designer.model.flow import Flow
from designer.publish.klaviyo.client import DEFAULT_BASE_URL, ApiError, KlaviyoClient, Unreachable
from designer.publish.klaviyo.fetch import pull_flow
from designer.publish.klaviyo.publisher import KlaviyoPublisher, PublishRefused, PublishResult
from designer.publish.ratelimit import DailyLimitReached
from designer.publish.report import Report
from designer.ui.backtest.worker import TaskFailed

#: Failures shown to the user as they are.
EXPECTED = (ApiError, Unreachable, PublishRefused, DailyLimitReached)


@dataclass(frozen=True)
class Connection:
    key: str
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 30.0

    def client(self) -> KlaviyoClient:
        if not self.key:
            raise TaskFailed("enter the Klaviyo private API key first")
        return KlaviyoClient(self.key, base_url=self.base_url or DEFAULT_BASE_URL, timeout=self.timeout)


def _run(conn: Connection, fn):
    client = conn.client()
    try:
        return fn(client)
    except ApiError as exc:
        prefix = "Klaviyo refused the key: " if exc.refuses_key else "Klaviyo answered: "
        raise TaskFailed(prefix + str(exc)) from None
    except (Unreachable, PublishRefused, DailyLimitReached) as exc:
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

    def go(client: KlaviyoClient) -> Published:
        result, report = KlaviyoPublisher(client).publish(work, flow_path=path, activate=activate,
                                                          allow_gaps=allow_gaps)
        return Published(result, report, work.publish)

    return _run(conn, go)


def list_flows(conn: Connection) -> list[tuple[str, str, str]]:
    """(id, name, status) of the account's flows."""
    return _run(conn, lambda c: [(f["id"], (f.get("attributes") or {}).get("name") or "",
                                  (f.get("attributes") or {}).get("status") or "") for f in c.list_flows()])


def pull(conn: Connection, flow_id: str) -> tuple[Flow, Report]:
    return _run(conn, lambda c: pull_flow(c, flow_id))
