"""Publishing one flow to Klaviyo without ever making a second copy of it.

Order of work: compile offline and stop on gaps the marketer has not
accepted; resolve metric, template and list names to ids (creating missing
templates and lists); compile again with the real ids; create the flow. Create
Flow has no idempotency key, so before every create, and after any create
whose outcome is unknown (timeout, reset connection, 5xx), the flow is looked
up by name and adopted if it is there. The result goes into the flow's
publish record; an unchanged flow is not sent again, a changed one becomes a
new draft under a versioned name. Nothing goes live without ``activate``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from designer.model.flow import Flow
from designer.publish import tokens
from designer.publish.appdata import data_dir
from designer.publish.klaviyo.client import ApiError, KlaviyoClient, Unreachable
from designer.publish.klaviyo.compile import TARGET, Compiled, compile_flow
from designer.publish.klaviyo.refs import Refs
from designer.publish.metrics import MetricNames
from designer.publish.ratelimit import RateLimiter, Window
from designer.publish.record import flow_hash, now_iso, versioned_name
from designer.publish.report import Report
from designer.publish.templates import template_html

#: Klaviyo's Create Flow limits.
CREATE_FLOW_WINDOWS = (Window(1.0, 1), Window(60.0, 15), Window(86400.0, 100))
MAX_CREATE_ATTEMPTS = 6
FLOW_URL = "https://www.klaviyo.com/flow/{id}/edit"


class PublishRefused(Exception):
    """The flow, or the account's answer, stops the publish; the message says where."""


@dataclass
class PublishResult:
    target: str
    remote_id: str | None
    created: bool
    templates_created: int = 0
    lists_created: int = 0
    retries: int = 0
    name: str = ""
    message: str = ""
    url: str | None = None

    def summary(self) -> dict:
        d = asdict(self)
        return {k: d[k] for k in ("target", "remote_id", "created", "templates_created", "lists_created",
                                  "retries")}


def create_flow_limiter(clock: Callable[[], float] = time.time,
                        sleep: Callable[[float], None] = time.sleep) -> RateLimiter:
    return RateLimiter(data_dir() / "klaviyo-create-flow.json", CREATE_FLOW_WINDOWS, clock=clock, sleep=sleep)


