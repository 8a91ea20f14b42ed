"""Rendering for hand-made customers: profile, facts, trigger event, cart items, filters; exact output."""

from __future__ import annotations

from designer.content.context import build_context, cart_items, recently_viewed
from designer.content.facts import facts_as_of
from designer.content.filters import format_date, format_money, pluralize
from designer.content.message import Renderer

from tests.content.helpers import DAY, HOUR, NOW, library, moment, render_email

BODY = """{#
subject: {{ first_name }}, your cart
preview_text: {{ cart.items | length | pluralize('item') }} waiting
#}
<p>Hi {{ first_name }} ({{ loyalty_tier | title }}), order {{ order_count }}, {{ total_spent | money }} so far.</p>
{% for item in cart.items %}<li>{{ item.quantity }} x {{ item.product_name }} = {{ item.line_total | money }}</li>
{% endfor %}<p>Total {{ cart.total | money }}; trigger {{ event.product_name }} at {{ event.price }}.</p>
<p>{{ flow.id }}/{{ node.id }} {{ unsubscribe_url }}</p>
"""


def test_email_for_a_hand_made_customer_exactly(tmp_path):
    lib = library(tmp_path, {"cart.html": BODY})
    msg = render_email(lib, "cart")
    assert msg.problems == [] and msg.missing == []
    assert msg.subject == "Ana, your cart"
    assert msg.preview_text == "2 items waiting"
    # The header comment renders to nothing; the cart is k1's adds minus the removed product, not cart "other".
    assert msg.html == (
        "<p>Hi Ana (Gold), order 2, $30.50 so far.</p>\n"
        "<li>1 x Wool Scarf = $25.00</li>\n"
        "<li>2 x Tea Mug = $15.00</li>\n"
        "<p>Total $40.00; trigger Wool Scarf at 25.0.</p>\n"
        "<p>f1/n5 {{unsubscribe_url}}</p>\n"
    )
    assert msg.to == "ana@example.com"
    assert "Hi Ana (Gold)" in msg.text and "2 x Tea Mug = $15.00" in msg.text


def test_node_config_wins_over_template_defaults_and_defaults_fill_the_rest(tmp_path):
    lib = library(tmp_path, {"cart.html": BODY})
    msg = render_email(lib, "cart", subject="For {{ first_name | upper }}")
    assert msg.subject == "For ANA" and msg.preview_text == "2 items waiting"
    assert msg.from_name == "The Shop"


def test_sms_is_not_escaped_and_webhook_body_renders(tmp_path):
    lib = library(tmp_path, {})
    ctx = build_context(moment(profile={"first_name": "Zoë & <Co>", "external_id": "c9"}))
    sms = Renderer(lib).render("send_sms", "n7", {"body": "{{ first_name }}: {{ cart.total | money }}"}, ctx)
    assert sms.text == "Zoë & <Co>: $40.00"
    hook = Renderer(lib).render("webhook", "n6", {"url": "https://x.example/h", "body": '{"c": "{{ external_id }}"}'},
                                ctx)
    assert hook.text == '{"c": "c9"}' and hook.method == "POST"


def test_text_part_from_a_txt_file_when_there_is_one(tmp_path):
    lib = library(tmp_path, {"t.html": "<p>{{ first_name }}</p>", "t.txt": "Plain {{ first_name }} & co"})
    assert render_email(lib, "t").text == "Plain Ana & co"


def test_cart_without_key_is_empty_unless_the_trigger_is_a_cart_event():
    m = moment(entry_key=None, event={"name": "view", "product_id": 7, "time": NOW})
    ctx = build_context(m)
    assert ctx["cart"]["items"] == [] and ctx["cart"]["total"] == 0


def test_cart_of_a_purchase_is_the_cart_it_closed():
    events = [("add_to_cart", 1, {"cart_id": "a", "product_id": 1, "price": 3.0}),
              ("add_to_cart", 2, {"cart_id": "b", "product_id": 2, "price": 4.0}),
              ("purchase", 3, {"cart_id": "a", "price": 3.0})]
    m = moment(entry_key=None, events=events, event={"cart_id": "a", "price": 3.0, "name": "purchase", "time": 3},
               entry_time=3)
    items = build_context(m)["cart"]["items"]
    assert [(i["product_id"], i["quantity"]) for i in items] == [(1, 1)]


