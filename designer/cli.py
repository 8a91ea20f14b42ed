"""Command line: ``python main.py <command> ...``; nothing, or a flow file, opens the editor.

Every command runs under one rule (see :mod:`designer.commands.errors`):
0 done, 1 the input has problems (named), 2 the command could not run (a file,
the store, the network, the display), 3 an internal error, printed as one line
naming a crash report in the app data folder (the traceback goes there, never
to the terminal). A first word that is neither a command nor an existing file
is an unknown command: it is named with the list of commands, and nothing starts.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from designer.commands.errors import CANNOT_RUN, INPUT, INTERNAL, INTERRUPTED, OK, CommandError

__all__ = ["CANNOT_RUN", "COMMAND_MODULES", "INPUT", "INTERNAL", "OK", "CommandError", "build_parser", "main"]

#: Modules that register sub-commands, in the order ``--help`` lists them: one line per
#: module, each exposing ``register(subparsers)`` (see designer/commands/__init__.py).
COMMAND_MODULES = (
    "designer.commands.validate",
    "designer.commands.simulate",
    "designer.commands.render",
    "designer.commands.importing",
    "designer.commands.store",
    "designer.commands.flowtest",
    "designer.commands.score",
    "designer.commands.audit",
    "designer.commands.gui",
    "designer.commands.publish",
    "designer.commands.serve",
)

#: Failures a command may let through that are not bugs: (module, class, exit code, what).
#: The module is looked up only if already imported (else nothing raised that type).
EXPECTED_FAILURES: tuple[tuple[str, str, int, str], ...] = (
    ("designer.model.errors", "FlowFormatError", INPUT, "flow"),
    ("designer.store.db", "StoreError", CANNOT_RUN, "store"),
    ("sqlalchemy.exc", "NoSuchModuleError", CANNOT_RUN, "store: unsupported database"),
    ("sqlalchemy.exc", "ArgumentError", CANNOT_RUN, "store: not a database URL"),
    ("sqlalchemy.exc", "OperationalError", CANNOT_RUN, "store"),
    ("requests", "RequestException", CANNOT_RUN, "network"),
)
#: pip names of the optional libraries a command may miss, where they differ from the module.
PIP_NAMES = {"psycopg2": "psycopg2-binary", "psycopg": "psycopg[binary]", "MySQLdb": "mysqlclient",
             "pymysql": "PyMySQL", "yaml": "PyYAML"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description="Trigger Flow Designer: draw, backtest and publish behavioural-trigger flows. "
        "Run with no command (or with a flow file) to open the editor.",
        epilog="Exit codes: 0 done; 1 the input has problems; 2 the command could not run "
        "(file, store, network, display); 3 internal error (a crash report is written).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    parser.set_defaults(command_names=tuple(sub.choices))
    return parser


def opens_editor(argv: Sequence[str]) -> bool:
    """No arguments, or a first argument naming an existing file (a flow to open)."""
    return not argv or Path(argv[0]).is_file()


def unknown_command(word: str, commands: Sequence[str]) -> CommandError:
    close = difflib.get_close_matches(word, commands, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    if word.lower().endswith(".json") or "/" in word or "\\" in word:
        return CommandError(f"no such flow file: {word}")
    return CommandError(f"unknown command '{word}'{hint}; commands: {', '.join(commands)} "
                        "(python main.py --help describes them)")


def gui_main(argv: Sequence[str] | None = None) -> int:
    """Start the editor, opening the flow files given, if any."""
    from designer.ui.app import run  # Qt is loaded only when the editor starts.
    from designer.ui.display import DisplayUnavailable

    try:
        return run(list(sys.argv[1:] if argv is None else argv))
    except DisplayUnavailable as exc:
        raise CommandError(str(exc), CANNOT_RUN) from None


def _expected(exc: BaseException) -> tuple[int, str] | None:
    for module, name, code, what in EXPECTED_FAILURES:
        loaded = sys.modules.get(module)
        kind = getattr(loaded, name, None) if loaded is not None else None
        if isinstance(kind, type) and isinstance(exc, kind):
            return code, what
    return None


def _first_line(exc: BaseException) -> str:
    """The exception's message on one line, without any password a URL in it carries."""
    from designer.crash import mask_passwords

    lines = str(exc).strip().splitlines()
    return mask_passwords(lines[0] if lines else type(exc).__name__)


def _os_message(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    return f"{exc.filename}: {what}" if exc.filename else what


def run_command(action: Callable[[], int | None], argv: Sequence[str]) -> int:
    """The one top-level rule: run ``action`` and turn whatever it raises into an exit code."""
    try:
        return int(action() or OK)
    except CommandError as exc:
        _say(f"error: {exc}")
        return exc.code
    except KeyboardInterrupt:
        _say("interrupted")
        return INTERRUPTED
    except OSError as exc:
        _say(f"error: {_os_message(exc)}")
        return CANNOT_RUN
    except ModuleNotFoundError as exc:
        if not exc.name or exc.name.split(".")[0] == "designer":
            return _internal_error(exc, argv)  # the program's own module: a bug
        top = exc.name.split(".")[0]
        _say(f"error: this needs the library '{top}', which is not installed: "
             f"python3 -m pip install {PIP_NAMES.get(top, top)}")
        return CANNOT_RUN
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a report, never a traceback
        expected = _expected(exc)
        if expected is not None:
            code, what = expected
            _say(f"error: {what}: {_first_line(exc)}")
            return code
        return _internal_error(exc, argv)


def _internal_error(exc: BaseException, argv: Sequence[str]) -> int:
    from designer.crash import write_report

    try:
        report = write_report(exc, argv)
    except OSError as problem:
        _say(f"internal error ({type(exc).__name__}); no crash report could be written: "
             f"{_os_message(problem)}")
    else:
        _say(f"internal error ({type(exc).__name__}): this is a bug; please report it with {report}")
    return INTERNAL


def _say(line: str) -> None:
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):
        pass  # stderr closed: the exit code still tells


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        return run_command(lambda: gui_main(argv), argv)
    built: list[argparse.ArgumentParser] = []
    code = run_command(lambda: built.append(build_parser()), argv)  # a command module that fails is a bug
    if not built:
        return code
    parser = built[0]
    commands = parser.get_default("command_names")
    if argv[0] not in commands and not argv[0].startswith("-"):
        if opens_editor(argv):  # a command's name wins over a file of that name
            return run_command(lambda: gui_main(argv), argv)
        error = unknown_command(argv[0], commands)
        _say(f"error: {error}")
        return error.code
    args = parser.parse_args(argv)  # usage errors: argparse's message and exit 2
    return run_command(lambda: args.func(args), argv)
