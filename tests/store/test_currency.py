"""The store's currency: set at import or for the sample shop, shown by stats, refused when it is
not a currency code (before anything is written)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from designer.store.currency import DEFAULT_CURRENCY, set_store_currency, store_currency
from designer.store.db import open_store

from .conftest import fixture

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def test_a_store_says_its_currency_once_set(tmp_path):
    engine = open_store(tmp_path / "s.db")
    assert store_currency(engine) == DEFAULT_CURRENCY
    assert set_store_currency(engine, "eur") == "EUR" and store_currency(engine) == "EUR"
    assert set_store_currency(engine, "GBP") == "GBP" and store_currency(engine) == "GBP"
    engine.dispose()


def test_cli_sets_and_shows_the_currency(tmp_path):
    db = tmp_path / "shop.db"
    assert _cli("sample", "--db", db, "--customers", 20, "--days", 5, "--currency", "eur").returncode == 0
    stats = json.loads(_cli("stats", "--db", db, "--json").stdout.splitlines()[-1])
    assert stats["currency"] == "EUR"
    assert _cli("import", fixture("events.jsonl"), "--db", db, "--currency", "CHF").returncode == 0
    assert "currency   CHF" in _cli("stats", "--db", db).stdout
    bad = _cli("sample", "--db", tmp_path / "other.db", "--currency", "euro")
    assert bad.returncode == 2 and "not a currency code" in bad.stderr
    assert not (tmp_path / "other.db").exists()  # refused before anything was made