def test_cart_same_product_twice_adds_quantity_and_removal_lowers_it():
    events = [("add_to_cart", 1, {"cart_id": "a", "product_id": 1, "price": 2.0}),
              ("add_to_cart", 2, {"cart_id": "a", "product_id": 1, "price": 2.0, "quantity": 2}),
              ("remove_from_cart", 3, {"cart_id": "a", "product_id": 1})]
    (item,) = cart_items(events, "cart_id", "a", since=1)
    assert item["quantity"] == 2 and item["line_total"] == 4.0
    assert cart_items(events, "cart_id", "a", since=2)[0]["quantity"] == 1  # the first add came before entry


def test_recently_viewed_newest_first_each_once():
    events = [("view", 1, {"product_id": 1}), ("view", 2, {"product_id": 2}), ("view", 3, {"product_id": 1}),
              ("add_to_cart", 4, {"product_id": 9})]
    assert [v["product_id"] for v in recently_viewed(events)] == [1, 2]


def test_facts_through_the_engine_match_a_hand_count():
    events = [("view", NOW - 30 * DAY, "{}"), ("purchase", NOW - 20 * DAY, '{"price": 10}'),
              ("purchase", NOW - 5 * DAY, '{"price": 20.5}'), ("purchase", NOW + HOUR, '{"price": 99}')]
    facts = facts_as_of(events, NOW)
    assert facts["order_count"] == 2  # the order after NOW has not happened yet
    assert facts["total_spent"] == 30.5
    assert facts["days_since_last_order"] == 5.0
    assert facts["days_since_first_seen"] == 30.0


def test_filters():
    assert format_money(1234.5) == "$1,234.50"
    assert format_money(1234.5, "EUR") == "€1,234.50"
    assert format_money(1500, "JPY") == "¥1,500"
    assert format_money(-3, "XYZ") == "-XYZ 3.00"
    assert format_money("n/a") == "n/a"
    # 2025-05-01T12:00Z is 21:00 in Tokyo and 08:00 in New York.
    assert format_date(NOW, "%Y-%m-%d %H:%M", "Asia/Tokyo") == "2025-05-01 21:00"
    assert format_date(NOW, "%H:%M", "America/New_York") == "08:00"
    assert format_date(NOW, "%H:%M", "Not/AZone") == "12:00"
    assert format_date("2025-05-01T23:30:00Z", "%d %b", "Asia/Tokyo") == "02 May"
    assert pluralize(1, "item") == "1 item" and pluralize(3, "item") == "3 items"
    assert pluralize(2, "child", "children") == "2 children" and pluralize(2) == "s"


def test_date_filter_uses_the_customers_zone(tmp_path):
    lib = library(tmp_path, {"d.html": "{{ now | date('%H:%M') }}"})
    assert render_email(lib, "d").html == "21:00"


def test_dynamic_blocks(tmp_path):
    src = "{% if order_count >= 2 %}VIP{% else %}new{% endif %}{% for v in viewed %} {{ v.product_name }}{% endfor %}"
    lib = library(tmp_path, {"b.html": src})
    assert render_email(lib, "b").html == "VIP Old Lamp"
    m = moment(facts={"order_count": 0, "total_spent": 0.0, "days_since_last_order": None,
                      "days_since_first_seen": 1.0})
    assert render_email(lib, "b", m).html == "new Old Lamp"


def test_card_summary_is_the_subject_rendered_for_a_typical_customer():
    from designer.content.typical import rendered_summary

    config = {"template": "cart_reminder", "subject": "{{ first_name | default('Hi') }}, you left something behind"}
    assert rendered_summary("send_email", config) == "Alex, you left something behind"
    # A subject that does not render shows the template's title, never raw jinja.
    assert rendered_summary("send_email", {"template": "cart_reminder", "subject": "{{ nickname }}"}) == "Cart reminder"
    assert rendered_summary("send_sms", {"body": "Hi {{ first_name }}"}) == "Hi Alex"
    assert rendered_summary("delay", {"duration": "PT1H"}) is None
