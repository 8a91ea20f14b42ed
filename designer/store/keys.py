"""The store's pseudonymisation key, kept apart from the store.

Pseudonyms are keyed hashes (HMAC-SHA256): whoever holds the key can confirm a
guess (``raw.person@example.com`` gives exactly the stored pseudonym). So the
key never goes into the store: the store names it by an id (``meta.key_id``,
a digest of the key that reveals nothing of it) and the key itself lives

1. in a key file the user keeps, when one is given (``--key-file PATH`` or the
   :data:`KEY_FILE_ENV` variable): one line of hex, created with a fresh key
   when a new store is made and the file does not exist yet;
2. otherwise in the operating system's keyring (service :data:`SERVICE`,
   user name the key id);
3. where there is no keyring (a server, a container), in a key file in the
   application's data folder (``store-keys/KEY_ID.key``), still apart from the
   store, so a store file shared or backed up reveals nothing.

A lost key loses only what the key is for: stored data stays readable and
simulations run, but new imports cannot give the same pseudonyms as before
(the same email would get another one) nor recognise erased customers, so
they refuse to run (:class:`KeyMissing`, exit 2) until the key file is given.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

import keyring
from keyring.errors import KeyringError
from sqlalchemy import select

from designer import identity
from designer.store.db import StoreError
from designer.store.schema import meta

#: Names a key file to use (read, or created for a new store).
KEY_FILE_ENV = "FLOW_STORE_KEY_FILE"
#: The keyring service store keys are filed under.
SERVICE = f"{identity.APP_NAME} store key"
#: The ``meta`` key naming the store's key.
KEY_ID = "key_id"

_chosen: Path | None = None
#: What :func:`key_id` gives.
_ID = re.compile(r"k[0-9a-f]{24}")


class KeyMissing(StoreError):
    """The store's key is nowhere this program can find it; the message says what that costs."""


def use_key_file(path: str | os.PathLike | None) -> None:
    """Use this key file from now on in this process (the ``--key-file`` option), or none."""
    global _chosen
    _chosen = Path(path).expanduser() if path else None


def key_file() -> Path | None:
    """The key file given (option, then environment), or None."""
    if _chosen is not None:
        return _chosen
    value = os.environ.get(KEY_FILE_ENV)
    return Path(value).expanduser() if value else None


def key_id(key: str) -> str:
    """The id a store names its key by: a digest of it, from which the key cannot be had."""
    return "k" + hashlib.sha256(b"trigger-flow-store-key-id\x00" + key.encode()).hexdigest()[:24]


def new_key() -> str:
    return secrets.token_hex(32)


def _fallback(kid: str) -> Path:
    return identity.data_dir() / "store-keys" / f"{kid}.key"


def read_key_file(path: Path) -> str:
    """The key in a key file; StoreError naming the file when it cannot be read or holds none."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read the key file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if len(text) < 32 or not text.isalnum():
        raise StoreError(f"{path} is not a store key file (one line of at least 32 hexadecimal digits)")
    return text


def _write_new(path: Path, key: str) -> str:
    """Write ``key`` to ``path`` unless it exists (then its key wins); returns the key in the file.

    Written aside and linked into place, so two processes creating it at once agree on one
    key and nobody reads a half-written file. Readable by its owner only.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(aside, path)
        except FileExistsError:
            return read_key_file(path)
    finally:
        aside.unlink(missing_ok=True)
    return key


def keep_key(key: str) -> str:
    """Keep ``key`` where it will be found again (see the module docstring); returns its id."""
    kid = key_id(key)
    chosen = key_file()
    if chosen is not None and not chosen.exists():
        if _write_new(chosen, key) == key:
            return kid
    try:
        keyring.set_password(SERVICE, kid, key)
        if keyring.get_password(SERVICE, kid) == key:
            return kid
    except (KeyringError, RuntimeError):
        pass  # no keyring on this system (or a locked one): the data folder keeps it
    try:
        if _write_new(_fallback(kid), key) != key:
            raise StoreError(f"{_fallback(kid)} holds another key than its name says; move it away")
    except OSError as exc:
        raise StoreError(f"cannot keep the store's pseudonymisation key: no keyring, and {exc}") from None
    return kid


def new_store_key() -> str:
    """The key id for a new store: the key file's key when one is given and exists, else a new key kept."""
    chosen = key_file()
    if chosen is not None and chosen.exists():
        return key_id(read_key_file(chosen))
    return keep_key(new_key())


def find_key(kid: str) -> str:
    """The key with id ``kid``, from the key file given, the keyring or the data folder."""
    chosen = key_file()
    if chosen is not None:
        key = read_key_file(chosen)
        if key_id(key) != kid:
            raise StoreError(f"the key file {chosen} holds key {key_id(key)}, but this store's key is {kid}; "
                             "give the key file that was used with this store")
        return key
    try:
        key = keyring.get_password(SERVICE, kid)
    except (KeyringError, RuntimeError):
        key = None
    if key is not None and key_id(key) == kid:
        return key
    fallback = _fallback(kid)
    if fallback.exists():
        key = read_key_file(fallback)
        if key_id(key) == kid:
            return key
    raise KeyMissing(
        f"the store's pseudonymisation key ({kid}) is not on this computer: not in the keyring, not in "
        f"{fallback}. Without it new imports cannot pseudonymise values as the stored ones were (the same email "
        "would get another pseudonym) nor recognise erased customers, so they do not run; what is stored stays "
        f"readable. Give the key file kept for this store with --key-file PATH or {KEY_FILE_ENV}=PATH"
    )


def export_key(kid: str, path: Path) -> None:
    """Write the store's key to a key file the user keeps (for another computer, a backup)."""
    key = find_key(kid)
    if path.exists():
        if read_key_file(path) != key:
            raise StoreError(f"{path} exists and holds another key; choose a new file name")
        return
    _write_new(path, key)


def store_key_id(conn) -> str | None:
    """The id the store names its key by; StoreError when it is not one this program writes."""
    kid = conn.execute(select(meta.c.value).where(meta.c.key == KEY_ID)).scalar()
    if kid is not None and not _ID.fullmatch(kid):
        # Also keeps a doctored id from naming a file outside the key folder.
        raise StoreError(f"the store's key_id is {kid[:40]!r}, which this program never writes; "
                         "the store was changed by another tool")
    return kid


def store_key(conn) -> str:
    """The store's pseudonymisation key (see the module docstring); KeyMissing when it is lost."""
    kid = store_key_id(conn)
    if kid is None:
        raise StoreError("the store names no pseudonymisation key; it was not created by this program")
    return find_key(kid)
