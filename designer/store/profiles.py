"""Importing customer profiles (CSV with a header): id, email, first name, timezone, consent, more.

Columns are recognised by name, case and spacing ignored:

==============  ==================================================================
customer id     ``id``, ``customer_id``, ``external_id``, ``user_id``, ``customer``, ``visitorid``
email           ``email``, ``email_address``
first name      ``first_name``, ``firstname``, ``first name``, ``given_name``
timezone        ``timezone``, ``time_zone``, ``tz`` (an IANA name)
consent         ``consent``, ``email_consent``, ``marketing_consent``, ``accepts_marketing``, ``opt_in``
==============  ==================================================================

Every other column becomes a property (numbers stay numbers, long ids stay
exact text, as for events).

Consent is stored as given, never invented: ``yes``/``y``/``true``/``1``/
``subscribed``/``opted_in``/``granted`` -> 1, ``no``/``n``/``false``/``0``/
``unsubscribed``/``opted_out``/``denied``/``revoked`` -> 0; an empty cell
leaves it unknown (``NULL``); anything else rejects the row, so a value the
program does not understand is never read as a yes.

A profile row updates the customer with the same id, or creates it. An empty
cell leaves the stored value as it is (a partial file never erases); other
properties are merged into the stored ones.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, bindparam, select

from designer.store.codec import dumps_properties, json_value
from designer.store.db import StoreError, write_lock, writable_store
from designer.store.keys import store_key
from designer.store.erased import ERASED, erased_hash, erased_set
from designer.store.bookkeeping import (
    ImportFailed,
    ImportSummary,
    Progress,
    mark,
    now_ms,
    pid_alive,
    prior_imports,
    summary_from_row,
)
from designer.store.schema import customers, imports, profile_changes
from designer.store.opening import SourceError, file_digest, open_binary
from designer.store.pseudonyms import Pseudonymiser
from designer.store.timeparse import is_zone

_ROLES = {
    "external_id": ("id", "customer_id", "external_id", "user_id", "customer", "visitorid", "visitor_id"),
    "email": ("email", "email_address", "e_mail"),
    "first_name": ("first_name", "firstname", "given_name"),
    "timezone": ("timezone", "time_zone", "tz"),
    "consent": ("consent", "email_consent", "marketing_consent", "accepts_marketing", "opt_in", "optin"),
}
_YES = {"yes", "y", "true", "t", "1", "subscribed", "opted_in", "opt_in", "opted-in", "granted"}
_NO = {"no", "n", "false", "f", "0", "unsubscribed", "opted_out", "opt_out", "opted-out", "denied", "revoked"}
_FIELDS = ("email", "first_name", "timezone", "consent")
#: What a profile import may change, and its rollback gives back.
UNDONE = (*_FIELDS, "properties")
_CHUNK = 5000


def consent_value(text: str) -> int | None:
    """1, 0 or None (empty); raises ValueError for a value that is neither yes nor no."""
    value = text.strip().lower()
    if not value:
        return None
    if value in _YES:
        return 1
    if value in _NO:
        return 0
    raise ValueError(f"unrecognised consent value {text.strip()!r} (use yes/no, true/false or 1/0)")


def _norm(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def import_customers(
    store: str | os.PathLike | Engine,
    path: str | os.PathLike,
    *,
    pseudonymise: tuple[str, ...] = (),
    drop: tuple[str, ...] = (),
    delimiter: str | None = None,
    batch_size: int = 5_000,
    force: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> ImportSummary:
    """Import a customer-profile CSV; counts as for events (duplicates = rows that changed nothing)."""
    began = time.perf_counter()
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"no such file: {path}")
    try:
        engine = writable_store(store, "an import")
        sha, size = file_digest(path)
    except (StoreError, SourceError) as exc:
        raise ImportFailed(str(exc)) from exc
    fingerprint = json.dumps(
        {"kind": "customers", "pseudonymise": sorted(p.lower() for p in pseudonymise), "drop": sorted(d.lower() for d in drop)},
        sort_keys=True,
    )
    with engine.connect() as conn:
        try:
            salt = store_key(conn)
        except StoreError as exc:  # the key is lost, or the key file given is not this store's
            raise ImportFailed(str(exc)) from None
        prior = prior_imports(conn, sha, fingerprint, "customers")
    done = next((r for r in prior if r["status"] == "done"), None)
    if done is not None and not force:
        summary = summary_from_row(done, "already imported", str(path))
        summary.duplicates, summary.loaded = done["rows_loaded"] + done["rows_duplicate"], 0
        return summary
    unfinished = next((r for r in prior if r["status"] in ("running", "interrupted")), None)
    if unfinished is not None and pid_alive(unfinished["pid"], unfinished["host"]):
        raise ImportFailed(f"this file is being imported by process {unfinished['pid']}")

    stream, raw = open_binary(path)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        head = text.read(64 * 1024)
        text.seek(0)
    except (OSError, EOFError, ValueError) as exc:
        raw.close()
        raise ImportFailed(f"cannot read {path}: {exc}") from exc
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raw.close()
        raise ImportFailed(f"{path} is empty; a customer file needs a header row") from None
    except csv.Error as exc:
        raw.close()
        raise ImportFailed(f"cannot read the header of {path}: {exc}") from exc
    names = [_norm(h) for h in header]
    roles: dict[str, int] = {}
    for role, aliases in _ROLES.items():
        for alias in aliases:
            if alias in names:
                roles[role] = names.index(alias)
                break
    if "external_id" not in roles:
        raw.close()
        raise ImportFailed(f"no customer id column in the header of {path} (expected one of: {', '.join(_ROLES['external_id'])})")
    dropped = {_norm(d) for d in drop}
    hashed = {_norm(p) for p in pseudonymise}
    for name in dropped | hashed:
        if name not in names:
            raw.close()
            raise ImportFailed(f"no column {name!r} to pseudonymise or drop (columns: {', '.join(header[:20])})")
    if names[roles["external_id"]] in dropped:
        raw.close()
        raise ImportFailed("cannot drop the customer id column (pseudonymise it instead)")
    role_of = {i: r for r, i in roles.items() if names[i] not in dropped}
    prop_columns = [(i, header[i].strip()) for i in range(len(header)) if i not in roles.values() and names[i] not in dropped]
    pseudonym = Pseudonymiser(salt)
    hash_idx = [i for i, n in enumerate(names) if n in hashed]

    if unfinished is not None:
        summary = summary_from_row(unfinished, "running", str(path))
        import_id = summary.import_id
    else:
        with engine.begin() as conn:
            import_id = conn.execute(
                imports.insert().values(
                    kind="customers", file=str(path), sha256=sha, size=size, mapping=fingerprint,
                    mapping_hash=fingerprint, started=now_ms(), status="running", pid=os.getpid(),
                    host=socket.gethostname(), checkpoint=0, rejects="[]",
                )
            ).inserted_primary_key[0]
        summary = ImportSummary(import_id=import_id, file=str(path), sha256=sha, status="running")
    skip = unfinished["checkpoint"] if unfinished is not None else 0
    status = "interrupted"
    prev = reader.line_num
    consumed = 0
    try:
        with engine.connect() as conn:
            finished = False
            while not finished:
                records: dict[str, dict] = {}
                lines_of: dict[str, int] = {}  # external id -> the line that brought it into the batch
                rejects: list[tuple[int, str]] = []
                read = 0
                while read < batch_size:
                    try:
                        row = next(reader)
                    except StopIteration:
                        finished = True
                        break
                    except (csv.Error, EOFError) as exc:
                        line, prev = prev + 1, reader.line_num
                        consumed += 1
                        if consumed > skip:
                            read += 1
                            rejects.append((line, f"bad CSV: {exc}"))
                        if isinstance(exc, EOFError):
                            finished = True
                            break
                        continue
                    line, prev = prev + 1, reader.line_num
                    if not row or (len(row) == 1 and not row[0].strip()):
                        continue
                    consumed += 1
                    if consumed <= skip:
                        continue  # stored by the run that was interrupted
                    read += 1
                    known = len(records)
                    reason = _profile(row, len(header), role_of, prop_columns, hash_idx, pseudonym, records)
                    if reason:
                        rejects.append((line, reason))
                    elif len(records) > known:
                        lines_of[next(reversed(records))] = line
                with conn.begin():
                    write_lock(conn)  # an erasure commits wholly before this batch or after it
                    for refused in _erased_profiles(conn, records, salt):
                        rejects.append((lines_of[refused], ERASED))
                        del records[refused]
                    rejects.sort()
                    lines_of.clear()
                    loaded = _store_profiles(conn, records, import_id)
                    summary.read += read
                    # Rows for an id that appeared twice in the batch count as duplicates too.
                    summary.loaded += loaded
                    summary.duplicates += read - len(rejects) - loaded
                    values = summary.add_rejects(rejects)
                    values.update(
                        rows_read=summary.read, rows_loaded=summary.loaded, rows_rejected=summary.rejected,
                        rows_duplicate=summary.duplicates, checkpoint=summary.read,
                    )
                    if finished:
                        values.update(status="done", finished=now_ms())
                    conn.execute(imports.update().where(imports.c.id == import_id).values(**values))
                if progress is not None:
                    progress(Progress(raw.tell(), size, summary.read, summary.loaded, summary.rejected,
                                      summary.duplicates, time.perf_counter() - began))
        status = "done"
    except BaseException:
        mark(engine, import_id, "interrupted")
        raise
    finally:
        raw.close()
    summary.status = status
    summary.seconds = time.perf_counter() - began
    return summary


def _profile(row, ncols, role_of, prop_columns, hash_idx, pseudonym, records) -> str | None:
    """Parse one row into ``records`` (keyed by external id); returns a reject reason or None."""
    if len(row) != ncols:
        return f"wrong column count: expected {ncols}, found {len(row)}"
    joined = "".join(row)
    if not joined.isascii():
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError:
            return "bad encoding: not valid UTF-8"
    for i in hash_idx:
        if row[i].strip():
            row[i] = pseudonym(row[i])
    record: dict = {}
    for i, role in role_of.items():
        value = row[i].strip()
        if role == "external_id":
            if not value:
                return "empty customer id"
            record["external_id"] = value
        elif role == "consent":
            try:
                consent = consent_value(value)
            except ValueError as exc:
                return str(exc)
            if consent is not None:
                record["consent"] = consent
        elif role == "timezone":
            if value:
                if not is_zone(value):
                    return f"unknown timezone {value!r} (use an IANA name such as 'Europe/Paris')"
                record["timezone"] = value
        elif role == "email":
            if value:
                if "@" not in value and not value.startswith("p_"):
                    return f"email {value!r} has no @"
                record["email"] = value
        elif value:
            record[role] = value
    props = {}
    for i, name in prop_columns:
        if row[i]:
            props[name] = json.loads(json_value(row[i]))
    record["properties"] = props
    earlier = records.get(record["external_id"])
    if earlier is not None:  # the same id twice in a batch: later values win, properties merge
        props = {**earlier["properties"], **props}
        earlier.update(record)
        earlier["properties"] = props
    else:
        records[record["external_id"]] = record
    return None


def _erased_profiles(conn, records: dict[str, dict], key: str) -> list[str]:
    """Ids in ``records`` with no customer row that belong to erased customers: refused, not re-created."""
    erased = erased_set(conn)
    if not erased:
        return []
    ids = list(records)
    present: set[str] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        present.update(conn.execute(select(customers.c.external_id).where(customers.c.external_id.in_(chunk))).scalars())
    return [i for i in ids if i not in present and erased_hash(key, i) in erased]


def _store_profiles(conn, records: dict[str, dict], import_id: int) -> int:
    """Insert or update; returns how many customers changed (new or different).

    An update leaves the customer's ``import_id`` (who created it) alone and
    records what it changed in ``profile_changes``, so the import can be
    rolled back without losing customers or values that others brought.
    """
    ids = list(records)
    existing: dict[str, dict] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for row in conn.execute(select(customers).where(customers.c.external_id.in_(chunk))).mappings():
            existing[row["external_id"]] = dict(row)
    inserts, updates = [], []
    for external_id, record in records.items():
        old = existing.get(external_id)
        props = record["properties"]
        if old is None:
            inserts.append(
                {
                    "external_id": external_id,
                    **{f: record.get(f) for f in _FIELDS},
                    "properties": dumps_properties(props),
                    "import_id": import_id,
                }
            )
            continue
        merged = {**json.loads(old["properties"] or "{}"), **props}
        new = {f: record.get(f, old[f]) for f in _FIELDS}
        new["properties"] = dumps_properties(merged)
        if all(new[f] == old[f] for f in UNDONE):
            continue
        updates.append({"b_id": old["id"], **new, "before": {f: old[f] for f in UNDONE}})
    if inserts:
        conn.execute(customers.insert(), inserts)
    if updates:
        _record_changes(conn, updates, import_id)
        conn.execute(
            customers.update()
            .where(customers.c.id == bindparam("b_id"))
            .values(**{f: bindparam(f) for f in UNDONE}),
            [{k: v for k, v in u.items() if k != "before"} for u in updates],
        )
    return len(inserts) + len(updates)


def _record_changes(conn, updates: list[dict], import_id: int) -> None:
    """Keep each customer's values from before this import's first change, and the latest after."""
    ids = [u["b_id"] for u in updates]
    known: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        known.update(
            conn.execute(
                select(profile_changes.c.customer_id).where(
                    profile_changes.c.import_id == import_id, profile_changes.c.customer_id.in_(ids[start : start + _CHUNK])
                )
            ).scalars()
        )
    after = {u["b_id"]: json.dumps({f: u[f] for f in UNDONE}, sort_keys=True) for u in updates}
    fresh = [
        {"import_id": import_id, "customer_id": u["b_id"], "before": json.dumps(u["before"], sort_keys=True), "after": after[u["b_id"]]}
        for u in updates
        if u["b_id"] not in known
    ]
    if fresh:
        conn.execute(profile_changes.insert(), fresh)
    again = [{"c_id": i, "c_after": after[i]} for i in ids if i in known]
    if again:
        conn.execute(
            profile_changes.update()
            .where(profile_changes.c.import_id == import_id, profile_changes.c.customer_id == bindparam("c_id"))
            .values(after=bindparam("c_after")),
            again,
        )
