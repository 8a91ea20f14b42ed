"""Where publishing keeps its own state: the application data folder every part shares."""

from __future__ import annotations

from pathlib import Path

from designer import identity


def data_dir() -> Path:
    """The per-user application data folder (:func:`designer.identity.data_dir`)."""
    return identity.data_dir()
