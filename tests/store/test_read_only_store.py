"""Reading commands on a store that cannot be written: a backup opened read-only, a file shared read-only.

Real processes. Tests run as root in CI, where file permissions do not stop writes; so the first
test asks SQLite itself for a read-only open (a ``mode=ro`` / ``immutable=1`` URI, of a backup in
rollback-journal mode, which SQLite cannot switch to WAL read-only), and the second drops root's
power to override permissions (``setpriv``, Linux) when it runs as root.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from designer import EXAMPLE_FLOWS, ROOT
from designer.store.sample import generate


def run(*args, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    proc = subprocess.run([*prefix, sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def counted(path: Path) -> tuple[int, int]:
    """Customers and events, by plain SQL on a read-only connection."""
    con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return (con.execute("SELECT count(*) FROM customers").fetchone()[0],
                con.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        con.close()


def check_reading_commands(db: str, expected: tuple[int, int], prefix: tuple[str, ...] = ()) -> None:
    stats = run("stats", "--db", db, "--json", prefix=prefix)
    assert stats.returncode == 0, stats.stderr
    figures = json.loads(stats.stdout)
    assert (figures["customers"], figures["events"]) == expected
    assert run("stats", "--db", db, prefix=prefix).returncode == 0
    backtest = run("simulate", EXAMPLE_FLOWS / "abandoned_cart.json", "--db", db, "--no-save", "--json", prefix=prefix)
    assert backtest.returncode == 0, backtest.stderr
    # Saving the run needs a write: refused in one line, exit 2 (could not run).
    saving = run("simulate", EXAMPLE_FLOWS / "abandoned_cart.json", "--db", db, prefix=prefix)
    assert saving.returncode == 2 and "read" in saving.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def backup(tmp_path_factory) -> Path:
    """A sample shop copied as backups often are (VACUUM INTO): a file in rollback-journal mode."""
    folder = tmp_path_factory.mktemp("ro")
    generate(folder / "shop.db", customers=120, days=20, seed=3)
    con = sqlite3.connect(folder / "shop.db")
    con.execute(f"VACUUM INTO '{folder / 'backup.db'}'")
    con.close()
    return folder / "backup.db"


@pytest.mark.parametrize("query", ["mode=ro", "immutable=1"])
def test_reading_commands_work_on_a_store_opened_read_only(backup, tmp_path, query):
    copy = tmp_path / "backup.db"
    shutil.copy(backup, copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    check_reading_commands(f"sqlite:///file:{copy}?{query}&uri=true", counted(copy))
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
    assert not (ROOT / "file:").exists()  # a URI is not a path whose folders are made


def _without_override() -> tuple[str, ...]:
    """How to run a command for which file permissions hold: as is, or as root without overriding them."""
    if os.name != "posix" or os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    prefix = (setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--") if setpriv else ()
    if not prefix or subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root without setpriv able to drop the permission override")
    return prefix


@pytest.mark.parametrize("folder_read_only", [False, True])
def test_reading_commands_work_on_a_store_file_shared_read_only(backup, tmp_path, folder_read_only):
    prefix = _without_override()
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "shop.db"
    shutil.copy(backup, path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"  # as the program keeps its stores
    con.close()  # the last connection: SQLite removes the -wal and -shm files
    assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]
    expected = counted(path)
    path.chmod(0o444)
    if folder_read_only:
        folder.chmod(0o555)
    try:
        check_reading_commands(str(path), expected, prefix)
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)


def test_writing_commands_name_a_read_only_store(backup, tmp_path):
    copy = tmp_path / "backup.db"
    shutil.copy(backup, copy)
    before = hashlib.sha256(copy.read_bytes()).hexdigest()
    db = f"sqlite:///file:{copy}?mode=ro&uri=true"
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp\nu1,view,1714557600\n")
    for argv, action in ((("forget", "c000001"), "erasing a customer"), (("import", log), "an import"),
                         (("import-customers", log), "an import")):
        proc = run(*argv, "--db", db)
        assert proc.returncode == 2
        assert f"is read-only: {action} needs write access" in proc.stderr
    assert hashlib.sha256(copy.read_bytes()).hexdigest() == before
