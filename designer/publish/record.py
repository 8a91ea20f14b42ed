"""The publish record a flow file keeps per target, and the hash that tells a change.

The hash covers what the flow means (nodes, configs, edges, settings, name),
not where the cards sit on the canvas, so tidying the layout does not make a
new version at the ESP.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

from designer.model import io
from designer.model.flow import Flow


def flow_hash(flow: Flow) -> str:
    data = io.to_json(flow)
    data.pop("publish", None)
    for node in data["nodes"]:
        node.pop("x", None)
        node.pop("y", None)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def versioned_name(name: str, version: int) -> str:
    return name if version <= 1 else f"{name} (v{version})"
