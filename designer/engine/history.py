"""One customer as the interpreter sees them: the events the flow reads, and the profile.

A :class:`History` holds the customer's events of the names the flow looks at,
in the store's order (time, then id), as parallel lists. Property JSON is
parsed only when a rule reads it, because most events are only counted.
Positions in the list are the engine's notion of "what has happened": a
journey's *cursor* is how many events it may see (``events[:cursor]``), which
is how "no peeking past the virtual clock" is enforced.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right
from json.scanner import make_scanner

#: The JSON decoder's scanner, called without ``json.loads``'s wrappers (three Python calls
#: per event, most of the parsing cost for the short objects events carry).
_scan = make_scanner(json.JSONDecoder())

#: Customer columns that join the profile (besides the properties JSON).
PROFILE_COLUMNS = ("email", "first_name", "timezone", "consent")


class History:
    __slots__ = ("times", "names", "raw", "_props", "by_name")

    def __init__(self, rows: list[tuple], offset: int = 0) -> None:
        """``rows``: tuples of ``offset`` leading columns then ``name, time, properties_json``
        (the reader passes its SQL rows as they are), in store order (time, then id)."""
        self._props: dict[int, dict] = {}
        if not rows:
            self.names, self.times, self.raw, self.by_name = (), (), (), {}
            return
        # Columns by one transpose in C (tuples: bisect and indexing work on them as on lists).
        columns = zip(*rows)
        for _ in range(offset):
            next(columns)
        names, self.times, self.raw = columns
        self.names: tuple[str, ...] = names
        first = names[0]
        if names.count(first) == len(names):  # one name only (often): no loop
            self.by_name = {first: list(range(len(names)))}
            return
        by_name: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            positions = by_name.get(name)
            if positions is None:
                by_name[name] = [i]
            else:
                positions.append(i)
        self.by_name = by_name

    def __len__(self) -> int:
        return len(self.times)

    def props(self, i: int) -> dict:
        """The properties of event ``i`` (parsed once, on first use)."""
        cached = self._props.get(i)
        if cached is None:
            raw = self.raw[i]
            if isinstance(raw, dict):
                cached = raw
            else:
                cached = parse_object(raw)
            self._props[i] = cached
        return cached

    def indices(self, name: str) -> list[int]:
        return self.by_name.get(name, [])

    def cursor_at(self, now: int) -> int:
        """How many events have happened by ``now`` (inclusive)."""
        return bisect_right(self.times, now)

    def first_at_or_after(self, when: int) -> int:
        return bisect_left(self.times, when)

    def between(self, name: str, lo: int, hi: int) -> list[int]:
        """Indices of ``name`` events with ``lo <= index < hi``."""
        lst = self.by_name.get(name)
        if not lst:
            return []
        return lst[bisect_left(lst, lo):bisect_left(lst, hi)]

    def count_between(self, name: str, lo: int, hi: int) -> int:
        lst = self.by_name.get(name)
        if not lst or hi <= lo:
            return 0
        return bisect_left(lst, hi) - bisect_left(lst, lo)


def parse_object(raw: str | None) -> dict:
    """An event's properties JSON as a dict; anything else (empty, broken, not an object) is {}.

    Text that is exactly one JSON object with nothing around it (what the store
    writes) goes straight to the scanner; anything else takes ``json.loads``, so
    both paths give what ``json.loads`` gives.
    """
    if not raw:
        return {}
    if raw[0] == "{" and raw[-1] == "}":
        try:
            value, end = _scan(raw, 0)
        except (StopIteration, ValueError):
            value, end = None, -1
        if end == len(raw) and isinstance(value, dict):
            return value
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def base_profile(external_id: str, columns: tuple) -> dict:
    """A customer's profile from the stored columns (values in :data:`PROFILE_COLUMNS` order)
    and ``external_id``; the ``properties`` JSON is merged later, on first need
    (:func:`merge_properties`), because most runs never read it."""
    email, first_name, timezone, consent = columns  # PROFILE_COLUMNS, written out: once per customer
    profile: dict = {}
    if email is not None:
        profile["email"] = email
    if first_name is not None:
        profile["first_name"] = first_name
    if timezone is not None:
        profile["timezone"] = timezone
    if consent is not None:
        profile["consent"] = consent
    profile["external_id"] = external_id
    return profile


def merge_properties(profile: dict, properties: str | None) -> None:
    """Add the ``properties`` JSON to a profile; stored columns already there win over a
    property of the same name, because they are what the importers and consent rules write."""
    if not properties or properties == "{}":
        return
    try:
        props = json.loads(properties)
    except ValueError:
        return
    if isinstance(props, dict):
        for key, value in props.items():
            if key not in profile:
                profile[key] = value
