"""Who the program is to the operating system: one name for its folders and settings.

Every file the program keeps for the user (settings, recovery files, the sample
shop, crash reports, logs) is placed from these names, so they all end up under
one application folder instead of three spellings of it. Plain Python (no Qt),
so the store and the command line use the same folders as the editor.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

#: The name shown to people (window titles, messages).
DISPLAY_NAME = "Trigger Flow Designer"
#: The name of the folders and of the settings file (platformdirs and QSettings).
APP_NAME = "TriggerFlowDesigner"
#: The publisher, the folder level above APP_NAME where a platform has one (Windows).
ORGANIZATION = "TriggerFlowDesigner"
#: Points the whole data folder elsewhere (a portable install, or tests).
DATA_DIR_ENV = "TRIGGER_FLOW_DATA_DIR"


def data_dir() -> Path:
    """The application data folder: recovery files, the sample shop and crash reports live here."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return platformdirs.user_data_path(APP_NAME, ORGANIZATION)


def log_dir() -> Path:
    """Where the editor's log goes (the platform's log folder for the same application)."""
    return platformdirs.user_log_path(APP_NAME, ORGANIZATION)


def crash_dir() -> Path:
    """Crash reports: one file per internal error, named by the command line's message."""
    return data_dir() / "crash-reports"
