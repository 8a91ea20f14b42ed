"""Schema migrations: the steps that bring an older store to the current version.

A store records its version in ``meta.schema_version``. :data:`STEPS` maps a
version *n* to the step that turns a version *n - 1* store into version *n*:
a list of plain SQL statements, or a function taking the open
:class:`~sqlalchemy.engine.Connection`. :func:`migrate` runs the missing steps
in order, each in its own transaction together with the version bump, so a
migration interrupted half-way leaves the store at the last complete version.

Version 1 is the schema of :mod:`designer.store.schema` as first created; it
has no step. To change the schema: edit ``schema.py``, raise
``SCHEMA_VERSION``, and add the step here, e.g.::

    STEPS[2] = ["ALTER TABLE customers ADD COLUMN phone TEXT"]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Union

from sqlalchemy import Connection, select, text

from designer.store.schema import SCHEMA_VERSION, meta

Step = Union[list[str], Callable[[Connection], None]]

#: target version -> step from the version before it.
STEPS: dict[int, Step] = {}


class MigrationError(Exception):
    """The store cannot be brought to the version this program understands."""


def stored_version(conn: Connection) -> int:
    """The version recorded in the store (0 when it has none)."""
    value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar()
    return int(value) if value is not None else 0


def set_version(conn: Connection, version: int) -> None:
    updated = conn.execute(
        meta.update().where(meta.c.key == "schema_version").values(value=str(version))
    ).rowcount
    if not updated:
        conn.execute(meta.insert().values(key="schema_version", value=str(version)))


def migrate(engine, target: int = SCHEMA_VERSION, steps: dict[int, Step] | None = None) -> list[int]:
    """Run the steps that bring the store to ``target``; returns the versions applied."""
    steps = STEPS if steps is None else steps
    with engine.connect() as conn:
        current = stored_version(conn)
    if current > target:
        raise MigrationError(
            f"the store has schema version {current}, newer than this program's {target}; "
            "update the program to open it"
        )
    applied = []
    for version in range(current + 1, target + 1):
        step = steps.get(version)
        if step is None:
            raise MigrationError(f"no migration step to schema version {version}")
        with engine.begin() as conn:
            if callable(step):
                step(conn)
            else:
                for statement in step:
                    conn.execute(text(statement))
            set_version(conn, version)
        applied.append(version)
    return applied
