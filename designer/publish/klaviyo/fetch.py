"""Reading a live flow and the account's names from Klaviyo, for the translator."""

from __future__ import annotations

from designer.model.flow import Flow
from designer.publish.klaviyo.client import KlaviyoClient
from designer.publish.klaviyo.pull import Account, translate
from designer.publish.metrics import MetricNames
from designer.publish.report import Report


def account(client: KlaviyoClient) -> Account:
    """Names by id of the account's metrics, templates and lists (every page)."""
    def by_id(path: str) -> dict[str, str]:
        return {item["id"]: item["attributes"]["name"] for item in client.pages(path)}

    return Account(by_id("/api/metrics"), by_id("/api/templates"), by_id("/api/lists"))


def pull_flow(client: KlaviyoClient, flow_id: str, names: MetricNames | None = None) -> tuple[Flow, Report]:
    return translate(client.get_flow(flow_id), account(client), names)
