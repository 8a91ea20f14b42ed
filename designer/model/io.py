"""The flow file: graph JSON on disk, loaded strictly and saved atomically.

A broken file is answered with a FlowFormatError naming the JSON path (or the
line, for a syntax error) and the node, never with a traceback. Saving the same
flow always gives the same bytes, so flows diff cleanly under version control.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from designer.model.errors import FlowFormatError
from designer.model.flow import Edge, Flow, Node
from designer.model.kinds import KINDS
from designer.model.settings import json_type, parse_settings

FORMAT = "trigger-flow"
CURRENT_VERSION = 1

#: version -> function turning a file of that version into one of the next.
#: Version 1 is the first published format, so nothing needs migrating yet; a
#: change to the format adds ``MIGRATIONS[1]`` and raises CURRENT_VERSION.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}

_TOP_KEYS = ("format", "version", "id", "name", "description", "settings", "nodes", "edges", "publish")
_NODE_KEYS = ("id", "kind", "x", "y", "config")
#: Key order inside configs and settings: the words people read first, then the rest alphabetically.
_KEY_RANK = {k: i for i, k in enumerate((
    "mode", "cooldown", "all", "any", "not", "event", "property", "trigger", "op", "value", "since",
    "where", "count", "key", "duration", "until", "time", "weekdays", "timeout", "condition", "variants",
    "name", "percent", "template", "subject", "preview_text", "from_email", "from_name", "body", "url",
    "method", "set", "unset", "add_to_list", "remove_from_list", "start", "end", "window"))}


# -- loading ---------------------------------------------------------------
def loads(text: str, *, file: str | None = None) -> Flow:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FlowFormatError(f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno, file=file) from None
    try:
        return from_json(data)
    except FlowFormatError as exc:
        exc.file = file
        raise


def load(path: str | os.PathLike) -> Flow:
    """Read a flow file; any problem, including I/O, is a FlowFormatError."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise FlowFormatError(f"cannot read the file: {exc.strerror or exc}", file=name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FlowFormatError("not UTF-8 text", line=line, file=name) from None
    return loads(text, file=name)


def migrate(data: dict) -> dict:
    """Bring an older file up to CURRENT_VERSION, one version at a time."""
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FlowFormatError(f"version must be a whole number from 1, got {version!r}", path="version")
    if version > CURRENT_VERSION:
        raise FlowFormatError(
            f"this file is format version {version}, newer than this program understands "
            f"(up to {CURRENT_VERSION}); update Trigger Flow Designer to open it", path="version")
    while version < CURRENT_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise FlowFormatError(f"no migration from version {version}", path="version")
        data = step(dict(data))
        version += 1
        data["version"] = version
    return data


def from_json(data: Any) -> Flow:
    if not isinstance(data, dict):
        raise FlowFormatError(f"a flow file holds one JSON object, got {json_type(data)}", path="$")
    if data.get("format") != FORMAT:
        raise FlowFormatError(f"not a flow file: 'format' must be {FORMAT!r}, got {data.get('format')!r}",
                              path="format")
    data = migrate(data)
    for key in data:
        if key not in _TOP_KEYS:
            raise FlowFormatError(f"unknown key; expected {', '.join(_TOP_KEYS)}", path=key)
    flow = Flow(_text(data.get("id"), "id"), _text(data.get("name"), "name"), parse_settings(data.get("settings")))
    if isinstance(data.get("description"), str):
        flow.description = data["description"]
    if isinstance(data.get("publish"), dict):
        flow.publish = data["publish"]
    nodes = data.get("nodes")
    if not isinstance(nodes, list):
        raise FlowFormatError(f"expected a list of nodes, got {json_type(nodes)}", path="nodes")
    by_id: dict[str, Node] = {}
    for i, raw in enumerate(nodes):
        node = _node(raw, f"nodes[{i}]")
        if node.id in by_id:
            raise FlowFormatError(f"node id {node.id!r} is used twice", path=f"nodes[{i}].id", node=node.id)
        by_id[node.id] = node
    edges = data.get("edges", [])
    if not isinstance(edges, list):
        raise FlowFormatError(f"expected a list of edges, got {json_type(edges)}", path="edges")
    flow.load_parts(list(by_id.values()), [_edge(raw, f"edges[{i}]", by_id) for i, raw in enumerate(edges)])
    return flow


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FlowFormatError(f"expected non-empty text, got {json_type(value)}", path=path)
    return value


