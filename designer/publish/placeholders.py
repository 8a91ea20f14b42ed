"""The ``$kind:name`` placeholders offline bodies carry where the account's ids go.

Every compiler writes a reference it cannot resolve offline as one string,
``$kind:name`` (``$event:Placed Order``, ``$template:welcome``); a publisher
collects them, finds or makes the ids, and fills them in. Only whole string
values are placeholders, so text that merely contains a ``$`` is left alone.
"""

from __future__ import annotations

from typing import Any

PREFIX = "$"


def parse(value: object) -> tuple[str, str] | None:
    """(kind, name) of a placeholder string, else None."""
    if isinstance(value, str) and value.startswith(PREFIX) and ":" in value:
        kind, name = value[len(PREFIX):].split(":", 1)
        if kind.isidentifier():
            return kind, name
    return None


def collect(body: Any) -> dict[str, set[str]]:
    """The names each kind of placeholder in ``body`` stands for."""
    out: dict[str, set[str]] = {}

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            found = parse(x)
            if found:
                out.setdefault(found[0], set()).add(found[1])

    walk(body)
    return out


def fill(body: Any, ids: dict[str, dict[str, str]]) -> Any:
    """A copy of ``body`` with each placeholder replaced by ``ids[kind][name]`` (left as is when absent)."""
    if isinstance(body, dict):
        return {k: fill(v, ids) for k, v in body.items()}
    if isinstance(body, list):
        return [fill(v, ids) for v in body]
    found = parse(body)
    if found and found[1] in ids.get(found[0], {}):
        return ids[found[0]][found[1]]
    return body
