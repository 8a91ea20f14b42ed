"""Sub-commands of ``python main.py``, one module per area.

Each module exposes ``register(subparsers)``, which adds its sub-commands and
sets ``func`` on each parser to a handler ``(args) -> int`` (the exit code).
Keeping them apart lets each layer own its command-line face without one
ever-growing file.
"""
