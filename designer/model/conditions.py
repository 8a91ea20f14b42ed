"""Conditions: the small JSON tree that splits, filters and exit rules share.

Shapes (a condition is one of them):

* ``{"all": [c, ...]}``, ``{"any": [c, ...]}``, ``{"not": c}``
* ``{"property": NAME, "op": OP, "value": V}``: a test on the customer's profile,
  including facts derived from history (``order_count``, ``total_spent``,
  ``days_since_last_order``, ``first_seen``, ``last_seen``, ``days_since_first_seen``) and the
  predictive scores (``purchase_score``, ``predicted_clv``);
* ``{"trigger": NAME, "op": OP, "value": V}``: a test on a property of the event
  that started the journey;
* ``{"event": NAME, "since": SINCE, "where": FILTER, "count": {OP: N}}``: history.
  ``since`` is ``"flow_start"`` (the journey's entry, the default), ``"ever"``, or
  an ISO duration meaning "in the last ...". ``count`` defaults to ``{">=": 1}``.

A *filter* (the ``where`` of triggers, waits and event tests) is the same tree
whose leaves are ``{"property": NAME, "op": OP, "value": V}`` tests on the
event's own properties.

The model only checks and describes conditions; the engine evaluates them and
publishers compile them, so each target reads the same tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag, TypeAdapter, ValidationError, WithJsonSchema, \
    model_validator
from pydantic_core import PydanticCustomError

from designer.model import bounds, durations
from designer.model.fieldtypes import FlowModel, JsonValue, Name, problems

#: Comparison operators and whether they take a value.
OPERATORS: dict[str, bool] = {
    "=": True, "!=": True, "<": True, "<=": True, ">": True, ">=": True,
    "contains": True, "not contains": True, "in": True, "not in": True,
    "is set": False, "is not set": False,
}
COUNT_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
SINCE_WORDS = ("flow_start", "ever")

#: Predictive scores, as the engine's models give them (``purchase_score``: the probability of a
#: purchase in the next 30 days; ``predicted_clv``: the revenue expected in the next 90), each with
#: the (lowest, highest) number it can be, None for no bound. In a backtest a journey at time T sees
#: the score of a model trained only on data before T (monthly cut-offs).
SCORE_RANGES: dict[str, tuple[float, float | None]] = {"purchase_score": (0.0, 1.0), "predicted_clv": (0.0, None)}
SCORE_FACTS = tuple(SCORE_RANGES)
#: Facts the engine derives from a customer's history, usable as profile properties.
#: (The engine's ``designer.engine.facts`` computes each, from the flow's conversion settings.)
DERIVED_FACTS = ("order_count", "total_spent", "days_since_last_order", "first_seen", "last_seen",
                 "days_since_first_seen") + SCORE_FACTS

Operator = Literal["=", "!=", "<", "<=", ">", ">=", "contains", "not contains", "in", "not in", "is set",
                   "is not set"]
CountOperator = Literal["=", "!=", "<", "<=", ">", ">="]


def _since(value: str) -> str:
    if value not in SINCE_WORDS and not durations.is_valid(value):
        raise PydanticCustomError("since", "{value}: use 'flow_start', 'ever' or a duration such as 'PT48H'",
                                  {"value": repr(value)})
    return value


Since = Annotated[str, AfterValidator(_since), WithJsonSchema({"anyOf": [
    {"enum": list(SINCE_WORDS)},
    {"type": "string", "pattern": durations.SCHEMA_PATTERN}]})]
Count = Annotated[dict[CountOperator, Annotated[int, Field(ge=0, le=bounds.INT_MAX)]], Field(min_length=1, max_length=1)]

#: How deep a condition may nest (all / any / not inside each other); the builder offers 3 levels.
MAX_NESTING = 32


def _shallow(tree: Any) -> Any:
    """Refuse a condition nested deeper than MAX_NESTING before its models recurse into it."""
    stack, seen = [(tree, 1)], 0
    while stack:
        node, depth = stack.pop()
        if depth > MAX_NESTING:
            raise PydanticCustomError("nesting", "a condition nested deeper than {n} levels; flatten it",
                                      {"n": MAX_NESTING})
        seen += 1
        if isinstance(node, dict):
            for key in ("all", "any"):
                if isinstance(node.get(key), list):
                    stack.extend((item, depth + 1) for item in node[key])
            for key in ("not", "where"):
                if isinstance(node.get(key), dict):
                    stack.append((node[key], depth + 1))
    return tree


class _Test(FlowModel):
    op: Operator = "="
    value: JsonValue = None

    @model_validator(mode="after")
    def _needs_value(self) -> "_Test":
        if OPERATORS[self.op] and "value" not in self.model_fields_set:
            raise PydanticCustomError("value", "operator {op} needs a value", {"op": repr(self.op)})
        if self.op in ("in", "not in") and not isinstance(self.value, list):
            raise PydanticCustomError("value", "operator {op} needs a list of values", {"op": repr(self.op)})
        return self


class PropertyTest(_Test):
    """A test on a profile property (or, inside a filter, on the event's own property)."""

    property: Name


class TriggerTest(_Test):
    """A test on a property of the event that started the journey."""

    trigger: Name


class EventTest(FlowModel):
    """History: did ``event`` happen (``count`` times) since ``since``, where ``where`` holds."""

    event: Name
    since: Since = "flow_start"
    where: "Filter | None" = None
    count: Count = Field(default_factory=lambda: {">=": 1})


# The groups of a condition and of a filter have the same shape but hold different trees (a filter's
# leaves are property tests only), so each tree has its own three group models and schema entries.
class AllOf(FlowModel):
    all: "list[Condition]" = Field(min_length=1)


class AnyOf(FlowModel):
    any: "list[Condition]" = Field(min_length=1)


class NotOf(FlowModel):
    not_: "Condition" = Field(alias="not")


class FilterAll(FlowModel):
    all: "list[Filter]" = Field(min_length=1)


class FilterAny(FlowModel):
    any: "list[Filter]" = Field(min_length=1)


class FilterNot(FlowModel):
    not_: "Filter" = Field(alias="not")


_GROUP_TAGS = (("all", "all-of"), ("any", "any-of"), ("not", "not-of"))
_TAG_OF_MODEL = {AllOf: "all-of", AnyOf: "any-of", NotOf: "not-of", FilterAll: "all-of", FilterAny: "any-of",
                 FilterNot: "not-of", EventTest: "event-test", PropertyTest: "property-test",
                 TriggerTest: "trigger-test"}


def _tagger(leaves: tuple[tuple[str, str], ...]):
    def tag(value: Any) -> str | None:
        if isinstance(value, dict):
            for key, name in _GROUP_TAGS + leaves:
                if key in value:
                    return name
            return None
        return _TAG_OF_MODEL.get(type(value))
    return tag


Condition = Annotated[Union[
    Annotated[AllOf, Tag("all-of")], Annotated[AnyOf, Tag("any-of")], Annotated[NotOf, Tag("not-of")],
    Annotated[EventTest, Tag("event-test")], Annotated[PropertyTest, Tag("property-test")],
    Annotated[TriggerTest, Tag("trigger-test")],
], Discriminator(_tagger((("event", "event-test"), ("property", "property-test"), ("trigger", "trigger-test"))),
                 custom_error_type="condition",
                 custom_error_message="not a condition: expected an object with one of the keys "
                                      "all, any, not, property, trigger, event"), BeforeValidator(_shallow)]
Filter = Annotated[Union[
    Annotated[FilterAll, Tag("all-of")], Annotated[FilterAny, Tag("any-of")], Annotated[FilterNot, Tag("not-of")],
    Annotated[PropertyTest, Tag("property-test")],
], Discriminator(_tagger((("property", "property-test"),)), custom_error_type="filter",
                 custom_error_message="not a filter: expected an object with one of the keys all, any, not, property"),
    BeforeValidator(_shallow)]

for _model in (EventTest, AllOf, AnyOf, NotOf, FilterAll, FilterAny, FilterNot):
    _model.model_rebuild()
CONDITION = TypeAdapter(Condition)
FILTER = TypeAdapter(Filter)


def check(cond: Any, path: str, *, filter_only: bool = False) -> list[tuple[str, str]]:
    """Every problem in a condition, as (JSON path, message) pairs; empty when it is sound."""
    try:
        (FILTER if filter_only else CONDITION).validate_python(cond)
    except ValidationError as exc:
        return problems(exc, path)
    return []


def parse(cond: Any, *, filter_only: bool = False):
    """The typed condition (raises pydantic's ValidationError when it is not one)."""
    return (FILTER if filter_only else CONDITION).validate_python(cond)


def leaf_tests(cond: Any) -> Iterator[dict]:
    """Every single test in a condition (inside all / any / not), for whoever needs to know what it reads."""
    if not isinstance(cond, dict):
        return
    for key in ("all", "any"):
        if isinstance(cond.get(key), list):
            for item in cond[key]:
                yield from leaf_tests(item)
            return
    if "not" in cond:
        yield from leaf_tests(cond["not"])
    else:
        yield cond


def event_tests(cond: Any) -> Iterator[dict]:
    """Every history test in a condition, for lint and for reading only the events needed."""
    return (test for test in leaf_tests(cond) if "event" in test)


def count_test(cond: dict) -> tuple[str, int]:
    """The (operator, number) of an event test, with the default filled in."""
    (op, n), = (cond.get("count") or {">=": 1}).items()
    return op, n


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value)
    if isinstance(value, str):
        return value
    return str(value).lower() if isinstance(value, bool) else str(value)


