"""Our own flow format with the HTML of every template it names inlined.

The file a runtime or another tool can take whole: nothing refers to a file
beside it any more. A template no file holds is reported on its node.
"""

from __future__ import annotations

from pathlib import Path

from designer.model import io
from designer.model.flow import Flow
from designer.publish.report import Report
from designer.publish.templates import find_template

TARGET = "json"


def export_json(flow: Flow, flow_path: str | Path | None = None) -> tuple[dict, Report]:
    report = Report(TARGET)
    out = io.to_json(flow)
    out.pop("publish", None)
    inlined: dict[str, str] = {}
    for node in flow.nodes.values():
        name = node.config.get("template") if node.kind == "send_email" else None
        if not name or name in inlined:
            continue
        path = find_template(name, flow_path)
        if path is None:
            report.warn(node.id, f"no template file {name!r} in templates/ beside the flow; not inlined",
                        "config.template")
            continue
        inlined[name] = path.read_text(encoding="utf-8")
    out["templates"] = dict(sorted(inlined.items()))
    return out, report
