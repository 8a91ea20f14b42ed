"""Reading JSON Lines: one object a line, and the record rules Parquet rows share.

:class:`JsonLinesReading` is part of :class:`~designer.store.sources.EventSource` (a mixin:
it shares the source's state). :meth:`JsonLinesReading._json_record` also reads each
Parquet row (:mod:`designer.store.parquetsource`), and :mod:`designer.store.arrowrecords`
follows the same rules column-wise.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring

from designer.store.batch import MAX_LINE, NUL_BYTE, Batch
from designer.store.codec import dedupe_keys, json_scalar
from designer.store.columns import Memo
from designer.store.mapping import MappingError
from designer.store.opening import DAMAGED_ERRORS
from designer.store.timeparse import TimeError


class JsonLinesReading:
    """Named fields of JSON objects into batches (see the module docstring)."""

    def _open_jsonl(self) -> None:
        m = self.mapping
        self._name_memo = Memo(self._event_name)
        for role in ("customer", "event", "time"):
            if isinstance(getattr(m, role), int):
                raise MappingError(f"JSON Lines fields are named; the {role} mapping cannot be an index")
        if m.properties is not None and any(isinstance(p, int) for p in m.properties):
            raise MappingError("JSON Lines fields are named; 'properties' cannot hold indexes")
        as_tuple = lambda ref: ref if isinstance(ref, tuple) else (ref,)  # noqa: E731
        self._keys = {role: as_tuple(getattr(m, role)) for role in ("customer", "event", "time")}
        self._excluded = {x.lower() for x in m.exclude + self.drop}
        self._listed = None if m.properties is None else set(m.properties)
        self._pseudo = {p.lower() for p in self.pseudonymise}
        dropped_roles = [r for r, keys in self._keys.items() if any(k.lower() in {d.lower() for d in self.drop} for k in keys)]
        if dropped_roles:
            raise MappingError(f"cannot drop the {dropped_roles[0]} field (pseudonymise it instead)")

    @staticmethod
    def _pick(obj: dict, keys: tuple[str, ...]):
        for k in keys:
            if k in obj:
                return k, obj[k]
        return None, None

    def _json_record(self, obj: dict) -> tuple | str:
        """``(customer, name, time_ms, properties_json)`` for one JSON object, or a reject reason."""
        ck, customer = self._pick(obj, self._keys["customer"])
        ek, event = self._pick(obj, self._keys["event"])
        tk, when = self._pick(obj, self._keys["time"])
        if isinstance(customer, bool) or not isinstance(customer, (str, int, float)) or customer == "":
            return "empty customer id"
        if isinstance(customer, float):
            if not customer.is_integer():
                return f"customer id {customer!r} is not text or an integer"
            customer = int(customer)
        customer = str(customer).strip()
        if not customer:
            return "empty customer id"
        if ck.lower() in self._pseudo:
            customer = self.pseudonym(customer)
        if not isinstance(event, str) or not event.strip():
            return "empty event name"
        name = self._name_memo[event]
        try:
            if isinstance(when, bool) or when is None:
                raise TimeError("empty time")
            if isinstance(when, (int, float)):
                ms = self.times.number(when)
            elif isinstance(when, str):
                ms = self.times(when)
            else:
                raise TimeError(f"unparseable time {when!r}")
        except TimeError as exc:
            return str(exc)
        used = {ck, ek, tk}
        rename = self.mapping.rename
        props = []
        for key, value in obj.items():
            if key in used or key.lower() in self._excluded:
                continue
            if self._listed is not None and key not in self._listed:
                continue
            if key.lower() in self._pseudo:
                value = self.pseudonym.value(value)
            text = json_scalar(value)
            if text is not None:
                props.append((rename.get(key, key), text))
        props.sort()
        body = "{" + ",".join(encode_basestring(k) + ":" + v for k, v in props) + "}"
        for text in (customer, name, body):
            text.encode("utf-8")  # lone surrogates (from \ud800 escapes) cannot be stored: a bad encoding
        return customer, name, ms, body

    def _jsonl_batch(self, limit: int) -> Batch:
        batch = Batch()
        customers, names, times, properties = batch.customers, batch.names, batch.times, batch.properties
        lines = batch.lines
        stream = self.stream
        line_no = self._line
        read = 0
        while read < limit:
            try:
                line = stream.readline(MAX_LINE + 1)
            except DAMAGED_ERRORS as exc:
                self._line = line_no
                raise self._damaged(exc) from None
            except EOFError as exc:
                read += 1
                batch.rejects.append((line_no + 1, f"file is cut off: {exc}"))
                batch.done = True
                break
            if not line:
                batch.done = True
                break
            line_no += 1
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                while True:  # skip the rest of the over-long line
                    more = stream.readline(MAX_LINE)
                    if not more or more.endswith(b"\n"):
                        break
                read += 1
                batch.rejects.append((line_no, f"line too long: over {MAX_LINE} bytes"))
                continue
            stripped = line.strip()
            if not stripped:
                continue
            read += 1
            try:
                text = stripped.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError:
                batch.rejects.append((line_no, "bad encoding: not valid UTF-8"))
                continue
            try:
                obj = json.loads(text)
            except (ValueError, RecursionError) as exc:
                # ValueError beyond JSONDecodeError: a number of 4,300+ digits (Python's int limit).
                reason = (exc.msg if isinstance(exc, json.JSONDecodeError)
                          else "nested too deeply" if isinstance(exc, RecursionError) else "a number too long")
                batch.rejects.append((line_no, f"invalid JSON: {reason}"))
                continue
            if not isinstance(obj, dict):
                batch.rejects.append((line_no, "not a JSON object"))
                continue
            if "\x00" in text or "\\u0000" in text:
                batch.rejects.append((line_no, NUL_BYTE))
                continue
            try:
                result = self._json_record(obj)
            except (ValueError, TypeError, OverflowError) as exc:  # e.g. lone surrogates from \ud800 escapes
                result = f"bad encoding: {exc}"
            if isinstance(result, str):
                batch.rejects.append((line_no, result))
            else:
                customer, name, ms, body = result
                customers.append(customer)
                names.append(name)
                times.append(ms)
                properties.append(body)
                lines.append(line_no)
        self._line = line_no
        batch.read = read
        batch.keys = dedupe_keys(names, properties)
        return batch