class KlaviyoPublisher:
    def __init__(self, client: KlaviyoClient, *, names: MetricNames | None = None,
                 limiter: RateLimiter | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.names = names or MetricNames()
        self.limiter = limiter or create_flow_limiter(sleep=sleep)
        self.sleep = sleep
        self.own_retries = 0

    # -- the whole publish -------------------------------------------------
    def publish(self, flow: Flow, *, flow_path: str | Path | None = None, activate: bool = False,
                allow_gaps: bool = False, dry_run: bool = False) -> tuple[PublishResult, Report]:
        digest = flow_hash(flow)
        record = flow.publish.get(TARGET) if isinstance(flow.publish.get(TARGET), dict) else None
        offline = compile_flow(flow, Refs(), self.names)
        report = offline.report
        if record and record.get("flow_hash") == digest and record.get("remote_id"):
            result = self._result(record["remote_id"], False, record.get("name", flow.name),
                                  "unchanged since the last publish: nothing sent")
            if activate and not record.get("live"):
                self._activate(flow, record, dry_run, result)
            return result, report
        if report.errors and not allow_gaps:
            raise PublishRefused("Klaviyo cannot express this flow as drawn:\n" + "\n".join(report.lines()))
        version = int(record.get("version", 1)) + 1 if record else 1
        name = versioned_name(flow.name, version)
        refs = Refs()
        counts = self._resolve(flow, offline, refs, report, flow_path, dry_run)
        compiled = compile_flow(flow, refs, self.names, name=name)
        if dry_run:
            result = self._result(None, False, name, "dry run: nothing sent")
            result.templates_created, result.lists_created = counts
            return result, report
        remote_id, created, message = self._create(compiled, name)
        result = self._result(remote_id, created, name, message)
        result.templates_created, result.lists_created = counts
        new_record = {"remote_id": remote_id, "name": name, "version": version, "published_at": now_iso(),
                      "flow_hash": digest, "live": False,
                      "templates": {k: v for k, v in sorted(refs.templates.items())}}
        flow.publish[TARGET] = new_record
        if activate:
            self._activate(flow, new_record, dry_run, result)
        result.retries = self.client.retries + self.own_retries
        return result, report

    def _result(self, remote_id: str | None, created: bool, name: str, message: str) -> PublishResult:
        return PublishResult(TARGET, remote_id, created, retries=self.client.retries + self.own_retries,
                             name=name, message=message, url=FLOW_URL.format(id=remote_id) if remote_id else None)

    def _activate(self, flow: Flow, record: dict, dry_run: bool, result: PublishResult) -> None:
        if dry_run:
            return
        self.client.set_flow_status(record["remote_id"], "live")
        record["live"] = True
        flow.publish[TARGET] = record
        result.message += "; set live"

    # -- names to ids ------------------------------------------------------
    def _resolve(self, flow: Flow, offline: Compiled, refs: Refs, report: Report,
                 flow_path: str | Path | None, dry_run: bool) -> tuple[int, int]:
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
                ids[name] = self._create_named(path, name, create)
        return missing

    def _create_once(self, what: str, create: Callable[[], str], find: Callable[[], "str | None"], *,
                     before: Callable[[], None] = lambda: None,
                     refused: Callable[[ApiError], Exception] | None = None) -> tuple[str, bool]:
        """Create something that has no idempotency key, never twice.

        A 429 waits as asked and tries again; a timeout, a reset connection or a
        5xx may have created it, so ``find`` looks for it by name before the next
        try. Returns the id and whether the answer to a create was lost (the
        thing was found after an attempt of ours, which therefore made it).
        """
        for attempt in range(MAX_CREATE_ATTEMPTS):
            before()
            try:
                return create(), False
            except Unreachable:
                pass
            except ApiError as exc:
                if exc.status == 429:
                    self.own_retries += 1
                    self.sleep(exc.retry_after if exc.retry_after is not None else 2 ** attempt)
                    continue
                if exc.status < 500:
                    raise (refused(exc) if refused else exc) from None
            self.own_retries += 1
            found = find()
            if found:
                return found, True
        raise Unreachable(f"{what} did not go through after {MAX_CREATE_ATTEMPTS} attempts")

    def _create_named(self, path: str, name: str, create: Callable[[], str]) -> str:
        return self._create_once(f"creating {name!r} at {path}", create,
                                 lambda: self.client.names_to_ids(path).get(name))[0]

    # -- the flow ----------------------------------------------------------
    def _create(self, compiled: Compiled, name: str) -> tuple[str, bool, str]:
        """The flow's id, whether this publish made it, and what happened, in words."""
        def find() -> str | None:
            existing = self.client.find_flows(name)
            return existing[0]["id"] if existing else None

        found = find()
        if found:
            return found, False, "found a flow of this name at Klaviyo already (an earlier publish made it)"
        remote_id, lost = self._create_once(
            "Create Flow", lambda: self.client.create_flow(compiled.body)["id"], find, before=self.limiter.acquire,
            refused=lambda exc: PublishRefused("Klaviyo refused the flow: " + describe_errors(exc, compiled)))
        return remote_id, True, ("created as a draft (its answer was lost; found by name, not created twice)"
                                 if lost else "created as a draft")


def describe_errors(exc: ApiError, compiled: Compiled) -> str:
    """Klaviyo's JSON:API errors, each with the field (``source.pointer``) and our node behind it."""
    parts = []
    for err in exc.errors or [{}]:
        text = ": ".join(x for x in (err.get("title"), err.get("detail")) if x) or f"HTTP {exc.status}"
        pointer = (err.get("source") or {}).get("pointer")
        node = compiled.node_of_pointer(pointer)
        where = "".join([f" at {pointer}" if pointer else "", f" (node {node})" if node else ""])
        parts.append(text + where)
    return "; ".join(parts)


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
