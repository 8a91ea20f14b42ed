"""The flow file: graph JSON on disk, loaded strictly and saved atomically.

A broken file is answered with a FlowFormatError naming the JSON path (or the
line, for a syntax error) and the node, never with a traceback. Saving the same
flow always gives the same bytes, so flows diff cleanly under version control.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from designer.model import bounds
from designer.model.collector import collector_paused
from designer.model.errors import FlowFormatError
from designer.model.fieldtypes import problems
from designer.model.flow import Edge, Flow, Node
from designer.model.flowfile import CURRENT_VERSION, FORMAT, FileShape
from designer.model.jsonform import _ordered, edge_to_json, node_to_json
from designer.model.parsing import parse_nodes
from designer.model.settings import json_type, parse_settings

__all__ = ["CURRENT_VERSION", "FORMAT", "MIGRATIONS", "atomic_write_text", "dumps", "edge_to_json", "from_json",
           "load", "loads", "migrate", "node_to_json", "save", "to_json"]

#: version -> function turning a file of that version into one of the next.
#: Version 1 is the first published format, so nothing needs migrating yet; a
#: change to the format adds ``MIGRATIONS[1]`` and raises CURRENT_VERSION.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}

# -- loading ---------------------------------------------------------------
def loads(text: str, *, file: str | None = None) -> Flow:
    with collector_paused():  # the parsed JSON is as many objects as the flow
        return _loads(text, file)


def _loads(text: str, file: str | None) -> Flow:
    try:
        data = bounds.loads(text)
    except json.JSONDecodeError as exc:
        raise FlowFormatError(f"not valid JSON: {exc.msg} (column {exc.colno})", line=exc.lineno, file=file) from None
    except bounds.BoundsError as exc:
        raise FlowFormatError(exc.message, path=exc.path or None, file=file,
                              line=_number_line(text, exc) if not exc.path else None) from None
    try:
        return from_json(data, checked=True)
    except FlowFormatError as exc:
        exc.file = file
        raise


def _number_line(text: str, exc: bounds.BoundsError) -> int | None:
    """The line of the first NaN, Infinity or over-long number (the JSON parser does not say where)."""
    match = re.search(r"\bNaN\b|\bInfinity\b|\d{%d,}" % bounds.MAX_NUMBER_DIGITS, text)
    return text.count("\n", 0, match.start()) + 1 if match else None


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


def from_json(data: Any, *, checked: bool = False) -> Flow:
    """The flow in a file's JSON. ``checked``: the bounds were checked while parsing the text."""
    with collector_paused():
        return _from_json(data, checked)


def _from_json(data: Any, checked: bool) -> Flow:
    if not checked:
        try:
            bounds.check(data)
        except bounds.BoundsError as exc:
            raise FlowFormatError(exc.message, path=exc.path) from None
    if not isinstance(data, dict):
        raise FlowFormatError(f"a flow file holds one JSON object, got {json_type(data)}", path="$")
    if data.get("format") != FORMAT:
        raise FlowFormatError(f"not a flow file: 'format' must be {FORMAT!r}, got {data.get('format')!r}",
                              path="format")
    data = migrate(data)
    settings = parse_settings(data.get("settings"))
    try:
        shape = FileShape.model_validate(data if "settings" not in data else {**data, "settings": None})
    except ValidationError as exc:
        path, message = problems(exc)[0]
        raise FlowFormatError(message, path=path, node=_node_at(data, path)) from None
    flow = Flow(shape.id, shape.name, settings)
    flow.description = shape.description
    flow.publish = dict(shape.publish)
    by_id: dict[str, Node] = {}
    for i, raw in enumerate(shape.nodes):
        node_id = raw["id"]
        if node_id in by_id:
            raise FlowFormatError(f"node id {node_id!r} is used twice", path=f"nodes[{i}].id", node=node_id)
        by_id[node_id] = Node(node_id, raw["kind"], float(raw.get("x", 0.0)), float(raw.get("y", 0.0)),
                              raw.get("config", {}))
    parse_nodes(list(by_id.values()))
    edges = []
    for e in shape.edges:
        port = e.get("port")
        if port is None:
            source = by_id.get(e["from_"])
            ports = source.output_ports() if source else ()
            port = ports[0] if len(ports) == 1 else "next"
        edges.append(Edge(e["from_"], e["to"], port))
    flow.load_parts(list(by_id.values()), edges)
    return flow


def _node_at(data: dict, path: str) -> str | None:
    """The id of the node a problem path points into, if any."""
    if not path.startswith("nodes["):
        return None
    try:
        node = data["nodes"][int(path[6:path.index("]")])]
    except (KeyError, IndexError, ValueError, TypeError):
        return None
    return node.get("id") if isinstance(node, dict) and isinstance(node.get("id"), str) else None


# -- saving ----------------------------------------------------------------
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