def _node(raw: Any, path: str) -> Node:
    if not isinstance(raw, dict):
        raise FlowFormatError(f"a node is an object, got {json_type(raw)}", path=path)
    node_id = raw.get("id")
    if not isinstance(node_id, str) or not node_id:
        raise FlowFormatError("a node needs a text id", path=f"{path}.id")
    for key in raw:
        if key not in _NODE_KEYS:
            raise FlowFormatError(f"unknown key; a node has {', '.join(_NODE_KEYS)}", path=f"{path}.{key}",
                                  node=node_id)
    kind = raw.get("kind")
    if not isinstance(kind, str):
        raise FlowFormatError("a node needs a kind", path=f"{path}.kind", node=node_id)
    coords = []
    for axis in ("x", "y"):
        v = raw.get(axis, 0)
        if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
            raise FlowFormatError(f"{axis} must be a number, got {json_type(v)}", path=f"{path}.{axis}",
                                  node=node_id)
        coords.append(float(v))
    config = raw.get("config", {})
    if not isinstance(config, dict):
        raise FlowFormatError(f"config must be an object, got {json_type(config)}", path=f"{path}.config",
                              node=node_id)
    return Node(node_id, kind, coords[0], coords[1], config)


def _edge(raw: Any, path: str, nodes: dict[str, Node]) -> Edge:
    if not isinstance(raw, dict):
        raise FlowFormatError(f"an edge is an object, got {json_type(raw)}", path=path)
    for key in raw:
        if key not in ("from", "to", "port"):
            raise FlowFormatError("unknown key; an edge has from, to and port", path=f"{path}.{key}")
    ends = []
    for key in ("from", "to"):
        v = raw.get(key)
        if not isinstance(v, str) or not v:
            raise FlowFormatError(f"an edge needs '{key}', a node id", path=f"{path}.{key}")
        ends.append(v)
    port = raw.get("port")
    if port is None:
        source = nodes.get(ends[0])
        ports = source.output_ports() if source else ()
        port = ports[0] if len(ports) == 1 else "next"
    elif not isinstance(port, str) or not port:
        raise FlowFormatError("port must be a port name", path=f"{path}.port", node=ends[0])
    return Edge(ends[0], ends[1], port)


# -- saving ----------------------------------------------------------------
def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (_KEY_RANK.get(k, len(_KEY_RANK)), k))
        return {k: _ordered(value[k]) for k in keys}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def _number(v: float) -> int | float:
    return int(v) if float(v).is_integer() else round(v, 2)


def node_to_json(node: Node) -> dict:
    return {"id": node.id, "kind": node.kind, "x": _number(node.x), "y": _number(node.y),
            "config": _ordered(node.config)}


def edge_to_json(flow: Flow, edge: Edge) -> dict:
    out = {"from": edge.source, "to": edge.target}
    source = flow.nodes.get(edge.source)
    spec = KINDS.get(source.kind) if source else None
    if spec is None or spec.dynamic_ports is not None or len(spec.ports) != 1 or edge.port != spec.ports[0]:
        out["port"] = edge.port
    return out


def to_json(flow: Flow) -> dict:
    out: dict[str, Any] = {"format": FORMAT, "version": CURRENT_VERSION, "id": flow.id, "name": flow.name}
    if flow.description:
        out["description"] = flow.description
    out["settings"] = {k: _ordered(v) for k, v in flow.settings.to_json().items()}
    out["nodes"] = [node_to_json(n) for n in flow.nodes.values()]
    out["edges"] = [edge_to_json(flow, e) for e in flow.edges]
    if flow.publish:
        out["publish"] = _ordered(flow.publish)
    return out


def dumps(flow: Flow) -> str:
    return json.dumps(to_json(flow), indent=2, ensure_ascii=False) + "\n"


def save(flow: Flow, path: str | os.PathLike) -> None:
    """Write atomically: a temporary file beside the target, fsync, rename.

    If anything fails before the rename the old file is untouched.
    """
    atomic_write_text(Path(path), dumps(flow))


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dir_fd = os.open(path.parent or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
