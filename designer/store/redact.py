"""What else may hold an erased customer's values, and taking them out.

Besides the customer's row, events and kept profile values (deleted by
:func:`designer.store.privacy.forget`), a customer's values can be quoted in
text the store keeps about its own work:

* ``imports.rejects``: the first rows each import refused, whose reasons quote
  the refused value (``customer id {"email": ...} is not text``, a timezone,
  a time);
* ``runs.figures``: a stored run's result (aggregates, but its warnings and
  per-step texts are free text).

Each of the customer's values (the id as given and as stored, the email, the
first name, and property values that look like contact data: six characters
or more with a digit or an ``@``, such as a phone number) is replaced by
:data:`MARK` wherever it appears as a whole word in those texts. Short values
(under :data:`MIN_LENGTH` characters) and plain words among the properties
(``gold``) are left alone: they identify nobody and would blot out a run's
step names. Rows are rewritten only where something changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from sqlalchemy import Connection, select

from designer.store.schema import imports, runs

#: What an erased value is replaced by.
MARK = "[erased]"
#: Values shorter than this are not looked for.
MIN_LENGTH = 2


def identifying_values(given: str, customer: dict | None) -> list[str]:
    """The texts that identify the customer: the id given, and the row's id, email, name and properties."""
    values = {given, given.strip()}
    if customer is not None:
        values.update(str(customer[c]) for c in ("external_id", "email", "first_name") if customer.get(c))
        if customer.get("email"):
            values.add(str(customer["email"]).lower())
        try:
            properties = json.loads(customer.get("properties") or "{}")
        except ValueError:
            properties = {}
        values.update(v for v in _leaves(properties) if _contact_like(v))
    # Longest first, so an email is replaced whole before a shorter value inside it.
    return sorted((v for v in values if len(v) >= MIN_LENGTH), key=lambda v: (-len(v), v))


def _contact_like(value: str) -> bool:
    return len(value) >= 6 and ("@" in value or any(ch.isdigit() for ch in value))


def _leaves(value) -> Iterable[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def _redacted(text: str, values: list[str]) -> str:
    for value in values:
        if value in text:
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", MARK, text)
    return text


def _walk(value, values: list[str]):
    """``value`` (parsed JSON) with every string, keys included, redacted."""
    if isinstance(value, str):
        return _redacted(value, values)
    if isinstance(value, list):
        return [_walk(item, values) for item in value]
    if isinstance(value, dict):
        return {_redacted(k, values): _walk(v, values) for k, v in value.items()}
    return value


def _mentions(text: str, values: list[str]) -> bool:
    # JSON text escapes non-ASCII characters: compare with the escaped form too.
    return any(v in text or json.dumps(v)[1:-1] in text for v in values)


def redact_texts(conn: Connection, values: list[str]) -> int:
    """Take ``values`` out of the kept rejects and the stored runs, in the caller's transaction.

    Returns how many rows were rewritten.
    """
    if not values:
        return 0
    changed = 0
    for table, column in ((imports, imports.c.rejects), (runs, runs.c.figures)):
        for row_id, text in conn.execute(select(table.c.id, column)).all():
            if not text or not _mentions(text, values):
                continue
            try:
                new = json.dumps(_walk(json.loads(text), values))
            except ValueError:  # not JSON (written by hand): plain text replacement
                new = _redacted(text, values)
            if new != text:
                conn.execute(table.update().where(table.c.id == row_id).values({column.name: new}))
                changed += 1
    return changed
