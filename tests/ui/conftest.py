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


@pytest.fixture(autouse=True)
def no_stray_dialogs(qapp):
    """A modal dialog nobody answers would hang the run: close it after a few seconds
    and fail the test that left it open."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialog

    stray: list[str] = []

    def check() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QDialog):
            stray.append(dialog.windowTitle() or type(dialog).__name__)
            dialog.reject()

    timer = QTimer()
    timer.setInterval(4000)
    timer.timeout.connect(check)
    timer.start()
    yield
    timer.stop()
    assert not stray, f"a modal dialog was left open: {stray}"


@pytest.fixture(autouse=True)
def cycles_collected_on_the_gui_thread(qapp):
    """After each test, collect what its closed windows left in cycles, here on the GUI thread
    (the program does the same on a timer: see designer/ui/collector.py)."""
    yield
    from designer.ui import collector

    collector.install(qapp).tick()
