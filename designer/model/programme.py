"""The programme file (``flows/programme.json``): how a shop's flows share their customers.

All flows of a shop reach the same people, so some rules belong to the
programme, not to one flow: a frequency cap (at most N marketing messages per
customer per window, across every flow), the flows' priority (who goes first
when two flows would message a customer at the same moment) and how close
two flows' messages must be to count as a collision in the report.

```json
{"format": "trigger-flow-programme", "version": 1,
 "flows": ["abandoned_cart.json", "welcome_series.json"],
 "cap": {"messages": 3, "window": "P7D"},
 "priority": ["abandoned-cart", "welcome-series"],
 "collision_window": "PT24H"}
```

``flows`` (paths relative to the programme file) are the programme's flows
when a command is given the programme file alone; ``priority`` lists flow
ids, highest first (flows not listed come after, in the order given). The
cap can also be given on the command line as ``--cap 3/P7D``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from designer.model import durations

FORMAT = "trigger-flow-programme"
VERSION = 1
DEFAULT_COLLISION = "PT24H"


class ProgrammeError(ValueError):
    def __init__(self, message: str, *, file: str | None = None, path: str | None = None) -> None:
        self.message, self.file, self.path = message, file, path
        super().__init__((f"{file}: " if file else "") + message + (f" at {path}" if path else ""))


@dataclass(frozen=True)
class Cap:
    """At most ``messages`` marketing messages per customer in any ``window`` (across flows)."""

    messages: int
    window: str

    @property
    def window_ms(self) -> int:
        return durations.parse_ms(self.window)

    def text(self) -> str:
        return f"{self.messages}/{self.window}"


@dataclass(frozen=True)
class Programme:
    cap: Cap | None = None
    priority: tuple[str, ...] = ()
    collision_window: str = DEFAULT_COLLISION
    flows: tuple[str, ...] = ()
    #: Where the file was (flows are relative to it).
    base: Path | None = field(default=None, compare=False)

    @property
    def collision_ms(self) -> int:
        return durations.parse_ms(self.collision_window)

    def flow_paths(self) -> list[Path]:
        base = self.base or Path(".")
        return [p if p.is_absolute() else base / p for p in map(Path, self.flows)]

    def order(self, flow_ids: list[str]) -> list[int]:
        """Indexes of ``flow_ids`` by priority: listed flows first, in the listed order, then the rest."""
        rank = {fid: k for k, fid in enumerate(self.priority)}
        return sorted(range(len(flow_ids)), key=lambda i: (rank.get(flow_ids[i], len(rank)), i))


_CAP = re.compile(r"^\s*(\d+)\s*/\s*(\S+)\s*$")


def parse_cap(text: str) -> Cap:
    """``3/P7D`` as a :class:`Cap`; a mistake says what a cap looks like."""
    m = _CAP.match(text or "")
    if not m:
        raise ProgrammeError(f"{text!r} is not a cap: write messages/window, e.g. 3/P7D")
    n, window = int(m.group(1)), m.group(2)
    if n < 1:
        raise ProgrammeError(f"a cap of {n} messages would send nothing; use 1 or more")
    try:
        durations.parse_ms(window)
    except durations.DurationError as exc:
        raise ProgrammeError(f"cap window: {exc}") from None
    return Cap(n, window)


def parse(data: object, *, file: str | None = None, base: Path | None = None) -> Programme:
    def fail(message: str, path: str | None = None):
        raise ProgrammeError(message, file=file, path=path)

    if not isinstance(data, dict):
        fail("a programme file is a JSON object")
    if data.get("format") != FORMAT:
        fail(f"format must be {FORMAT!r}", "format")
    if data.get("version") != VERSION:
        fail(f"version {data.get('version')!r} is not known (this program reads version {VERSION})", "version")
    unknown = set(data) - {"format", "version", "flows", "cap", "priority", "collision_window", "description"}
    if unknown:
        fail(f"unknown key {sorted(unknown)[0]!r}", sorted(unknown)[0])
    cap = None
    raw = data.get("cap")
    if raw is not None:
        if not isinstance(raw, dict) or not isinstance(raw.get("messages"), int) or isinstance(raw.get("messages"), bool) \
                or not isinstance(raw.get("window"), str):
            fail('a cap is {"messages": N, "window": "P7D"}', "cap")
        try:
            cap = parse_cap(f"{raw['messages']}/{raw['window']}")
        except ProgrammeError as exc:
            fail(exc.message, "cap")
    lists = {}
    for key in ("flows", "priority"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            fail(f"{key} is a list of {'file names' if key == 'flows' else 'flow ids'}", key)
        lists[key] = tuple(value)
    collision = data.get("collision_window", DEFAULT_COLLISION)
    try:
        durations.parse_ms(collision)
    except (durations.DurationError, TypeError) as exc:
        fail(f"collision window: {exc}", "collision_window")
    return Programme(cap, lists["priority"], collision, lists["flows"], base)


def load(path: str | os.PathLike) -> Programme:
    name = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProgrammeError(f"cannot read the file: {exc.strerror or exc}", file=name) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProgrammeError(f"not valid JSON: {exc}", file=name) from None
    return parse(data, file=name, base=Path(path).parent)
