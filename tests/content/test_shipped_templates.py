"""The shipped templates: every send of every example flow renders fully on the sample shop, CSS inlined."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.content.context import build_context
from designer.content.inline import InlineError, inline_source
from designer.content.message import CHANNELS, Renderer
from designer.content.moment import moment_at, read_customer
from designer.content.templates import SHIPPED, TemplateLibrary, parse_header
from designer.model import io
from designer.model.documents import flow_files
from designer.store.db import open_store
from sqlalchemy import text

FLOWS = flow_files(Path(__file__).resolve().parents[2] / "flows")
SENDS = [(path, node.id) for path in FLOWS for node in io.load(path).nodes.values() if node.kind in CHANNELS]
DAY = 86_400_000


def test_every_email_of_the_examples_has_a_shipped_template():
    for path, node_id in SENDS:
        node = io.load(path).nodes[node_id]
        if node.kind == "send_email":
            assert (SHIPPED / f"{node.config['template']}.html").is_file(), (path.name, node_id)


@pytest.mark.parametrize("path,node_id", SENDS, ids=lambda x: getattr(x, "stem", x))
def test_renders_fully_for_customers_of_the_sample_shop(shop, path, node_id):
    flow = io.load(path)
    node = flow.nodes[node_id]
    trigger = next(n for n in flow.nodes.values() if n.kind == "trigger")
    store = open_store(shop)
    try:
        with store.connect() as conn:
            rows = conn.execute(text(
                "select c.external_id, min(e.time) from events e join customers c on c.id = e.customer_id "
                "where e.name = :n group by c.external_id order by c.external_id limit 5"),
                {"n": trigger.config["event"]}).all()
        assert rows
        lib = TemplateLibrary.for_flow(path)
        renderer = Renderer(lib)
        for cid, first in rows:
            customer = read_customer(store, cid)
            msg = renderer.render(node.kind, node.id, node.config,
                                  build_context(moment_at(flow, node.id, customer, first + 2 * DAY)))
            assert msg.problems == [], (cid, msg.problems)
            if node.kind == "send_email":
                assert msg.subject and msg.preview_text
                assert 'href="{{unsubscribe_url}}"' in msg.html and "{%" not in msg.html
                assert 'class="content" style="' in msg.html  # inlined from email.css
                assert "@media (prefers-color-scheme: dark)" in msg.html  # kept for what cannot be inlined
                if customer.profile.get("first_name"):
                    assert customer.profile["first_name"] in msg.html
                assert msg.text.strip()
        assert lib.notes == {}  # no template lost a tag to inlining
    finally:
        store.dispose()


def test_the_cart_reminder_lists_the_products_of_the_cart(shop):
    flow = io.load(FLOWS[0])
    assert flow.id == "abandoned-cart"
    store = open_store(shop)
    try:
        with store.connect() as conn:
            cid, t = conn.execute(text(
                "select c.external_id, e.time from events e join customers c on c.id = e.customer_id "
                "where e.name = 'add_to_cart' order by e.id limit 1")).one()
            names = [r[0] for r in conn.execute(text(
                "select distinct json_extract(e.properties, '$.product_name') from events e "
                "join customers c on c.id = e.customer_id where c.external_id = :c and e.name = 'add_to_cart' "
                "and json_extract(e.properties, '$.cart_id') = (select json_extract(properties, '$.cart_id') "
                "from events where time = :t and name = 'add_to_cart' and customer_id = c.id)"), {"c": cid, "t": t})]
        customer = read_customer(store, cid)
    finally:
        store.dispose()
    msg = Renderer(TemplateLibrary.for_flow(FLOWS[0])).render(
        "send_email", "n5", flow.nodes["n5"].config, build_context(moment_at(flow, "n5", customer, t + 3_600_000)))
    assert names and all(n in msg.html for n in names)


def test_headers_of_the_shipped_templates():
    for p in SHIPPED.glob("*.html"):
        if not p.name.startswith("_"):
            header = parse_header(p.read_text(encoding="utf-8"))
            assert header.get("title") and header.get("subject") and header.get("preview_text"), p.name


def test_inlining_keeps_jinja_tags_between_rows_in_attributes_and_in_the_title():
    src = ('<!DOCTYPE html><html><head><title>{{ subject }}</title><style>.a{color:red}</style></head><body>'
           '<table><tbody>{% for i in items %}<tr><td class="a"><a href="{{ i.url }}">{{ i.name }}</a></td></tr>'
           '{% endfor %}</tbody></table>{# note #}</body></html>')
    out = inline_source(src)
    assert '<td class="a" style="color: red;">' in out
    assert "<title>{{ subject }}</title>" in out and 'href="{{ i.url }}"' in out
    assert "<tbody>{% for i in items %}<tr>" in out and "{% endfor %}</tbody>" in out and "{# note #}" in out
    assert out.startswith("<!DOCTYPE html>")


def test_inlining_a_fragment_with_an_extra_stylesheet():
    out = inline_source('{% block b %}<p class="x">{{ a }}</p>{% endblock %}', ".x{margin:0}")
    assert out == '{% block b %}<p class="x" style="margin: 0;">{{ a }}</p>{% endblock %}'


def test_a_tag_html_would_drop_is_reported_not_corrupted():
    with pytest.raises(InlineError):
        inline_source('<p><a href="{{ a }}" href="{{ b }}">x</a></p>')  # the parser keeps one of two same attributes
