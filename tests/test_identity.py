"""One identity: recovery files, the default sample shop and crash reports resolve under
the same app data folder, and the settings file carries the same name."""

from __future__ import annotations

import sys

import pytest

from designer import identity


@pytest.fixture
def real_folders(monkeypatch, tmp_path):
    """The platform's own folders (no overrides), rooted in a temp dir where the platform allows."""
    monkeypatch.delenv(identity.DATA_DIR_ENV, raising=False)
    monkeypatch.delenv("TRIGGER_FLOW_RECOVERY_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return tmp_path


def test_recovery_sample_store_and_crash_reports_share_the_app_data_folder(real_folders):
    pytest.importorskip("PySide6")
    from designer.store.sample import default_store_path
    from designer.ui.recovery import recovery_dir

    data = identity.data_dir()
    assert recovery_dir().parent == data
    assert default_store_path().parent == data
    assert identity.crash_dir().parent == data
    if sys.platform.startswith("linux"):
        assert data == real_folders / "xdg-data" / identity.APP_NAME


def test_the_data_folder_can_be_moved_as_a_whole(monkeypatch, tmp_path):
    from designer.store.sample import default_store_path
    from designer.ui.recovery import recovery_dir

    monkeypatch.delenv("TRIGGER_FLOW_RECOVERY_DIR", raising=False)
    monkeypatch.setenv(identity.DATA_DIR_ENV, str(tmp_path / "portable"))
    assert {recovery_dir().parent, default_store_path().parent, identity.crash_dir().parent} == {tmp_path / "portable"}


def test_the_settings_and_the_application_carry_the_same_names(qapp):
    from designer.ui import app, prefs

    application = app.application()
    assert (application.organizationName(), application.applicationName()) == (identity.ORGANIZATION,
                                                                               identity.APP_NAME)
    assert application.applicationDisplayName() == identity.DISPLAY_NAME
    path = prefs.settings().fileName().replace("\\", "/")
    assert f"/{identity.ORGANIZATION}/{identity.APP_NAME}.ini" in path
