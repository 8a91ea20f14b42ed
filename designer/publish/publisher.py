"""What every target's publisher does the same way: the publish record, and creates that never happen twice.

:meth:`Publisher.publish` is the one order of work: an offline compile whose
capability report stops the publish unless its gaps are accepted; an unchanged
flow (same hash as the record) sends nothing; a changed one becomes a new
draft under a versioned name; only ``activate`` sets anything live. A target
supplies the steps (:meth:`~Publisher.offline`, :meth:`~Publisher.prepare`,
:meth:`~Publisher.send`, :meth:`~Publisher.set_live`).

:meth:`Publisher.create_once` is for creates without an idempotency key
(Klaviyo's and HubSpot's POSTs): a 429 waits as asked and tries again; a
timeout, a reset connection or a 5xx may have created the thing, so it is
looked up by name before the next try, and adopted if it is there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from designer.model.flow import Flow
from designer.publish.api import ApiClient, ApiError, Unreachable
from designer.publish.record import flow_hash, now_iso, versioned_name
from designer.publish.report import Report

MAX_CREATE_ATTEMPTS = 6


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


@dataclass
class Prepared:
    """What :meth:`Publisher.prepare` hands to :meth:`Publisher.send`: the body with real ids and the counts."""

    body: Any
    templates_created: int = 0
    lists_created: int = 0
    #: Extra fields for the publish record (ids the target gave names, say).
    record: dict = field(default_factory=dict)


class Publisher:
    """One target's publishing; subclasses supply the target's steps."""

    target = ""
    #: The target's name in messages.
    label = ""
    #: The remote flow's page, formatted with ``id`` (None: no link).
    flow_url: str | None = None
    #: Whether an unchanged flow (the record's hash) is left alone without asking the target; a
    #: target that tells an unchanged flow itself (the runtime) is always sent it.
    trusts_record = True

    def __init__(self, client: ApiClient, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = client
        self.sleep = sleep
        self.own_retries = 0

    # -- a target's steps ----------------------------------------------------
    def offline(self, flow: Flow, flow_path: str | Path | None) -> Report:
        """The capability report of an offline compile."""
        raise NotImplementedError

    def prepare(self, flow: Flow, flow_path: str | Path | None, report: Report, name: str, version: int,
                dry_run: bool) -> Prepared:
        """Resolve names to the account's ids (creating what is missing unless ``dry_run``) and compile."""
        raise NotImplementedError

    def send(self, flow: Flow, prepared: Prepared, name: str, version: int) -> tuple[str, bool, str]:
        """Create the flow as a draft: its id, whether this publish made it, and what happened, in words."""
        raise NotImplementedError

    def set_live(self, flow: Flow, record: dict, flow_path: str | Path | None) -> None:
        raise NotImplementedError

    def name_for(self, flow: Flow, version: int) -> str:
        """The name the flow goes under at the target (a new version never renames what an earlier runs)."""
        return versioned_name(flow.name, version)

    def dry_run_message(self, prepared: Prepared) -> str:
        """What a dry run says it found (a target that looked something up says what)."""
        return "dry run: nothing sent"

    # -- the whole publish ---------------------------------------------------
    def publish(self, flow: Flow, *, flow_path: str | Path | None = None, activate: bool = False,
                allow_gaps: bool = False, dry_run: bool = False) -> tuple[PublishResult, Report]:
        digest = flow_hash(flow)
        record = flow.publish.get(self.target) if isinstance(flow.publish.get(self.target), dict) else None
        destination = self.client.destination()
        if record and record.get("destination", destination) != destination:
            record = None  # published to another account or server: this one has not seen the flow
        report = self.offline(flow, flow_path)
        if self.trusts_record and record and record.get("flow_hash") == digest and record.get("remote_id"):
            result = self._result(record["remote_id"], False, record.get("name", flow.name),
                                  "unchanged since the last publish: nothing sent")
            if activate and not record.get("live"):
                self._activate(flow, record, flow_path, dry_run, result)
            return result, report
        if report.errors and not allow_gaps:
            raise PublishRefused(f"{self.label} cannot express this flow as drawn:\n" + "\n".join(report.lines()))
        version = int(record.get("version", 1)) + 1 if record else 1
        name = self.name_for(flow, version)
        prepared = self.prepare(flow, flow_path, report, name, version, dry_run)
        if dry_run:
            result = self._result(None, False, name, self.dry_run_message(prepared))
        else:
            remote_id, created, message = self.send(flow, prepared, name, version)
            result = self._result(remote_id, created, name, message)
            new_record = {"remote_id": remote_id, "name": name, "version": version, "published_at": now_iso(),
                          "flow_hash": digest, "destination": destination, "live": False,
                          **prepared.record}
            flow.publish[self.target] = new_record
            if activate:
                self._activate(flow, new_record, flow_path, dry_run, result)
        result.templates_created, result.lists_created = prepared.templates_created, prepared.lists_created
        result.retries = self.retries
        return result, report

    @property
    def retries(self) -> int:
        """Repeats so far: the session's (urllib3) and the publisher's own."""
        return self.client.retries + self.own_retries

    def _result(self, remote_id: str | None, created: bool, name: str, message: str) -> PublishResult:
        url = self.flow_url.format(id=remote_id) if remote_id and self.flow_url else None
        return PublishResult(self.target, remote_id, created, retries=self.retries, name=name, message=message,
                             url=url)

    def _activate(self, flow: Flow, record: dict, flow_path: str | Path | None, dry_run: bool,
                  result: PublishResult) -> None:
        if dry_run:
            return
        self.set_live(flow, record, flow_path)
        record["live"] = True
        flow.publish[self.target] = record
        result.message += "; set live"

    # -- creates without an idempotency key -----------------------------------
    def create_once(self, what: str, create: Callable[[], str], find: Callable[[], "str | None"], *,
                    before: Callable[[], None] = lambda: None,
                    refused: Callable[[ApiError], Exception] | None = None) -> tuple[str, bool]:
        """Create something never twice: its id, and whether the answer to a create of ours was lost
        (it was found by name after an attempt, which therefore made it)."""
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

    def create_flow_once(self, name: str, create: Callable[[], str], find: Callable[[], "str | None"], *,
                         before: Callable[[], None] = lambda: None,
                         refused: Callable[[ApiError], Exception] | None = None) -> tuple[str, bool, str]:
        """The flow itself: looked up by name first (an earlier run may have made it), then created once."""
        found = find()
        if found:
            return found, False, f"found a flow of this name at {self.label} already (an earlier publish made it)"
        remote_id, lost = self.create_once(f"creating the flow {name!r}", create, find, before=before,
                                           refused=refused)
        return remote_id, True, ("created as a draft (its answer was lost; found by name, not created twice)"
                                 if lost else "created as a draft")
