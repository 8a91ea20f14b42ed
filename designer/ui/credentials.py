"""Store URLs kept in the settings without their password; the password lives in the keyring.

A PostgreSQL store is remembered as ``postgresql://user@host/db``: the settings
file is plain text that backups, sync tools and other users' eyes can read. The
password goes to the operating system's keyring under the password-less URL,
and is put back when the store is reopened. With no keyring backend the
password is simply not kept, and the editor asks for it when it needs it
(:func:`designer.ui.prefs.store_asks_password`).
"""

from __future__ import annotations

import logging

import keyring
from keyring.errors import KeyringError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from designer import identity

log = logging.getLogger(__name__)

#: The keyring service the editor's store passwords are filed under.
SERVICE = f"{identity.APP_NAME} store"


def _parse(text: str) -> URL | None:
    if "://" not in text:
        return None  # a plain file path
    try:
        return make_url(text)
    except (ArgumentError, ValueError):
        return None


def _without_password(url: URL) -> str:
    bare = URL.create(url.drivername, url.username, None, url.host, url.port, url.database, url.query)
    return bare.render_as_string(hide_password=False)


def split(text: str) -> tuple[str, str | None]:
    """``(the URL without its password, the password or None)``; paths pass through unchanged."""
    url = _parse(text)
    if url is None or url.password is None:
        return text, None
    return _without_password(url), str(url.password)


def needs_password(text: str) -> bool:
    """A URL naming a user but no password (one that was remembered without it)."""
    url = _parse(text)
    return url is not None and bool(url.username) and url.password is None \
        and not url.drivername.startswith("sqlite")


def with_password(text: str, password: str) -> str:
    url = _parse(text)
    if url is None:
        return text
    return url.set(password=password).render_as_string(hide_password=False)


def keep(bare: str, password: str) -> bool:
    """Hand the password to the keyring under the password-less URL; False when there is no keyring."""
    try:
        keyring.set_password(SERVICE, bare, password)
    except KeyringError as exc:
        log.info("no keyring to keep the store password in (%s); it will be asked for", exc)
        return False
    return True


def recall(text: str) -> str:
    """The remembered URL with its password from the keyring, when the keyring has it."""
    if not needs_password(text):
        return text
    try:
        password = keyring.get_password(SERVICE, text)
    except KeyringError:
        password = None
    return with_password(text, password) if password is not None else text