def describe(cond: Any) -> str:
    """A short phrase for a card: 'purchase since entry', 'loyalty_tier = gold'."""
    if not isinstance(cond, dict):
        return "?"
    for key, word in (("all", " and "), ("any", " or ")):
        if isinstance(cond.get(key), list):
            inner = [describe(c) for c in cond[key]]
            return word.join(f"({t})" if (" and " in t or " or " in t) else t for t in inner) or "?"
    if "not" in cond:
        return f"not {describe(cond['not'])}"
    if "event" in cond:
        since = cond.get("since", "flow_start")
        when = {"flow_start": "since entry", "ever": "ever"}.get(since) or f"in last {durations.humanize(since)}"
        count = cond.get("count") or {">=": 1}
        op, n = next(iter(count.items())) if isinstance(count, dict) and len(count) == 1 else (">=", 1)
        times = "" if (op, n) == (">=", 1) else f" {op} {n}x"
        where = f" where {describe(cond['where'])}" if isinstance(cond.get("where"), dict) else ""
        return f"{cond['event']}{where}{times} {when}"
    key = "property" if "property" in cond else "trigger" if "trigger" in cond else None
    if key is None:
        return "?"
    name = cond[key] if key == "property" else f"trigger.{cond[key]}"
    op = cond.get("op", "=")
    if not OPERATORS.get(op, True):
        return f"{name} {op}"
    return f"{name} {op} {_value_text(cond.get('value'))}"
