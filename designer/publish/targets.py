"""The export targets by name: each turns a flow into its body and a capability report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from designer.model.flow import Flow
from designer.publish import jsonexport
from designer.publish.klaviyo.compile import compile_flow
from designer.publish.metrics import MetricNames
from designer.publish.report import Report

Exporter = Callable[[Flow, "Path | None", MetricNames], tuple[dict, Report]]


def _klaviyo(flow: Flow, path: Path | None, names: MetricNames) -> tuple[dict, Report]:
    compiled = compile_flow(flow, names=names)
    return compiled.body, compiled.report


def _json(flow: Flow, path: Path | None, names: MetricNames) -> tuple[dict, Report]:
    return jsonexport.export_json(flow, path)


EXPORTERS: dict[str, Exporter] = {"klaviyo": _klaviyo, "json": _json}
