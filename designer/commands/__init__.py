"""Sub-commands of ``python main.py``, one module per area.

Each module exposes ``register(subparsers)``, which adds its sub-commands and
sets ``func`` on each parser to a handler ``(args) -> int`` (the exit code), and
is listed by one line in ``designer.cli.COMMAND_MODULES``. Handlers raise
:class:`designer.commands.errors.CommandError` for a failure to report in one
line; they import it from ``designer.commands.errors`` (not from
``designer.cli``, which imports them). Anything else they let through is
turned into an exit code by the one rule in :func:`designer.cli.run_command`.
Keeping them apart lets each layer own its command-line face without one
ever-growing file.
"""
