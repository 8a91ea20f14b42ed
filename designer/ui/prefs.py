"""Where the editor keeps window geometry, docks, recent files, the theme and its event store.

Always an INI file in the user scope, so tests can point QSettings.setPath at a
temporary folder and never touch the real settings. Secrets never go here:
a store URL is written without its password (which goes to the keyring, see
:mod:`designer.ui.credentials`) and read back with it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings

from designer import identity
from designer.ui import credentials

ORGANIZATION = identity.ORGANIZATION
APPLICATION = identity.APP_NAME
MAX_RECENT = 10
#: The setting that holds the event store's path or URL (possibly with a password).
STORE_KEY = "store/path"
STORE_KEYS = frozenset({STORE_KEY})
#: Beside a store key: its password was not kept (no keyring), so ask for it on reopening.
ASKS_PASSWORD = "AsksPassword"


class Settings(QSettings):
    """QSettings whose store entries never hold a password, whoever writes them."""

    def setValue(self, key: str, value: Any) -> None:  # noqa: N802 - Qt's name
        if key in STORE_KEYS and isinstance(value, str):
            value, password = credentials.split(value)
            kept = credentials.keep(value, password) if password is not None else True
            super().setValue(key + ASKS_PASSWORD, not kept)
        super().setValue(key, value)

    def value(self, key: str, defaultValue: Any = None, type: Any = None) -> Any:  # noqa: A002,N803 - Qt's names
        found = super().value(key, defaultValue) if type is None else super().value(key, defaultValue, type)
        if key in STORE_KEYS and isinstance(found, str):
            return credentials.recall(found)
        return found


def store_asks_password(key: str = STORE_KEY) -> str | None:
    """The remembered store URL when its password must be asked for (it was not kept), else None."""
    s = settings()
    url = str(s.value(key, "") or "")
    asks = str(s.value(key + ASKS_PASSWORD, "false")).lower() == "true"
    return url if asks and credentials.needs_password(url) else None


def settings() -> Settings:
    return Settings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


def recent_files() -> list[str]:
    value = settings().value("recentFiles", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or []) if v]


def add_recent_file(path: str) -> list[str]:
    files = [path] + [f for f in recent_files() if f != path]
    files = files[:MAX_RECENT]
    settings().setValue("recentFiles", files)
    return files


def clear_recent_files() -> None:
    settings().setValue("recentFiles", [])
