"""Publishing one flow to Klaviyo without ever making a second copy of it.

The order of work and the publish record are the shared
:class:`designer.publish.publisher.Publisher`'s. Klaviyo's steps: resolve
metric, template and list names to ids (creating missing templates and
lists), compile again with the real ids, and create the flow. Create Flow
has no idempotency key, so before the create, and after any create whose
outcome is unknown (timeout, reset connection, 5xx), the flow is looked up by
name and adopted if it is there; creates also keep Klaviyo's limits
(1 a second, 15 a minute, 100 a day, counted across runs).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from designer.model.flow import Flow
from designer.publish import tokens
from designer.publish.api import ApiError, describe_errors as describe_api_errors
from designer.publish.appdata import data_dir
from designer.publish.klaviyo.client import KlaviyoClient
from designer.publish.klaviyo.compile import TARGET, Compiled, compile_flow
from designer.publish.klaviyo.refs import Refs
from designer.publish.metrics import MetricNames
from designer.publish.publisher import Prepared, Publisher, PublishRefused, PublishResult
from designer.publish.ratelimit import RateLimiter, Window
from designer.publish.report import Report
from designer.publish.templates import template_html

__all__ = ["KlaviyoPublisher", "PublishRefused", "PublishResult", "create_flow_limiter", "describe_errors",
           "offline_refs_wanted"]

#: Klaviyo's Create Flow limits.
CREATE_FLOW_WINDOWS = (Window(1.0, 1), Window(60.0, 15), Window(86400.0, 100))
FLOW_URL = "https://www.klaviyo.com/flow/{id}/edit"


def create_flow_limiter(clock: Callable[[], float] = time.time,
                        sleep: Callable[[float], None] = time.sleep) -> RateLimiter:
    return RateLimiter(data_dir() / "klaviyo-create-flow.json", CREATE_FLOW_WINDOWS, clock=clock, sleep=sleep)


class KlaviyoPublisher(Publisher):
    target = TARGET
    label = "Klaviyo"
    flow_url = FLOW_URL

    def __init__(self, client: KlaviyoClient, *, names: MetricNames | None = None,
                 limiter: RateLimiter | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(client, sleep=sleep)
        self.names = names or MetricNames()
        self.limiter = limiter or create_flow_limiter(sleep=sleep)

    # -- the steps -----------------------------------------------------------
    def offline(self, flow: Flow, flow_path: str | Path | None) -> Report:
        return compile_flow(flow, Refs(), self.names).report

    def prepare(self, flow: Flow, flow_path: str | Path | None, report: Report, name: str, version: int,
                dry_run: bool) -> Prepared:
        refs = Refs()
        templates_made, lists_made = self._resolve(flow, refs, report, flow_path, dry_run)
        compiled = compile_flow(flow, refs, self.names, name=name)
        return Prepared(compiled, templates_made, lists_made,
                        {"templates": {k: v for k, v in sorted(refs.templates.items())}})

    def send(self, flow: Flow, prepared: Prepared, name: str, version: int) -> tuple[str, bool, str]:
        compiled: Compiled = prepared.body

        def find() -> str | None:
            existing = self.client.find_flows(name)
            return existing[0]["id"] if existing else None

        return self.create_flow_once(
            name, lambda: self.client.create_flow(compiled.body)["id"], find, before=self.limiter.acquire,
            refused=lambda exc: PublishRefused("Klaviyo refused the flow: " + describe_errors(exc, compiled)))

    def set_live(self, flow: Flow, record: dict, flow_path: str | Path | None) -> None:
        self.client.set_flow_status(record["remote_id"], "live")

    # -- names to ids ------------------------------------------------------
    def _resolve(self, flow: Flow, refs: Refs, report: Report, flow_path: str | Path | None,
                 dry_run: bool) -> tuple[int, int]:
        wanted = offline_refs_wanted(flow, self.names)
        metrics = self.client.names_to_ids("/api/metrics")
        missing = sorted(m for m in wanted["metric"] if m not in metrics)
        if missing:
            raise PublishRefused("the Klaviyo account has no metric " + ", ".join(repr(m) for m in missing)
                                 + ": send those events to Klaviyo first, or map the event names "
                                 "to existing metrics (metric-names.json)")
        refs.metrics.update({m: metrics[m] for m in wanted["metric"]})

        def template_maker(name: str) -> Callable[[], str]:
            html, _ = template_html(name, _subject_of(flow, name), flow_path)
            translated = tokens.to_klaviyo(html)
            for token in translated.untranslated:
                report.warn(_node_of_template(flow, name), f"template {name!r}: the token {token} has no "
                            "Klaviyo equivalent and is sent as written")
            return lambda: self.client.create_template(name, translated.text)

        templates_made = self._ensure("/api/templates", wanted["template"], refs.templates, template_maker, dry_run)
        lists_made = self._ensure("/api/lists", wanted["list"], refs.lists,
                                  lambda name: lambda: self.client.create_list(name), dry_run)
        return templates_made, lists_made

    def _ensure(self, path: str, names: set[str], ids: dict[str, str],
                maker: Callable[[str], Callable[[], str]], dry_run: bool) -> int:
        """Ids for ``names`` from the account's list at ``path``, creating the missing ones; how many were missing."""
        if not names:
            return 0
        existing = self.client.names_to_ids(path)
        missing = 0
        for name in sorted(names):
            if name in existing:
                ids[name] = existing[name]
                continue
            missing += 1
            create = maker(name)
            if not dry_run:
                ids[name] = self.create_once(f"creating {name!r} at {path}", create,
                                             lambda: self.client.names_to_ids(path).get(name))[0]
        return missing


def describe_errors(exc: ApiError, compiled: Compiled) -> str:
    """Klaviyo's JSON:API errors, each with the field (``source.pointer``) and our node behind it."""
    return describe_api_errors(exc, compiled.node_of_pointer)


def offline_refs_wanted(flow: Flow, names: MetricNames) -> dict[str, set[str]]:
    refs = Refs()
    compile_flow(flow, refs, names)
    return refs.wanted


def _subject_of(flow: Flow, template: str) -> str:
    return next((n.config.get("subject", "") for n in flow.nodes.values()
                 if n.kind == "send_email" and n.config.get("template") == template), "")


def _node_of_template(flow: Flow, template: str) -> str | None:
    return next((n.id for n in flow.nodes.values()
                 if n.kind == "send_email" and n.config.get("template") == template), None)
