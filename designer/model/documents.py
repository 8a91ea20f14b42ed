"""Which kind of file a JSON document is, told by its ``format``.

Flows, their test files and the programme file sit side by side in one
folder, so a command given ``flows/*.json`` meets all three; each command
asks here what a file is and treats it as that (``validate`` checks each
kind, ``simulate`` and ``export`` take the flows, ``test`` the test files).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

FLOW = "trigger-flow"
TESTS = "trigger-flow-tests"
PROGRAMME = "trigger-flow-programme"


def format_of(path: str | os.PathLike) -> str | None:
    """The file's ``format`` value, or None when it cannot be read as a JSON object with one.

    A file that cannot be read is left to the loader of the kind the command
    expects, which names the problem (file, line) properly.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    value = data.get("format") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def split_by_format(paths: list[str]) -> dict[str, list[str]]:
    """Paths grouped by format (``None`` for unreadable or unknown ones), order kept."""
    out: dict[str, list[str]] = {}
    for p in paths:
        fmt = format_of(p)
        out.setdefault(fmt if fmt in (FLOW, TESTS, PROGRAMME) else None, []).append(p)
    return out


def flow_files(folder: str | os.PathLike) -> list[Path]:
    """The flow files in ``folder`` (its test and programme files left out), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.glob("*.json")) if format_of(p) == FLOW]
