"""Bad store settings are exit 2 with a message; the store's currency; terminal-safe output; liveness."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest

from designer.cli import main
from designer.store.bookkeeping import pid_alive
from designer.store.settings import store_currency
from designer.store.text import terminal_text


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "url, says",
    [
        ("nonsense://x", "unsupported database kind 'nonsense'"),
        ("file:///x", "unsupported database kind 'file'"),
        ("mssql+nosuchdriver://h/db", "unsupported database kind"),
    ],
)
def test_a_url_of_no_known_database_is_exit_2_with_a_message(capsys, url, says):
    code, out, err = run(capsys, "stats", "--db", url)
    assert code == 2
    assert says in err and "Traceback" not in err


def test_a_server_url_without_its_driver_names_the_package_and_hides_the_password(capsys, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_driver(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0 and name.split(".")[0] in ("psycopg", "psycopg2"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name.split(".")[0])
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", no_driver)
    code, _, err = run(capsys, "stats", "--db", "postgresql+psycopg2://ann:s3cret@localhost/shop")
    assert code == 2
    assert "pip install psycopg2-binary" in err
    assert "s3cret" not in err


def test_a_schema_version_the_program_never_wrote_is_exit_2(capsys, db):
    assert run(capsys, "sample", "--db", str(db), "--customers", "3", "--days", "2")[0] == 0
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = 'abc' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    code, _, err = run(capsys, "stats", "--db", str(db))
    assert code == 2
    assert "schema_version is 'abc'" in err


def test_the_currency_is_set_at_import_shown_by_stats_and_read_by_the_reader(capsys, db, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp,price\nu1,purchase,1714557600,12.5\n")
    assert run(capsys, "import", str(log), "--db", str(db))[0] == 0
    assert store_currency(db) == "USD"  # nobody said: the default
    code, out, _ = run(capsys, "import", str(log), "--db", str(db), "--currency", "eur")
    assert code == 0
    assert store_currency(db) == "EUR"
    code, out, _ = run(capsys, "stats", "--db", str(db), "--json")
    assert json.loads(out)["currency"] == "EUR"
    code, out, _ = run(capsys, "stats", "--db", str(db))
    assert "currency   EUR" in out
    code, out, _ = run(capsys, "store-settings", "--db", str(db), "--currency", "GBP", "--json")
    assert code == 0 and json.loads(out.splitlines()[-1]) == {"currency": "GBP"}
    assert store_currency(db) == "GBP"


def test_a_currency_that_is_not_an_iso_code_is_exit_2_and_changes_nothing(capsys, db):
    assert run(capsys, "sample", "--db", str(db), "--customers", "3", "--days", "2")[0] == 0
    code, _, err = run(capsys, "store-settings", "--db", str(db), "--currency", "euro")
    assert code == 2 and "ISO 4217" in err
    assert store_currency(db) == "USD"  # the sample shop's own


def test_the_sample_shop_records_its_currency(db):
    main(["sample", "--db", str(db), "--customers", "3", "--days", "2"])
    con = sqlite3.connect(db)
    assert con.execute("SELECT value FROM meta WHERE key = 'currency'").fetchone() == ("USD",)
    con.close()


def test_stats_escapes_control_and_bidi_characters_from_the_data(capsys, db, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp\nu1,view\u202eevil\x1b[2J,1714557600\n")
    assert run(capsys, "import", str(log), "--db", str(db))[0] == 0
    code, out, _ = run(capsys, "stats", "--db", str(db))
    assert code == 0
    assert "\u202e" not in out and "\x1b" not in out
    assert "view\\u202eevil\\x1b[2J" in out


def test_terminal_text_leaves_ordinary_text_alone():
    assert terminal_text("Zoë 北京 view") == "Zoë 北京 view"
    assert terminal_text("a\u2066b\x00") == "a\\u2066b\\x00"


def test_liveness_of_an_import_owner_is_asked_of_the_os():
    import socket

    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert pid_alive(child.pid, socket.gethostname())
        assert not pid_alive(child.pid, "another-host")
    finally:
        child.stdin.close()
        child.wait()
    assert not pid_alive(child.pid, socket.gethostname())  # reaped: gone


def test_the_same_content_with_other_options_is_not_stored_twice(capsys, db, tmp_path):
    log = tmp_path / "log.csv"
    log.write_text("customer_id,event,timestamp,price,email\nu1,purchase,2024-05-01 10:00:00,12.5,u1@example.com\n")
    assert run(capsys, "import", str(log), "--db", str(db))[0] == 0
    copy = tmp_path / "copy.csv"
    copy.write_bytes(log.read_bytes())  # same bytes under another name
    code, out, _ = run(capsys, "import", str(copy), "--db", str(db), "--pseudonymise", "email", "--tz",
                       "Europe/Paris", "--json")
    assert code == 0
    assert "the same content was imported on 20" in out and "--rollback" in out
    report = json.loads(out.splitlines()[-1])
    assert report["loaded"] == 0 and report["earlier"]["options"]["tz"] == "UTC"
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (1,)
    con.close()
    # Told to replace the first: roll it back, then the new options apply.
    assert run(capsys, "import", str(log), "--db", str(db), "--rollback")[0] == 0
    code, out, _ = run(capsys, "import", str(copy), "--db", str(db), "--pseudonymise", "email", "--json")
    assert code == 0 and json.loads(out.splitlines()[-1])["loaded"] == 1
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (1,)
    assert "u1@example.com" not in con.execute("SELECT properties FROM events").fetchone()[0]
    con.close()


def test_profiles_does_not_import_the_event_importer():
    """profiles and importer used to import each other (profiles took five private helpers)."""
    import ast
    from pathlib import Path

    import designer.store.profiles as profiles

    tree = ast.parse(Path(profiles.__file__).read_text())
    imported_modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported_modules |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert "designer.store.importer" not in imported_modules


def test_the_sample_shop_can_be_made_in_another_currency(tmp_path):
    import json as _json
    import subprocess as _sp
    import sys as _sys
    from pathlib import Path as _Path

    root = _Path(__file__).resolve().parents[2]
    run = lambda *a: _sp.run([_sys.executable, str(root / "main.py"), *map(str, a)],  # noqa: E731
                             capture_output=True, text=True, timeout=300)
    assert run("sample", "--db", tmp_path / "s.db", "--customers", 20, "--days", 5, "--currency", "eur").returncode == 0
    assert _json.loads(run("stats", "--db", tmp_path / "s.db", "--json").stdout.splitlines()[-1])["currency"] == "EUR"
    bad = run("sample", "--db", tmp_path / "t.db", "--currency", "euro")
    assert bad.returncode == 2 and not (tmp_path / "t.db").exists()
