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
#: Settings that hold an event store's path or URL (possibly with a password).
STORE_KEYS = frozenset({"store/path"})


class Settings(QSettings):
    """QSettings whose store entries never hold a password, whoever writes them."""

    def setValue(self, key: str, value: Any) -> None:  # noqa: N802 - Qt's name
        if key in STORE_KEYS and isinstance(value, str):
            value = credentials.remember(value)
        super().setValue(key, value)

    def value(self, key: str, defaultValue: Any = None, type: Any = None) -> Any:  # noqa: A002,N803 - Qt's names
        found = super().value(key, defaultValue) if type is None else super().value(key, defaultValue, type)
        if key in STORE_KEYS and isinstance(found, str):
            return credentials.recall(found)
        return found


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
