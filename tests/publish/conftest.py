"""Publish test set-up: a private HOME and data folder per test, the keys only in the environment."""

from __future__ import annotations

import pytest

from tests.publish.fake_dittofeed import ADMIN_KEY, WORKSPACE
from tests.publish.fake_hubspot import TOKEN
from tests.publish.fake_klaviyo import KEY


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A private HOME and data folder, and the keys only in the environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("TRIGGER_FLOW_DATA_DIR", str(home / "app-data"))
    monkeypatch.setenv("KLAVIYO_API_KEY", KEY)
    monkeypatch.setenv("HUBSPOT_TOKEN", TOKEN)
    monkeypatch.setenv("DITTOFEED_ADMIN_KEY", ADMIN_KEY)
    monkeypatch.setenv("DITTOFEED_WORKSPACE_ID", WORKSPACE)
    return home
