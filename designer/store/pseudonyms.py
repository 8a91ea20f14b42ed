"""Keyed pseudonyms for the values an import is told to pseudonymise."""

from __future__ import annotations

import hashlib
import hmac
import json

from designer.store.codec import json_scalar


class Pseudonymiser:
    """Keyed hashing of values (HMAC-SHA256 with the store's key, kept apart: designer.store.keys).

    The same value always gives the same pseudonym in one store (so a hashed
    customer id still groups that customer's events) and cannot be reversed
    without the key. Values with an ``@`` are lower-cased and trimmed first,
    so ``Ann@Example.com`` and ``ann@example.com`` agree.
    """

    def __init__(self, salt: str) -> None:
        self.key = salt.encode()

    def value(self, value):
        """A JSON value pseudonymised whatever its type, so nothing of it is stored raw.

        A number or boolean gets the pseudonym of its JSON text (``33612345678`` the same as the
        text cell ``33612345678`` in a CSV), a list one per item (a list of emails stays a list
        whose items match each email's pseudonym elsewhere), an object one for its whole
        canonical JSON (its keys may identify someone too). Null and blank text stay as they are.
        """
        if value is None:
            return None
        if isinstance(value, str):
            return self(value) if value.strip() else value
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return self(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True))
        return self(json_scalar(value).strip('"'))

    def __call__(self, value: str) -> str:
        value = value.strip()
        if "@" in value:
            value = value.lower()
        return "p_" + hmac.new(self.key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]
