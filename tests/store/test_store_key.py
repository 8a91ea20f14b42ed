"""The pseudonymisation key lives apart from the store: the file alone confirms no guess."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from designer.store import keys
from designer.store.db import open_store
from designer.store.importer import ImportFailed, ImportOptions, import_events
from designer.store.mapping import preset
from designer.store.sources import Pseudonymiser

from .conftest import stored_events
from .test_migrations import v1_store

ROOT = Path(__file__).resolve().parents[2]
OLD_SALT = "c2cc37c7c183f7f2c8567e78ae73fd0a85941662222c95c33a70c75464cc5d0c"  # in fixtures/store_v1.sql


def file_bytes(db: Path) -> bytes:
    """The store file, its write-ahead log and its shared-memory index, as bytes on disk."""
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))
                    if p.exists())


def pseudonymised_log(tmp_path: Path, who: str = "alice@example.com") -> Path:
    log = tmp_path / f"log-{len(list(tmp_path.glob('log-*')))}.csv"  # the file name is stored: no email in it
    log.write_text(f"customer_id,event,timestamp\n{who},view,1714557600\n")
    return log


PSEUDO = ImportOptions(mapping=preset("generic"), pseudonymise=("customer_id",))


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "keys" / "shop.key"
    keys.use_key_file(path)
    yield path
    keys.use_key_file(None)


def test_a_new_store_holds_only_the_key_id_never_the_key(db, tmp_path, key_file):
    import_events(db, pseudonymised_log(tmp_path), PSEUDO)
    key = keys.read_key_file(key_file)  # created with the store, readable by its owner only
    if os.name == "posix":
        assert key_file.stat().st_mode & 0o077 == 0
    data = file_bytes(db)
    assert key.encode() not in data and b"alice@example.com" not in data
    con = sqlite3.connect(db)
    assert dict(con.execute("SELECT key, value FROM meta"))["key_id"] == keys.key_id(key)
    con.close()
    # The stored pseudonym is the keyed hash with the key from the file: one key, two places never.
    assert stored_events(db)[0]["customer"] == Pseudonymiser(key)("alice@example.com")


def test_an_old_store_gives_its_salt_to_the_key_keeper_and_keeps_its_pseudonyms(tmp_path):
    db = v1_store(tmp_path / "old.db")
    assert OLD_SALT.encode() in file_bytes(db)
    import_events(db, pseudonymised_log(tmp_path), PSEUDO)  # migrates, then imports
    data = file_bytes(db)
    assert OLD_SALT.encode() not in data  # not in the file, its WAL or its -shm
    con = sqlite3.connect(db)
    meta = dict(con.execute("SELECT key, value FROM meta"))
    con.close()
    assert "salt" not in meta and meta["key_id"] == keys.key_id(OLD_SALT)
    # The same key under its id (here the data folder: the tests have no keyring): the pseudonyms
    # of what the old store holds and of what comes in now agree.
    engine = open_store(db)
    with engine.connect() as conn:
        assert keys.store_key(conn) == OLD_SALT
    engine.dispose()
    stored = {e["customer"] for e in stored_events(db)}
    assert Pseudonymiser(OLD_SALT)("alice@example.com") in stored


def test_the_salt_goes_into_a_new_key_file_when_one_is_given(tmp_path, key_file):
    db = v1_store(tmp_path / "old.db")
    open_store(db).dispose()
    assert keys.read_key_file(key_file) == OLD_SALT


def test_a_lost_key_stops_imports_with_exit_2_and_says_what_is_lost(tmp_path):
    db = tmp_path / "shop.db"
    env = {**os.environ, "TRIGGER_FLOW_DATA_DIR": str(tmp_path / "data")}
    env.pop(keys.KEY_FILE_ENV, None)
    run = lambda *argv: subprocess.run([sys.executable, "main.py", *argv], cwd=ROOT, capture_output=True,  # noqa: E731
                                       text=True, env=env, timeout=120)
    first = run("import", str(pseudonymised_log(tmp_path)), "--db", str(db), "--pseudonymise", "customer_id")
    assert first.returncode == 0, first.stderr
    kept = list((tmp_path / "data" / "store-keys").iterdir())
    assert len(kept) == 1  # no keyring here: the data folder keeps it, apart from the store
    saved = tmp_path / "saved.key"
    exported = run("store-settings", "--db", str(db), "--export-key", str(saved))
    assert exported.returncode == 0, exported.stderr
    kept[0].unlink()  # the key is lost (another computer, a reinstall)

    later = pseudonymised_log(tmp_path, "bob@example.com")
    lost = run("import", str(later), "--db", str(db), "--pseudonymise", "customer_id")
    assert lost.returncode == 2
    assert "pseudonymisation key" in lost.stderr and "--key-file" in lost.stderr
    assert "Traceback" not in lost.stderr
    assert run("stats", "--db", str(db)).returncode == 0  # what is stored stays readable

    found = run("import", str(later), "--db", str(db), "--pseudonymise", "customer_id", "--key-file", str(saved))
    assert found.returncode == 0, found.stderr
    assert {e["customer"] for e in stored_events(db)} == {
        Pseudonymiser(keys.read_key_file(saved))(who) for who in ("alice@example.com", "bob@example.com")
    }


def test_a_key_file_of_another_store_is_refused_by_name(db, tmp_path, key_file):
    other = tmp_path / "other.key"
    other.write_text(keys.new_key() + "\n")
    import_events(db, pseudonymised_log(tmp_path), PSEUDO)
    keys.use_key_file(other)
    with pytest.raises(ImportFailed, match="give the key file that was used with this store"):
        import_events(db, pseudonymised_log(tmp_path, "bob@example.com"), PSEUDO)


def test_two_stores_without_a_key_file_get_different_keys(tmp_path):
    log = pseudonymised_log(tmp_path)
    import_events(tmp_path / "a.db", log, PSEUDO)
    import_events(tmp_path / "b.db", log, PSEUDO)
    assert stored_events(tmp_path / "a.db")[0]["customer"] != stored_events(tmp_path / "b.db")[0]["customer"]


def test_a_key_id_this_program_never_writes_is_named_not_followed(db, tmp_path):
    import_events(db, pseudonymised_log(tmp_path), PSEUDO)
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '../../../etc/passwd' WHERE key = 'key_id'")
    con.commit()
    con.close()
    with pytest.raises(ImportFailed, match="key_id is '../../../etc/passwd', which this program never writes"):
        import_events(db, pseudonymised_log(tmp_path, "bob@example.com"), PSEUDO)
