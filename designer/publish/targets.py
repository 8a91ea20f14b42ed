"""The export targets by name: each turns a flow into its body and a capability report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from designer.model.flow import Flow
from designer.publish import jsonexport
from designer.publish.dittofeed import compile_dittofeed
from designer.publish.hubspot import compile_hubspot
from designer.publish.klaviyo.compile import compile_flow
from designer.publish.metrics import MetricNames
from designer.publish.report import Report
from designer.publish.runtime_client import export_runtime

Exporter = Callable[[Flow, "Path | None", MetricNames], tuple[dict, Report]]


def _klaviyo(flow: Flow, path: Path | None, names: MetricNames) -> tuple[dict, Report]:
    compiled = compile_flow(flow, names=names)
    return compiled.body, compiled.report


def _json(flow: Flow, path: Path | None, names: MetricNames) -> tuple[dict, Report]:
    return jsonexport.export_json(flow, path)


def _hubspot(flow: Flow, path: Path | None, names: MetricNames) -> tuple[dict, Report]:
    return compile_hubspot(flow, names)


def _dittofeed(flow: Flow, path: Path | None, names: MetricNames) -> tuple[dict, Report]:
    return compile_dittofeed(flow, path)


def _runtime(flow: Flow, path: Path | None, names: MetricNames) -> tuple[dict, Report]:
    return export_runtime(flow, path)


EXPORTERS: dict[str, Exporter] = {"klaviyo": _klaviyo, "hubspot": _hubspot, "dittofeed": _dittofeed, "json": _json,
                                  "runtime": _runtime}
