"""Command line: ``python main.py <command> ...``; no command starts the editor.

Exit codes follow one rule across commands: 0 done (warnings allowed),
1 the input has errors the user must fix, 2 the input could not be read.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules that register sub-commands, in the order ``--help`` lists them.
COMMAND_MODULES = (
    "designer.commands.validate",
    "designer.commands.simulate",
    "designer.commands.render",
    "designer.commands.store",
    "designer.commands.gui",
)


class CommandError(Exception):
    """A failure to report as one line on stderr, with an exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Trigger Flow Designer: draw, backtest and publish behavioural-trigger flows. "
        "Run with no command (or with a flow file) to open the editor.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    parser.set_defaults(command_names=frozenset(sub.choices))
    return parser


def gui_main(argv: Sequence[str] | None = None) -> int:
    """Start the editor, opening the flow files given, if any."""
    from designer.ui.app import run  # Qt is loaded only when the editor starts.

    return run(list(sys.argv[1:] if argv is None else argv))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    commands = parser.get_default("command_names")
    if not argv or (argv[0] not in commands and not argv[0].startswith("-")):
        return gui_main(argv)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
