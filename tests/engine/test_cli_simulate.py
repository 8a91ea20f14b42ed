"""``python main.py simulate`` and ``compare``: tables, JSON, traces, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from designer import EXAMPLE_FLOWS, ROOT
from designer.store.sample import generate


def run(*args):
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    db = tmp_path_factory.mktemp("cli") / "shop.db"
    generate(db, customers=300, days=30, seed=2)
    return db


def test_simulate_json_last_line_has_the_figures(shop):
    proc = run("simulate", EXAMPLE_FLOWS / "abandoned_cart.json", "--db", shop, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("entered", "sends", "recipients", "conversions", "revenue", "nodes"):
        assert key in data
    n3 = data["nodes"]["n3"]
    assert set(n3) >= {"entered", "exits", "skipped", "in_progress"}
    assert data["entered"] > 0 and data["sends"] > 0
    assert n3["entered"] == sum(n3["exits"].values()) + n3["exited"] + n3["ended"] + n3["in_progress"]


def test_simulate_table_names_every_node_and_totals(shop):
    proc = run("simulate", EXAMPLE_FLOWS / "welcome_series.json", "--db", shop, "--no-save")
    assert proc.returncode == 0, proc.stderr
    for node_id in ("n1", "n2", "n8"):
        assert f"\n{node_id} " in proc.stdout
    assert "journeys entered" in proc.stdout and "conversions" in proc.stdout


def test_trace_prints_a_customer_step_by_step(shop):
    from designer.engine.simulate import simulate
    from designer.model import io

    flow = io.load(EXAMPLE_FLOWS / "abandoned_cart.json")
    for n in range(1, 300):  # someone who got the first reminder
        customer = f"c{n:06d}"
        if any(s.what == "sent" for s in simulate(flow, shop, trace_customer=customer).trace):
            break
    else:
        pytest.fail("nobody got an email")
    proc = run("simulate", EXAMPLE_FLOWS / "abandoned_cart.json", "--db", shop, "--trace", customer)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert customer in lines[0]
    assert any("entered:" in line for line in lines) and any("n5 send_email" in line for line in lines)


def test_window_limits_the_run(shop):
    full = json.loads(run("simulate", EXAMPLE_FLOWS / "abandoned_cart.json", "--db", shop, "--json",
                          "--no-save").stdout.splitlines()[-1])
    part = json.loads(run("simulate", EXAMPLE_FLOWS / "abandoned_cart.json", "--db", shop, "--json", "--no-save",
                          "--from", "2025-05-20", "--to", "2025-05-25T00:00Z").stdout.splitlines()[-1])
    assert 0 < part["entered"] < full["entered"]
    assert part["window"] == {"from": 1747699200000, "to": 1748131200000}


def test_compare_prints_both_with_differences(shop, tmp_path):
    flow = json.loads((EXAMPLE_FLOWS / "abandoned_cart.json").read_text())
    flow["nodes"][1]["config"]["duration"] = "PT4H"
    variant = tmp_path / "cart_4h.json"
    variant.write_text(json.dumps(flow))
    proc = run("compare", EXAMPLE_FLOWS / "abandoned_cart.json", variant, "--db", shop)
    assert proc.returncode == 0, proc.stderr
    assert "B - A" in proc.stdout and "n5 (send_email)" in proc.stdout
    data = json.loads(run("compare", EXAMPLE_FLOWS / "abandoned_cart.json", variant, "--db", shop,
                          "--json").stdout.splitlines()[-1])
    assert data["difference"]["sends"] == data["b"]["sends"] - data["a"]["sends"]
    assert data["a"]["entered"] == data["b"]["entered"]


def test_errors_are_one_line_with_exit_codes(shop, tmp_path):
    missing = run("simulate", EXAMPLE_FLOWS / "abandoned_cart.json", "--db", tmp_path / "none.db")
    assert missing.returncode == 2 and "no such store" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert run("simulate", broken, "--db", shop).returncode == 2
    flow = json.loads((EXAMPLE_FLOWS / "abandoned_cart.json").read_text())
    flow["edges"] = [e for e in flow["edges"] if e["from"] != "n3"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(flow))
    proc = run("simulate", bad, "--db", shop)
    assert proc.returncode == 1 and "cannot be simulated: node n4" in proc.stderr
    proc = run("simulate", EXAMPLE_FLOWS / "abandoned_cart.json", "--db", shop, "--from", "yesterday")
    assert proc.returncode == 2 and "--from" in proc.stderr
    proc = run("simulate", EXAMPLE_FLOWS / "abandoned_cart.json", "--db", shop, "--trace", "nobody")
    assert proc.returncode == 2 and "nobody" in proc.stderr


REES46 = """event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session
2019-10-01 08:00:00 UTC,view,1004,2053013555631882655,electronics.smartphone,acme,120.50,501,s1
2019-10-01 08:05:00 UTC,cart,1004,2053013555631882655,electronics.smartphone,acme,120.50,501,s1
2019-10-01 08:10:00 UTC,cart,1005,2053013555631882655,,,80.00,502,s2
2019-10-01 08:20:00 UTC,purchase,1005,2053013555631882655,,,80.00,502,s2
2019-10-01 09:00:00 UTC,cart,1006,2053013555631882655,,acme,15.00,503,s3
2019-10-03 12:00:00 UTC,view,1006,2053013555631882655,,acme,15.00,503,s4
2019-10-03 12:30:00 UTC,purchase,1004,2053013555631882655,electronics.smartphone,acme,120.50,501,s5
"""


def test_simulate_on_a_store_imported_from_a_preset_format(tmp_path):
    # Carts: 501 at 08:05 (no purchase within the hour -> email), 502 at 08:10 (buys at 08:20 -> no
    # email), 503 at 09:00 (no purchase -> email). 501 buys on day 3 at 12:30: two days after the
    # email, inside a 5-day window -> one conversion worth 120.50.
    csv = tmp_path / "rees46.csv"
    csv.write_text(REES46)
    db = tmp_path / "imported.db"
    proc = run("import", csv, "--db", db, "--preset", "rees46")
    assert proc.returncode == 0, proc.stderr
    flow = {"format": "trigger-flow", "version": 1, "id": "cart", "name": "Cart",
            "settings": {"reentry": {"mode": "always"}, "smart_sending": None, "consent": None,
                         "conversion": {"event": "purchase", "value": "price", "window": "P5D"}},
            "nodes": [{"id": "n1", "kind": "trigger", "x": 0, "y": 0, "config": {"event": "add_to_cart"}},
                      {"id": "n2", "kind": "wait_for", "x": 0, "y": 0,
                       "config": {"event": "purchase", "timeout": "PT1H", "end_ports": ["event"]}},
                      {"id": "n3", "kind": "send_email", "x": 0, "y": 0,
                       "config": {"template": "t", "subject": "s"}}],
            "edges": [{"from": "n1", "to": "n2"}, {"from": "n2", "to": "n3", "port": "timeout"}]}
    path = tmp_path / "cart.json"
    path.write_text(json.dumps(flow))
    data = json.loads(run("simulate", path, "--db", db, "--json").stdout.splitlines()[-1])
    assert (data["entered"], data["sends"], data["recipients"]) == (3, 2, 2)
    assert data["nodes"]["n2"]["exits"] == {"event": 1, "timeout": 2}
    assert (data["conversions"], data["revenue"]) == (1, 120.5)


def test_text_and_json_show_channels_rates_bought_before_and_warnings(tmp_path):
    # Two customers: a gets email + webhook + SMS and buys after the SMS; b gets the same and never buys.
    # A 3-day delay after that cannot end in the 1-day window: a warning on it.
    from .tinystore import PLAIN, TinyStore, at, edge, flow, node

    db = tmp_path / "t.db"
    s = TinyStore(db)
    for c in "ab":
        s.event(c, "add_to_cart", at(0, "09:00"))
    s.event("a", "purchase", at(0, "12:00"), price=7)
    s.event("z", "signup", at(1))
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "send_email", template="t", subject="s"),
              node("n3", "webhook", url="https://x.example/h"), node("n4", "send_sms", body="b"),
              node("n5", "delay", duration="P3D"), node("n6", "send_email", template="t", subject="s")],
             [edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4"), edge("n4", "n5"), edge("n5", "n6")],
             {**PLAIN, "conversion": {"event": "purchase", "value": "price", "window": "P1D"}})
    path = tmp_path / "f.json"
    from designer.model import io

    io.save(f, path)
    s.engine.dispose()
    text_out = run("simulate", path, "--db", db, "--no-save")
    assert text_out.returncode == 0, text_out.stderr
    out = text_out.stdout
    assert "messages 4 (email 2, sms 2) to 2 recipients; webhook calls 2" in out
    assert "converting recipients 1, conversion rate 50.0%" in out
    assert "bought before any message 0 journeys (0.0% of entries)" in out
    assert "warning unfinished at n5:" in out
    data = json.loads(run("simulate", path, "--db", db, "--no-save", "--json").stdout.splitlines()[-1])
    assert data["messages_by_channel"] == {"email": 2, "sms": 2, "webhook": 2}
    assert (data["sends"], data["recipients"], data["converting_recipients"], data["conversion_rate"]) == (4, 2, 1, 0.5)
    assert (data["bought_before_message"], data["bought_before_message_share"]) == (0, 0.0)
    assert [(w["node"], w["code"]) for w in data["warnings"]] == [("n5", "unfinished")]
