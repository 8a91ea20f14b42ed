"""``render``: the abandoned-cart email for a customer who got it, as HTML, text and a parseable .eml."""

from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import text

from designer.cli import main
from designer.engine.simulate import simulate
from designer.model import io
from designer.store.db import open_store

FLOW = str(Path(__file__).resolve().parents[2] / "flows" / "abandoned_cart.json")


@pytest.fixture(scope="module")
def recipient(shop):
    """A customer the backtest sent n5 to, with their first such journey's cart event (read by SQL)."""
    flow = io.load(FLOW)
    store = open_store(shop)
    try:
        with store.connect() as conn:
            candidates = [r[0] for r in conn.execute(text(
                "select distinct c.external_id from customers c join events e on e.customer_id = c.id "
                "where c.consent = 1 and e.name = 'add_to_cart' order by c.external_id"))]
        for cid in candidates:
            trace = simulate(flow, store, trace_customer=cid, save=False, workers=1).trace
            entered = {s.journey: s.time for s in trace if s.what == "entered"}
            sent = [s for s in trace if s.node == "n5" and s.what == "sent"]
            if sent:
                with store.connect() as conn:
                    first_name, props = conn.execute(text(
                        "select c.first_name, e.properties from events e join customers c on c.id = e.customer_id "
                        "where c.external_id = :c and e.name = 'add_to_cart' and e.time = :t"),
                        {"c": cid, "t": entered[sent[0].journey]}).one()
                return cid, first_name, json.loads(props)
    finally:
        store.dispose()
    pytest.fail("no recipient of n5 in the sample shop")


def test_html_has_the_customers_name_and_the_product_of_their_cart_event(shop, recipient, capsysbinary):
    cid, first_name, cart_event = recipient
    assert main(["render", FLOW, "--node", "n5", "--db", str(shop), "--customer", cid, "--format", "html"]) == 0
    html = capsysbinary.readouterr().out.decode()
    assert html.startswith("<!DOCTYPE html>")
    assert f"Hi {first_name}," in html and f"<title>{first_name}, you left something behind</title>" in html
    assert cart_event["product_name"] in html and cart_event["url"] in html
    assert 'style="' in html  # the stylesheet was inlined
    assert 'href="{{unsubscribe_url}}"' in html


def test_eml_reads_back_as_multipart_alternative(shop, recipient, tmp_path, capsys):
    cid, first_name, cart_event = recipient
    out = tmp_path / "m.eml"
    assert main(["render", FLOW, "--node", "n5", "--db", str(shop), "--customer", cid, "--format", "eml",
                 "--out", str(out)]) == 0
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == f"{first_name}, you left something behind"
    assert msg["From"] == "The Shop <hello@shop.example>" and "@example." in msg["To"]
    assert msg["Date"] is not None and msg["Message-ID"]
    plain, html = list(msg.iter_parts())
    assert plain.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert first_name in plain.get_content() and cart_event["product_name"] in plain.get_content()
    assert cart_event["product_name"] in html.get_content()


def test_text_format_has_the_inbox_line(shop, recipient, capsysbinary):
    cid, first_name, _ = recipient
    assert main(["render", FLOW, "--node", "n5", "--db", str(shop), "--customer", cid, "--format", "text"]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert out.splitlines()[2] == f"Subject: {first_name}, you left something behind"
    assert "Preview: Your cart is saved for you" in out


def test_at_a_moment_uses_the_latest_trigger_event_before_it(shop, recipient, capsysbinary):
    cid, first_name, _ = recipient
    assert main(["render", FLOW, "--node", "n5", "--db", str(shop), "--customer", cid, "--at", "2099-01-01"]) == 0
    assert first_name in capsysbinary.readouterr().out.decode()


@pytest.mark.parametrize("args,needle", [
    (["--customer", "nobody"], "no customer 'nobody'"),
    (["--node", "n99"], "no node 'n99' (sends: n5, n10, n11)"),
    (["--node", "n2"], "is a delay, not a send"),
    (["--db", "/nonexistent/shop.db"], "no such store"),
])
def test_not_found_exits_2_with_a_message(shop, recipient, capsys, args, needle):
    base = {"--node": "n5", "--db": str(shop), "--customer": recipient[0]}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = ["render", FLOW] + [x for kv in base.items() for x in kv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_missing_flow_file_exits_2(shop, capsys):
    assert main(["render", "/nonexistent.json", "--node", "n5", "--db", str(shop), "--customer", "c1"]) == 2


def test_template_problems_exit_1_naming_each_with_its_line(shop, recipient, tmp_path, capsys):
    data = json.loads(Path(FLOW).read_text(encoding="utf-8"))
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "cart_reminder.html").write_text("<p>{{ first_name }}</p>\n<p>{{ event.colour }}</p>",
                                                               encoding="utf-8")
    flow = tmp_path / "flow.json"
    flow.write_text(json.dumps(data), encoding="utf-8")
    assert main(["render", str(flow), "--node", "n5", "--db", str(shop), "--customer", recipient[0]]) == 1
    err = capsys.readouterr().err
    assert "cart_reminder.html, line 2: 'event.colour' is not in this message's context" in err
    assert "Traceback" not in err


def test_money_is_written_in_the_stores_currency(shop, recipient, tmp_path, capsysbinary):
    import sqlite3

    from designer.content.filters import format_money
    from designer.store.settings import set_store_currency

    copy = tmp_path / "eur.db"
    with sqlite3.connect(shop) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    set_store_currency(str(copy), "EUR")
    cid, _, cart_event = recipient
    assert main(["render", FLOW, "--node", "n5", "--db", str(copy), "--customer", cid, "--format", "html"]) == 0
    html = capsysbinary.readouterr().out.decode()
    total = next(line for line in html.splitlines() if "Total" in line)
    assert "€" in total and "$" not in total
    assert format_money(cart_event["price"], "EUR") in html  # the product line too
