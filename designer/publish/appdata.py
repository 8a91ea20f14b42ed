"""Where publishing keeps its own state: the app's data folder the store uses."""

from __future__ import annotations

from pathlib import Path

from designer.store.sample import default_store_path


def data_dir() -> Path:
    """The per-user data folder (platformdirs), the one that holds the default store."""
    return default_store_path().parent
