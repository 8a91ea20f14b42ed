"""Flow unit tests (``FLOW.tests.json``): scripted customers, their events, and what must happen.

A test file sits beside its flow (``flows/abandoned_cart.tests.json`` for
``flows/abandoned_cart.json``) and is told apart from a flow by its
``format``. Parsing is strict and typed, so a mistake is named by its JSON
path (``cases[2].events[0].at``) before anything runs.

Expectations, each optional, all checked against one customer's journeys
(the case's only customer, or the one ``expect.customer`` names; ``expect``
may also be a list, one entry per customer):

* ``messages``: the exact list of messages sent, in time order, each a node
  and a moment (``at``), optionally ``subject_contains``;
* ``no_messages_from``: nodes that must send this customer nothing;
* ``visits``: the nodes the journey passes, in order (``journey`` picks which
  of the customer's journeys, first by default);
* ``ends_at``: the node the journey ends at, or ``exit_condition``;
* ``skipped``: sends skipped, each a node and a reason (``no_consent``,
  ``smart_sending``, ``template_error``).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

FORMAT = "trigger-flow-tests"
VERSION = 1
SUFFIX = ".tests.json"


class TestFileError(ValueError):
    """A test file that cannot be read: ``where`` is the file (and line or JSON path)."""

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None,
                 line: int | None = None) -> None:
        self.message, self.file, self.path, self.line = message, file, path, line
        where = ":".join(str(x) for x in (file, line) if x)
        loc = f" at {path}" if path else ""
        super().__init__(f"{where + ': ' if where else ''}{message}{loc}")


def moment(text: Any) -> int:
    """Epoch ms of an ISO 8601 moment with a zone (``2025-03-03T10:00:00Z``)."""
    if not isinstance(text, str):
        raise ValueError("expected an ISO 8601 time such as 2025-03-03T10:00:00Z")
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time such as 2025-03-03T10:00:00Z") from None
    if dt.tzinfo is None:
        raise ValueError(f"{text!r} has no zone: add Z (UTC) or an offset such as +02:00")
    return int(dt.astimezone(timezone.utc).timestamp() * 1000)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TestCustomer(_Strict):
    id: str = Field(min_length=1)
    email: str | None = None
    first_name: str | None = None
    timezone: str | None = None
    consent: bool | None = None
    properties: dict[str, Any] = Field(default_factory=dict)


class TestEvent(_Strict):
    at: int
    event: str = Field(min_length=1)
    properties: dict[str, Any] = Field(default_factory=dict)
    #: Whose event; may be left out when the case has one customer.
    customer: str | None = None

    _moment = field_validator("at", mode="before")(lambda v: moment(v))


class ExpectedMessage(_Strict):
    node: str
    at: int
    subject_contains: str | None = None

    _moment = field_validator("at", mode="before")(lambda v: moment(v))


class ExpectedSkip(_Strict):
    node: str
    reason: str


class Expectation(_Strict):
    customer: str | None = None
    journey: int = Field(default=1, ge=1, description="which of the customer's journeys (1 = first)")
    messages: list[ExpectedMessage] | None = None
    no_messages_from: list[str] | None = None
    visits: list[str] | None = None
    ends_at: str | None = None
    skipped: list[ExpectedSkip] | None = None

    def nodes(self) -> list[str]:
        """Every node id the expectation names (checked against the flow)."""
        out = [m.node for m in self.messages or []] + list(self.no_messages_from or [])
        out += list(self.visits or []) + [s.node for s in self.skipped or []]
        if self.ends_at and self.ends_at != "exit_condition":
            out.append(self.ends_at)
        return out


class TestCase(_Strict):
    name: str = Field(min_length=1)
    customer: TestCustomer | None = None
    customers: list[TestCustomer] | None = None
    events: list[TestEvent]
    #: The backtest window: from ``from`` (default: the first event) to ``until``.
    start: int | None = Field(default=None, alias="from")
    until: int
    expect: Expectation | list[Expectation]

    _moments = field_validator("start", "until", mode="before")(lambda v: v if v is None else moment(v))

    @model_validator(mode="after")
    def _consistent(self) -> "TestCase":
        people = self.people()
        if not people:
            raise ValueError("a case needs a 'customer' (or a list of 'customers')")
        ids = [c.id for c in people]
        if len(set(ids)) != len(ids):
            raise ValueError("two customers of the case have the same id")
        for i, e in enumerate(self.events):
            if e.customer is None and len(people) > 1:
                raise ValueError(f"events[{i}] needs 'customer': the case has several")
            if e.customer is not None and e.customer not in ids:
                raise ValueError(f"events[{i}].customer {e.customer!r} is not a customer of the case")
        for x in self.expectations():
            if x.customer is not None and x.customer not in ids:
                raise ValueError(f"expect names customer {x.customer!r}, who is not in the case")
        first = self.window_start()
        if self.until <= first:
            raise ValueError("'until' must be after the case's first event (or its 'from')")
        return self

    def people(self) -> list[TestCustomer]:
        return ([self.customer] if self.customer else []) + list(self.customers or [])

    def expectations(self) -> list[Expectation]:
        return list(self.expect) if isinstance(self.expect, list) else [self.expect]

    def window_start(self) -> int:
        if self.start is not None:
            return self.start
        return min((e.at for e in self.events), default=self.until)


class TestFile(_Strict):
    format: str
    version: int
    #: The flow file the cases test; by default the file of the same name without ``.tests``.
    flow: str | None = None
    cases: list[TestCase]

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v != FORMAT:
            raise ValueError(f"format must be {FORMAT!r}")
        return v

    @field_validator("version")
    @classmethod
    def _version(cls, v: int) -> int:
        if v != VERSION:
            raise ValueError(f"version {v} is not known (this program reads version {VERSION})")
        return v


def json_path(loc: tuple) -> str:
    """Pydantic's error location as a JSON path: ``cases[2].events[0].at``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or "[" in str(part):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def parse(data: Any, *, file: str | None = None) -> TestFile:
    try:
        return TestFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        raise TestFileError(message, file=file, path=json_path(first["loc"]) or None) from None


def load(path: str | os.PathLike) -> TestFile:
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TestFileError(f"cannot read the file: {getattr(exc, 'strerror', None) or exc}", file=name) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TestFileError(f"not valid JSON: {exc.msg}", file=name, line=exc.lineno) from None
    return parse(data, file=name)


def flow_path_for(tests_path: str | os.PathLike, tests: TestFile) -> Path:
    """The flow file a test file tests: its ``flow`` (relative to the test file), else the twin name."""
    p = Path(tests_path)
    if tests.flow:
        return (p.parent / tests.flow).resolve() if not Path(tests.flow).is_absolute() else Path(tests.flow)
    name = p.name
    base = name[: -len(SUFFIX)] if name.endswith(SUFFIX) else p.stem
    return p.with_name(base + ".json")


def tests_path_for(flow_path: str | os.PathLike) -> Path:
    p = Path(flow_path)
    return p.with_name(p.name.removesuffix(".json") + SUFFIX)
