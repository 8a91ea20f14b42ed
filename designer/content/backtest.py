"""The content check a backtest asks about each send (registered with :mod:`designer.engine.send_checks`).

A send whose template does not parse or fails for a typical customer (a name
no message has, a sandbox violation, a part it includes that is missing)
would deliver nothing: the backtest counts its arrivals under
``template_error`` with the problem, instead of as messages. A template name
with no file yet is not counted (drafts name templates before they exist;
``validate`` warns about it), so a draft's figures stay those of its flow.
"""

from __future__ import annotations

from pathlib import Path

from designer.content.message import CHANNELS, Renderer
from designer.content.templates import TemplateLibrary
from designer.content.typical import typical_context
from designer.engine import send_checks
from designer.model.flow import Flow, Node

#: Where each flow's own templates are (flow id -> flow file), set by whoever opened the flow.
FLOW_FILES: dict[str, str] = {}


def check_send(flow: Flow, node: Node) -> str | None:
    if node.kind not in CHANNELS:
        return None
    path = FLOW_FILES.get(flow.id)
    lib = TemplateLibrary.for_flow(path if path and Path(path).exists() else None)
    name = node.config.get("template")
    if node.kind == "send_email" and (not name or not lib.exists(str(name))):
        return None
    msg = Renderer(lib).render(node.kind, node.id, node.config, typical_context(flow, node.id))
    return str(msg.problems[0]) if msg.problems else None


def checking(flows: dict[str, Flow]):
    """A ``with`` block in which backtests count template errors; ``flows``: flow file -> flow, so each
    flow's own ``templates/`` folder is found."""
    for path, flow in flows.items():
        FLOW_FILES[flow.id] = str(path)
    return send_checks.registered(check_send)
