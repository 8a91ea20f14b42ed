"""The store on PostgreSQL: imports, dedupe, profiles and their rollback, erasure and a backtest.

A throwaway server is started for the module from the PostgreSQL binaries on
the machine (a Unix socket in a temporary folder, no TCP port); without them,
or without the psycopg2 driver, the module is skipped. The same operations run
on SQLite everywhere else; here they must give the same answers.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from designer.engine.simulate import simulate
from designer.model import io
from designer.store.db import open_store
from designer.store.importer import ImportOptions, import_events, imports_of_file, rollback_import
from designer.store.mapping import preset
from designer.store.privacy import forget
from designer.store.profiles import import_customers
from designer.store.sample import generate
from designer.store.schema import customers, events

from .conftest import fixture

pytest.importorskip("psycopg2")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pg_bin() -> str | None:
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(found)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(candidates[-1]) if candidates else None


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the 'postgres' account then."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


@pytest.fixture(scope="module")
def server():
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a 'postgres' account to run the server")
    # Not under pytest's folder: the server account must be able to reach it.
    base = Path(tempfile.mkdtemp(prefix="tfd-pg-"))
    os.chmod(base, 0o777)
    data, sock = base / "data", base
    run = lambda *a: subprocess.run(_as_server_user(list(a)), check=True, capture_output=True, text=True)  # noqa: E731
    run(f"{bin_dir}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync")
    run(f"{bin_dir}/pg_ctl", "-D", str(data), "-w", "-l", str(base / "log"),
        "-o", f"-k {sock} -c listen_addresses= -c fsync=off", "start")
    try:
        yield f"postgresql+psycopg2://postgres@/postgres?host={sock}"
    finally:
        run(f"{bin_dir}/pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg(server):
    """A fresh, empty database on the module's server."""
    name = "shop_" + uuid.uuid4().hex[:8]
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = server.replace("/postgres?", f"/{name}?")
    yield url


def test_events_import_dedupes_and_reports_rejects(pg):
    first = import_events(pg, fixture("rees46.csv"), ImportOptions(mapping=preset("rees46")))
    assert (first.read, first.loaded, first.rejected) == (11, 10, 1)
    assert [(r.line, r.reason) for r in first.rejects] == [(12, "wrong column count: expected 9, found 4")]
    again = import_events(pg, fixture("rees46.csv"), ImportOptions(mapping=preset("rees46"), force=True))
    assert (again.loaded, again.duplicates) == (0, 10)
    engine = open_store(pg)
    with engine.connect() as conn:
        props = conn.execute(select(events.c.properties).order_by(events.c.id).limit(1)).scalar()
        count = conn.execute(select(events.c.id)).all()
    engine.dispose()
    assert '"category_id":"2103807459595387723"' in props  # a 19-digit id stays exact text
    assert len(count) == 10


def test_profile_rollback_and_forget(pg):
    import_events(pg, fixture("rees46.csv"), ImportOptions(mapping=preset("rees46")))
    engine = open_store(pg)
    with engine.connect() as conn:
        before = dict(conn.execute(select(customers.c.external_id, customers.c.email)).all())
    import_customers(pg, fixture("customers.csv"))
    with engine.connect() as conn:
        assert conn.execute(select(customers.c.email).where(customers.c.external_id == "541300001")).scalar() \
            == "Ann.Lee@Example.com"
    result = rollback_import(pg, imports_of_file(pg, fixture("customers.csv"))[0]["id"])
    assert result.customers_restored == 3
    with engine.connect() as conn:
        assert dict(conn.execute(select(customers.c.external_id, customers.c.email)).all()) == before
    assert forget(pg, "541300004").events_deleted == 2
    with engine.connect() as conn:
        assert conn.execute(select(customers.c.id).where(customers.c.external_id == "541300004")).first() is None
    engine.dispose()


def test_a_backtest_on_postgresql_matches_the_same_shop_on_sqlite(pg, tmp_path):
    generate(pg, customers=150, days=20, seed=5)
    generate(tmp_path / "shop.db", customers=150, days=20, seed=5)
    flow = io.load(os.path.join(ROOT, "flows", "abandoned_cart.json"))
    on_pg = simulate(flow, pg, save=False).to_json()
    on_sqlite = simulate(flow, tmp_path / "shop.db", save=False).to_json()
    for figures in (on_pg, on_sqlite):
        figures.pop("seconds", None)
        figures.pop("run_id", None)
        figures.pop("store", None)
    assert on_pg["entered"] > 0 and on_pg["sends"] > 0
    assert on_pg == on_sqlite
