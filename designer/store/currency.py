"""The store's currency: the ISO 4217 code its amounts (prices, order values) are in.

Event logs carry bare numbers, so the store says once what they are, set at
import (``--currency EUR``) or when the sample shop is made (its own is USD);
a store that never said is taken to be in US dollars. The editor writes money
in this currency, in the user's own locale.
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from designer.store.schema import meta

DEFAULT_CURRENCY = "USD"
_CODE = re.compile(r"^[A-Z]{3}$")


class CurrencyError(ValueError):
    pass


def checked(code: str) -> str:
    """The code in capitals; a mistake says what a currency code looks like."""
    value = (code or "").strip().upper()
    if not _CODE.match(value):
        raise CurrencyError(f"{code!r} is not a currency code: give its three letters, such as EUR, USD or GBP")
    return value


def store_currency(engine: Engine) -> str:
    with engine.connect() as conn:
        value = conn.execute(select(meta.c.value).where(meta.c.key == "currency")).scalar()
    return value if value and _CODE.match(value) else DEFAULT_CURRENCY


def set_store_currency(engine: Engine, code: str) -> str:
    value = checked(code)
    dialect = {"sqlite": sqlite, "postgresql": postgresql}.get(engine.dialect.name)
    with engine.begin() as conn:
        if dialect is not None:
            stmt = dialect.insert(meta).values(key="currency", value=value)
            conn.execute(stmt.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value}))
        else:
            if conn.execute(select(meta.c.key).where(meta.c.key == "currency")).first() is None:
                conn.execute(meta.insert().values(key="currency", value=value))
            else:
                conn.execute(meta.update().where(meta.c.key == "currency").values(value=value))
    return value
