"""The targets a flow can be sent to, by name: how to make each one's client and publisher.

The command line and the editor both start here, so a target added once is
sendable from both. ``options`` carries what a target needs beyond key, server
and timeout (Dittofeed's workspace id); :func:`option_problem` says, in one
line naming the flag and the environment variable, what is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from designer.publish import dittofeed_publish, hubspot_publish, runtime_client
from designer.publish.api import ApiClient
from designer.publish.klaviyo import client as klaviyo_client
from designer.publish.metrics import MetricNames
from designer.publish.publisher import Publisher


@dataclass(frozen=True)
class Option:
    name: str
    flag: str
    env: str
    label: str


@dataclass(frozen=True)
class Sender:
    target: str
    label: str
    default_base_url: str
    make_client: Callable[[str, str, float, dict], ApiClient]
    make_publisher: Callable[[ApiClient, MetricNames], Publisher]
    #: What the key is called where the target issues it.
    key_label: str = "API key"
    options: tuple[Option, ...] = field(default_factory=tuple)
    #: Whether a publish needs a key at all (a runtime on loopback may run without a token).
    key_required: bool = True


def _klaviyo_publisher(client, names):
    from designer.publish.klaviyo.publisher import KlaviyoPublisher

    return KlaviyoPublisher(client, names=names)


WORKSPACE = Option("workspace", "--workspace", dittofeed_publish.WORKSPACE_ENV, "Workspace id")

SENDERS: dict[str, Sender] = {
    "klaviyo": Sender(
        "klaviyo", "Klaviyo", klaviyo_client.DEFAULT_BASE_URL,
        lambda key, url, timeout, _o: klaviyo_client.KlaviyoClient(key, base_url=url, timeout=timeout),
        _klaviyo_publisher, "Private API key"),
    "hubspot": Sender(
        "hubspot", "HubSpot", hubspot_publish.DEFAULT_BASE_URL,
        lambda key, url, timeout, _o: hubspot_publish.HubSpotClient(key, base_url=url, timeout=timeout),
        lambda client, names: hubspot_publish.HubSpotPublisher(client, names=names), "Private app token"),
    "dittofeed": Sender(
        "dittofeed", "Dittofeed", dittofeed_publish.DEFAULT_BASE_URL,
        lambda key, url, timeout, o: dittofeed_publish.DittofeedClient(
            key, workspace=o["workspace"], base_url=url, timeout=timeout),
        lambda client, _names: dittofeed_publish.DittofeedPublisher(client), "Admin API key", (WORKSPACE,)),
    "runtime": Sender(
        "runtime", "Runtime", runtime_client.DEFAULT_BASE_URL,
        lambda key, url, timeout, _o: runtime_client.RuntimeClient(key or None, base_url=url, timeout=timeout),
        lambda client, _names: runtime_client.RuntimePublisher(client), "Token (if the runtime has one)",
        key_required=False),
}


def resolve_options(sender: Sender, given: dict[str, str | None]) -> dict[str, str]:
    """The target's options: given ones first, else their environment variables; missing ones left out."""
    out = {}
    for opt in sender.options:
        value = (given.get(opt.name) or os.environ.get(opt.env) or "").strip()
        if value:
            out[opt.name] = value
    return out


def option_problem(sender: Sender, options: dict[str, str]) -> str | None:
    missing = [o for o in sender.options if not options.get(o.name)]
    if not missing:
        return None
    return "; ".join(f"{sender.label} needs its {o.label.lower()}: give {o.flag} or set {o.env}" for o in missing)
