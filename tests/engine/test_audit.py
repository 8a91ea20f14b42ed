"""A run's audit log: derived from the stored run, it agrees with the run's own figures (decisions
counted per flow), follows the programme it ran in, and says when the store changed since."""

from __future__ import annotations

import csv
import io as text_io
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from designer.engine.audit import AuditError, audit_csv, audit_customer
from designer.engine.runs import load_run
from designer.engine.simulate import simulate_together
from designer.model import documents, io
from designer.model.programme import Cap, Programme
from designer.store.db import open_store
from designer.store.sample import generate
from tests.engine.tinystore import TinyStore

ROOT = Path(__file__).resolve().parents[2]
FLOWS = [io.load(p) for p in documents.flow_files(ROOT / "flows")]


@pytest.fixture()
def shop(tmp_path):
    db = tmp_path / "shop.db"
    generate(db, customers=150, days=30, seed=8)
    return db


def test_the_audit_of_a_programme_agrees_with_every_run_s_figures(shop):
    engine = open_store(shop)
    results = simulate_together(FLOWS, engine, programme=Programme(Cap(2, "P7D")))
    ids = [r.run_id for r in results]
    assert all(ids) and load_run(engine, ids[0]).programme_runs == tuple(ids)
    audit, text = audit_csv(engine, ids[0])
    assert audit.history_unchanged
    rows = list(csv.DictReader(text_io.StringIO(text)))
    counted = Counter((r["flow"], r["decision"]) for r in rows)
    for r in results:
        skipped = sum(sum(n.skipped.values()) for n in r.nodes.values())
        sent = r.sends + r.messages_by_channel.get("webhook", 0)
        assert counted[(r.flow_id, "trigger fired")] == r.entered, r.flow_id
        assert counted[(r.flow_id, "message sent")] == sent, r.flow_id
        assert counted[(r.flow_id, "send skipped")] == skipped, r.flow_id
        assert counted[(r.flow_id, "conversion credited")] == r.conversions, r.flow_id
    assert any(r["rule"].startswith("frequency cap") for r in rows)  # the programme's cap is in the log
    engine.dispose()


def test_an_audit_says_when_the_store_changed_since_the_run(shop):
    engine = open_store(shop)
    result = simulate_together(FLOWS[:1], engine)[0]
    one = audit_customer(engine, result.run_id, "c000001")
    assert one.history_unchanged and "the run's own decisions" in one.note()
    store = TinyStore.__new__(TinyStore)
    store.engine, store.ids, store._n = engine, {}, 0
    store.event("someone-new", "view", result.window_from + 1)
    later = audit_customer(engine, result.run_id, "c000001")
    assert not later.history_unchanged and "changed since" in later.note()
    with pytest.raises(AuditError, match="no run 999"):
        audit_customer(engine, 999, "c000001")
    engine.dispose()


def test_audit_command(shop):
    engine = open_store(shop)
    result = simulate_together(FLOWS[:1], engine)[0]
    cust = next(r for r in csv.DictReader(text_io.StringIO(audit_csv(engine, result.run_id)[1])))["customer"]
    engine.dispose()
    run = lambda *a: subprocess.run([sys.executable, str(ROOT / "main.py"), "audit", *map(str, a)],  # noqa: E731
                                    capture_output=True, text=True, timeout=300, cwd=ROOT)
    out = run(result.run_id, "--db", shop, "--customer", cust)
    assert out.returncode == 0 and "trigger fired" in out.stdout and cust in out.stdout
    bad = run(12345, "--db", shop, "--customer", cust)
    assert bad.returncode == 2 and "no run 12345" in bad.stderr and "Traceback" not in bad.stderr
