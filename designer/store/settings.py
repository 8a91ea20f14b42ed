"""Store-wide settings kept in the ``meta`` table: the shop's currency.

Revenue figures are sums of the shop's own prices, so they are in the shop's
currency; the store records which one (ISO 4217 code, ``USD`` when nobody
said) so the Results can format money correctly. Set it with
``import --currency EUR`` or ``store-settings --currency EUR``; the sample
shop records its own.
"""

from __future__ import annotations

import os
import re

from sqlalchemy import Engine, select

from designer.store.db import StoreError, open_store
from designer.store.schema import meta

#: What a store that never named its currency is taken to hold.
DEFAULT_CURRENCY = "USD"
#: The sample shop's prices are in this currency.
SAMPLE_CURRENCY = "USD"

_CODE = re.compile(r"[A-Z]{3}")


def check_currency(code: str) -> str:
    """The code in upper case, or a StoreError saying it is not an ISO 4217 code."""
    text = code.strip().upper()
    if not (text.isascii() and _CODE.fullmatch(text)):
        raise StoreError(f"currency {code!r} is not an ISO 4217 code (three letters, such as EUR or USD)")
    return text


def read_currency(conn) -> str:
    """The store's currency code, on an open connection."""
    value = conn.execute(select(meta.c.value).where(meta.c.key == "currency")).scalar()
    if value is None:
        return DEFAULT_CURRENCY
    try:
        return check_currency(value)
    except StoreError:
        raise StoreError(f"the store's currency is {value[:40]!r}, which this program never writes") from None


def store_currency(store: str | os.PathLike | Engine) -> str:
    """The ISO 4217 code of the store's money (``USD`` unless set)."""
    engine = open_store(store)
    with engine.connect() as conn:
        return read_currency(conn)


def write_currency(conn, code: str) -> str:
    """Record the store's currency inside the caller's transaction; returns the code stored."""
    code = check_currency(code)
    if not conn.execute(meta.update().where(meta.c.key == "currency").values(value=code)).rowcount:
        conn.execute(meta.insert().values(key="currency", value=code))
    return code


def set_store_currency(store: str | os.PathLike | Engine, code: str) -> str:
    engine = open_store(store)
    with engine.begin() as conn:
        return write_currency(conn, code)
