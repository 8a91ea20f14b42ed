"""One check per version of a flow: its hash, and its validation kept by that hash.

A backtest used to validate the same flow three or four times (the
controller, the compile, each worker) and hash it again wherever a result
was made. A version of a flow is what decides a simulation (its
:func:`flow_hash`); its problems are kept by that hash, so compiling the
same version again, in this process or in a helper that was told the
version is sound (:func:`trust`), does not validate it again. Keyed by
content, never by object: a flow edited in place is a new version.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

from designer.model import io
from designer.model.flow import Flow
from designer.model.validate import Problem, validate

#: Versions remembered (a session edits and runs a handful of flows).
KEEP = 64
_problems: OrderedDict[str, list[Problem]] = OrderedDict()


def flow_hash(flow: Flow) -> str:
    """SHA-256 of what decides a simulation: the flow's id, settings, nodes' kinds and
    configs, and edges. Moving cards on the canvas or renaming the flow keeps the hash."""
    data = io.to_json(flow)
    semantic = {
        "id": data["id"], "settings": data["settings"], "edges": data["edges"],
        "nodes": [{"id": n["id"], "kind": n["kind"], "config": n["config"]} for n in data["nodes"]],
    }
    text = json.dumps(semantic, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def problems(flow: Flow, digest: str | None = None) -> list[Problem]:
    """The flow's validation problems, computed once per version (``digest``: its flow_hash,
    when the caller has it)."""
    key = digest or flow_hash(flow)
    found = _problems.get(key)
    if found is None:
        found = _problems[key] = validate(flow)
        if len(_problems) > KEEP:
            _problems.popitem(last=False)
    else:
        _problems.move_to_end(key)
    return list(found)


def trust(digest: str, known: list[Problem] | None = None) -> None:
    """Record a version's problems found elsewhere (a helper process is told its parent's)."""
    _problems[digest] = list(known or [])
    if len(_problems) > KEEP:
        _problems.popitem(last=False)
