"""Crash reports: the traceback of an internal error, kept in the app data folder.

A user's terminal gets one line naming the report; the report holds what a
developer needs (the traceback, the command line, versions), so a bug can be
reported without the user copying a wall of text, and scripts see one line.
"""

from __future__ import annotations

import os
import platform
import re
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from designer import __version__, identity

#: ``scheme://user:password@`` in a command line or a message: the password is masked.
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)\S+@")


def mask_passwords(text: str) -> str:
    return _URL_PASSWORD.sub(r"\1***@", text)


def command_line(argv: Sequence[str]) -> str:
    """The command line as a report may keep it: the command, its options, and the files it named;
    any other value (a customer id or email given to ``forget``, a store URL, a key) is shown as
    ``<value>``, since a report is meant to be sent to someone."""
    shown = []
    for i, arg in enumerate(argv):
        if i == 0 or arg.startswith("-") or _is_file(arg):
            shown.append(arg)
        else:
            shown.append("<value>")
    return " ".join(shown)


def _is_file(arg: str) -> bool:
    try:
        return Path(arg).is_file()
    except (OSError, ValueError):  # a NUL byte or a name too long is not a file
        return False


def write_report(exc: BaseException, argv: Sequence[str]) -> Path:
    """Write a crash report for ``exc`` and return its path (raises OSError if it cannot)."""
    folder = identity.crash_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    target = folder / f"crash-{stamp}-{os.getpid()}.txt"
    count = 1
    while target.exists():
        count += 1
        target = folder / f"crash-{stamp}-{os.getpid()}-{count}.txt"
    lines = [
        f"{identity.DISPLAY_NAME} {__version__} crash report",
        f"time: {time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC",
        f"python: {sys.version.split()[0]} on {platform.platform()}",
        f"command: main.py {command_line(argv)}",
        "",
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
    ]
    with open(target, "x", encoding="utf-8", errors="backslashreplace") as out:
        out.write(mask_passwords("\n".join(lines)))
    return target
