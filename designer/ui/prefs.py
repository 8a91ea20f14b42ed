"""Where the editor keeps window geometry, docks, recent files and the theme.

Always an INI file in the user scope, so tests can point QSettings.setPath at a
temporary folder and never touch the real settings. Secrets never go here.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "TriggerFlowDesigner"
APPLICATION = "Trigger Flow Designer"
MAX_RECENT = 10


def settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


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
