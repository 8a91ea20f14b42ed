"""Events and profiles posted to the runtime, checked and written as an import writes them.

The same canonical JSON and dedupe key as the importer (designer.store.codec),
the same writer (designer.store.writer): an event posted twice is stored once,
and the engine reads posted events exactly as it reads imported ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from designer.store.codec import dedupe_key, dumps_properties
from designer.store.erased import ERASED
from designer.store.keys import store_key
from designer.store.schema import CANONICAL_EVENTS, customers
from designer.store.timeparse import TimeError, TimeParser, is_zone
from designer.store.writer import StoreWriter


@dataclass
class Checked:
    customer: str
    name: str
    time: int
    properties: str


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)
    #: external id -> earliest new event time (the customers to look at).
    touched: dict[str, int] = field(default_factory=dict)
    #: external id -> event name -> earliest new time of that event.
    names: dict[str, dict[str, int]] = field(default_factory=dict)


_parser = TimeParser("UTC")


def _name(raw: str) -> str:
    name = raw.strip()
    return name.lower() if name.lower() in CANONICAL_EVENTS else name


def check_event(raw: Any) -> Checked | str:
    """The event ready to store, or why not (naming the field)."""
    if not isinstance(raw, dict):
        return "an event must be a JSON object"
    customer, name, when = raw.get("customer"), raw.get("event"), raw.get("time")
    if not isinstance(customer, (str, int)) or isinstance(customer, bool) or str(customer).strip() == "":
        return "customer: a customer id (text) is required"
    if not isinstance(name, str) or not name.strip():
        return "event: an event name is required"
    if isinstance(when, bool) or when is None:
        return "time: an ISO 8601 time or epoch milliseconds is required"
    try:
        if isinstance(when, (int, float)):
            ms = int(when)  # epoch milliseconds, as the API says
        elif isinstance(when, str):
            ms = _parser(when)
        else:
            return "time: an ISO 8601 time or epoch milliseconds is required"
    except (TimeError, ValueError) as exc:
        return f"time: {exc}"
    props = raw.get("properties", {})
    if props is None:
        props = {}
    if not isinstance(props, dict):
        return "properties: must be a JSON object"
    return Checked(str(customer).strip(), _name(name), int(ms), dumps_properties(props))


def write_events(conn: Connection, raws: list[Any], latest: int | None = None) -> IngestResult:
    """Check and store ``raws`` in the caller's transaction; ``latest``: later times are refused."""
    out = IngestResult()
    good: list[Checked] = []
    indexed: list[tuple[int, Checked]] = []
    for index, raw in enumerate(raws):
        checked = check_event(raw)
        if isinstance(checked, Checked) and latest is not None and checked.time > latest:
            checked = "time: more than 5 minutes in the future"
        if isinstance(checked, str):
            out.rejected.append({"index": index, "reason": checked})
        else:
            indexed.append((index, checked))
    if not indexed:
        return out
    writer = StoreWriter(conn, None)
    erased = _erased_among(conn, writer, [c.customer for _, c in indexed])
    for index, c in indexed:
        if c.customer in erased:
            out.rejected.append({"index": index, "reason": f"customer: {ERASED_REASON}"})
        else:
            good.append(c)
    out.rejected.sort(key=lambda r: r["index"])
    if not good:
        return out
    ids = writer.customer_ids([c.customer for c in good])
    rows, seen = [], set()
    for c in good:
        row = (ids[c.customer], c.name, c.time, c.properties, dedupe_key(c.name, c.properties))
        if (row[0], row[2], row[4]) in seen:
            continue  # the same event twice in one batch
        seen.add((row[0], row[2], row[4]))
        rows.append(row)
    inserted = writer.insert_events(rows)
    out.accepted = inserted
    out.duplicates = len(good) - inserted
    for c in good:
        t = out.touched.get(c.customer)
        out.touched[c.customer] = c.time if t is None else min(t, c.time)
        by_name = out.names.setdefault(c.customer, {})
        t = by_name.get(c.name)
        by_name[c.name] = c.time if t is None else min(t, c.time)
    return out


#: Why an erased customer's event or profile is refused (as the importer refuses them: designer.store.erased).
ERASED_REASON = f"{ERASED}: this id was erased with forget; a new customer needs a new id"


def _erased_among(conn: Connection, writer: StoreWriter, external_ids: list[str]) -> set[str]:
    """The ids that belong to erased customers; the store's key is read only if it has erasures."""
    writer.revalidate()
    if not writer.has_erasures():
        return set()
    return writer.erased_among(external_ids, store_key(conn))


PROFILE_FIELDS = ("email", "first_name", "timezone", "consent", "properties")


def upsert_customer(conn: Connection, external_id: str, body: Any) -> int:
    """Create or update a profile; raises ValueError naming the field on bad input."""
    if not isinstance(body, dict):
        raise ValueError("body: a JSON object is required")
    values: dict[str, Any] = {}
    for key in ("email", "first_name"):
        if key in body:
            if body[key] is not None and not isinstance(body[key], str):
                raise ValueError(f"{key}: must be text")
            values[key] = body[key]
    if "timezone" in body:
        tz = body["timezone"]
        if tz is not None and (not isinstance(tz, str) or not is_zone(tz)):
            raise ValueError("timezone: not an IANA zone name")
        values["timezone"] = tz
    if "consent" in body:
        c = body["consent"]
        if c is not None and not isinstance(c, bool):
            raise ValueError("consent: must be true, false or null")
        values["consent"] = None if c is None else int(c)
    if "properties" in body:
        if not isinstance(body["properties"], dict):
            raise ValueError("properties: must be a JSON object")
        values["properties"] = json.dumps(body["properties"], sort_keys=True)
    found = conn.execute(select(customers.c.id).where(customers.c.external_id == external_id)).scalar()
    if found is None and _erased_among(conn, StoreWriter(conn, None), [external_id]):
        raise ValueError(f"id: {ERASED_REASON}")
    if found is None:
        values.setdefault("properties", "{}")
        return int(conn.execute(customers.insert().values(external_id=external_id, **values)).inserted_primary_key[0])
    if values:
        conn.execute(customers.update().where(customers.c.id == found).values(**values))
    return int(found)
