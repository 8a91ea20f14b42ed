"""Checks a layer above the engine registers for sends, so a backtest counts messages that cannot be made.

The engine may not import content (layers: ``model <- store <- engine <-
content``), yet a backtest should count a send whose template cannot render
under the skip reason ``template_error`` rather than as a message. The layer
that knows (content, through the command or window that starts the run)
registers a function ``(flow, node) -> problem text or None``; the plan asks it
once per send node when the flow compiles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from designer.model.flow import Flow, Node

SendCheck = Callable[[Flow, Node], "str | None"]
_checks: list[SendCheck] = []


def register(check: SendCheck) -> None:
    """Ask ``check`` about every send of the flows compiled from now on (once per function)."""
    if check not in _checks:
        _checks.append(check)


def unregister(check: SendCheck) -> None:
    if check in _checks:
        _checks.remove(check)


def send_problem(flow: Flow, node: Node) -> str | None:
    """The first problem a registered check finds with this send, or ``None``."""
    for check in _checks:
        problem = check(flow, node)
        if problem:
            return problem
    return None


@contextmanager
def registered(check: SendCheck) -> Iterator[None]:
    """``check`` asked for the runs inside the ``with`` only (a command's own run)."""
    added = check not in _checks
    register(check)
    try:
        yield
    finally:
        if added:
            unregister(check)
