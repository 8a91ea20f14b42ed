"""Checks of the conditions that read a predictive score (``purchase_score``, ``predicted_clv``).

A score is a number in a known range (a probability, an amount of money), so
a test that compares it with text, with a list or with a number it can never
reach is always false or always true, and the flow does not do what the
marketer meant: "purchase_score >= 60" (a percentage typed for a probability)
reaches no one. Each problem names the node and the JSON path of the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from designer.model.conditions import SCORE_RANGES
from designer.model.flow import Flow

#: Operators a number can be tested with (``contains`` and ``in`` are for text and lists).
NUMBER_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "is set", "is not set")


def _tests(cond: Any, path: str) -> Iterator[tuple[dict, str]]:
    """(leaf test, its JSON path) for every test of a condition outside event filters."""
    if not isinstance(cond, dict):
        return
    for key in ("all", "any"):
        if isinstance(cond.get(key), list):
            for i, item in enumerate(cond[key]):
                yield from _tests(item, f"{path}.{key}[{i}]")
            return
    if "not" in cond:
        yield from _tests(cond["not"], f"{path}.not")
    else:
        yield cond, path


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _problem(test: dict) -> tuple[str, str] | None:
    """(severity, message) for a score test that cannot mean what it says, None when it is sound."""
    name = test.get("property")
    if name not in SCORE_RANGES or "event" in test:
        return None
    op, value = test.get("op", "="), test.get("value")
    if op not in NUMBER_OPERATORS:
        return "error", f"{name} is a number; test it with one of {', '.join(NUMBER_OPERATORS)}, not {op!r}"
    if op in ("is set", "is not set"):
        return None
    if not _is_number(value):
        return "error", f"{name} is a number, compared here with {value!r}; give a number"
    low, high = SCORE_RANGES[name]
    if value < low or (high is not None and value > high):
        span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        hint = f" (for {value:g}% write {value / 100:g})" if high == 1.0 and 1 < value <= 100 else ""
        return "warning", f"{name} is always {span}, so comparing it with {value:g} never changes{hint}"
    return None


def _rules(flow: Flow) -> list[tuple[str | None, Any, str]]:
    """(node id or None for the exit rule, condition, its JSON path) of every rule of the flow."""
    rules: list[tuple[str | None, Any, str]] = [(None, flow.settings.exit_when, "settings.exit_when")]
    for index, node in enumerate(flow.nodes.values()):
        condition = node.config.get("condition") if isinstance(node.config, dict) else None
        if condition is not None:
            rules.append((node.id, condition, f"nodes[{index}].config.condition"))
    return rules


#: Why the runtime refuses a flow that tests a score (the runtime and its publish report say it alike).
SCORES_LIVE = ("{name} is a predictive score the backtest learns from the history month by month; the runtime "
               "trains no score models, so this test cannot run live as it was backtested")


def score_tests(flow: Flow) -> list[tuple[str | None, str, str]]:
    """(node id or None, score name, JSON path) of every test that reads a predictive score: what a
    target with no score models (the runtime, an ESP) cannot run as the backtest ran it."""
    return [(node_id, test["property"], path) for node_id, rule, base in _rules(flow)
            for test, path in _tests(rule, base)
            if test.get("property") in SCORE_RANGES and "event" not in test]


def score_problems(flow: Flow, add: Callable[[str, str, str | None, str, str], None]) -> None:
    """Report every score test of the flow's splits and exit rule: ``add(severity, code, node, message,
    path)``."""
    for node_id, rule, base in _rules(flow):
        for test, path in _tests(rule, base):
            found = _problem(test)
            if found is not None:
                severity, message = found
                add(severity, "score-test", node_id, message, path)
