"""The command line's exit codes and the one error type commands raise.

Kept apart from :mod:`designer.cli` so command modules import it without
importing the module that imports them (``designer.cli`` re-exports both).

The rule every command follows:

- 0 ``OK``: done (warnings allowed);
- 1 ``INPUT``: the input has problems, each named (file, line, JSON path, node);
- 2 ``CANNOT_RUN``: the command could not run (a file, the store, the network, the display);
- 3 ``INTERNAL``: a bug; one line on the terminal, the traceback in a crash report.
"""

from __future__ import annotations

OK = 0
INPUT = 1
CANNOT_RUN = 2
INTERNAL = 3
#: Stopped with Ctrl+C (128 + SIGINT, what shells expect).
INTERRUPTED = 130


class CommandError(Exception):
    """A failure to report as one line on stderr, with an exit code (default: could not run)."""

    def __init__(self, message: str, code: int = CANNOT_RUN) -> None:
        super().__init__(message)
        self.code = code
