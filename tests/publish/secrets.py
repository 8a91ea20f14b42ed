"""Looking for a secret in every file under some folders (a test's temp folder, its HOME)."""

from __future__ import annotations

from pathlib import Path


def files_holding(secret: str, *folders: Path) -> list[Path]:
    return [f for folder in folders for f in folder.rglob("*") if f.is_file() and secret.encode() in f.read_bytes()]
