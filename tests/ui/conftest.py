"""UI test set-up: settings, recovery files and logs in a temporary folder, never the user's."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings


@pytest.fixture(autouse=True)
def isolated_user_files(tmp_path, monkeypatch):
    """Point QSettings, the recovery folder and the log folder at this test's temp dir."""
    settings_dir = tmp_path / "settings"
    settings_dir.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(settings_dir))
    monkeypatch.setenv("TRIGGER_FLOW_RECOVERY_DIR", str(tmp_path / "recovery"))
    monkeypatch.setenv("TRIGGER_FLOW_LOG_DIR", str(tmp_path / "log"))
    yield settings_dir
