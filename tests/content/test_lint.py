"""Every content lint rule fires on a send made to break it, and stays quiet on the shipped flows."""

from __future__ import annotations

from pathlib import Path

import pytest

from designer.content.lint import content_problems
from designer.content.sms import segments
from designer.content.templates import TemplateLibrary
from designer.content.vocabulary import Vocabulary, read_vocabulary
from designer.model import io
from designer.model.documents import flow_files
from designer.model.flow import Edge, Flow, Node
from designer.store.db import open_store

from tests.content.helpers import library

FLOWS = Path(__file__).resolve().parents[2] / "flows"
GOOD = ('<p>Hi {{ first_name }}</p><img src="https://x.example/a.png" alt="A"><a href="https://x.example">x</a>'
        '<a href="{{ unsubscribe_url }}">Unsubscribe</a>')


def flow_with(kind: str, **config) -> Flow:
    f = Flow("f", "F")
    f.add_node(Node("t", "trigger", config={"event": "add_to_cart", "key": "cart_id"}))
    f.add_node(Node("s", kind, config=config))
    f.add_edge(Edge("t", "s"))
    return f


def codes(flow: Flow, lib: TemplateLibrary, vocab: Vocabulary | None = None) -> list[str]:
    return [p.code for p in content_problems(flow, lib, vocab)]


def email(tmp_path, body: str = GOOD, **config) -> tuple[Flow, TemplateLibrary]:
    lib = library(tmp_path, {"m.html": body})
    cfg = {"template": "m", "subject": "Your cart", "preview_text": "Saved for you", **config}
    return flow_with("send_email", **cfg), lib


def test_a_good_email_is_quiet(tmp_path):
    assert codes(*email(tmp_path)) == []


@pytest.mark.parametrize("path", flow_files(FLOWS), ids=lambda p: p.stem)
def test_the_shipped_flows_are_quiet_on_the_sample_shop(path, shop):
    flow = io.load(path)
    store = open_store(shop)
    try:
        vocab = read_vocabulary(store)
    finally:
        store.dispose()
    assert "product_name" in vocab.events["view"] and "loyalty_tier" in vocab.profile
    assert content_problems(flow, TemplateLibrary.for_flow(path), vocab) == []


def test_missing_template(tmp_path):
    flow, lib = email(tmp_path, template="nope")
    assert codes(flow, lib) == ["template-missing"]


def test_syntax_error_names_the_line(tmp_path):
    flow, lib = email(tmp_path, body="<p>ok</p>\n{% if %}")
    (p,) = content_problems(flow, lib)
    assert p.code == "template-error" and "m.html, line 2" in p.message


def test_undefined_name_with_its_line(tmp_path):
    flow, lib = email(tmp_path, body=GOOD + "\n\n{{ event.colour }}")
    problems = content_problems(flow, lib)
    assert [p.code for p in problems] == ["undefined-name"]
    assert "m.html, line 3" in problems[0].message and "event.colour" in problems[0].message


def test_token_no_customer_in_the_store_has(tmp_path):
    body = GOOD + "\n{{ event.product_name | default('') }} {{ cart.colour | default('') }} {{ nickname | default('') }}"
    flow, lib = email(tmp_path, body=body)
    vocab = Vocabulary(profile={"country"}, events={"add_to_cart": {"cart_id", "product_id", "price"}})
    problems = [p for p in content_problems(flow, lib, vocab)]
    assert [p.code for p in problems] == ["unknown-token"] * 3
    assert "'event.product_name'" in problems[0].message and "line 2" in problems[0].message
    # The same template on a store whose cart events carry names: quiet about the event.
    vocab.events["add_to_cart"].add("product_name")
    vocab.profile.add("nickname")
    assert codes(flow, lib, vocab) == ["unknown-token"]  # cart.colour is never a cart name


def test_marketing_email_without_unsubscribe(tmp_path):
    flow, lib = email(tmp_path, body="<p>Hi {{ first_name }}</p>")
    assert codes(flow, lib) == ["no-unsubscribe"]


@pytest.mark.parametrize("subject,code", [("", "subject-empty"), ("x" * 61, "subject-long"),
                                          ("{{ first_name }}, " + "y" * 55, "subject-long")])
def test_subject_empty_or_too_long(tmp_path, subject, code):
    flow, lib = email(tmp_path, subject=subject)
    assert codes(flow, lib) == [code]


def test_subject_of_sixty_is_fine(tmp_path):
    flow, lib = email(tmp_path, subject="x" * 60)
    assert codes(flow, lib) == []


def test_missing_preview_text_and_template_default_counts(tmp_path):
    flow, lib = email(tmp_path, preview_text="")
    assert codes(flow, lib) == ["no-preview-text"]
    flow, lib = email(tmp_path, body="{#\npreview_text: From the header\n#}\n" + GOOD, preview_text="")
    assert codes(flow, lib) == []


def test_image_without_alt_and_insecure_link(tmp_path):
    flow, lib = email(tmp_path, body=GOOD + '<img src="https://x.example/b.png">')
    assert codes(flow, lib) == ["image-alt"]
    flow, lib = email(tmp_path, body=GOOD + '<a href="http://x.example/">x</a>')
    assert codes(flow, lib) == ["insecure-link"]


def test_sms_segments_and_cost():
    one = flow_with("send_sms", body="x" * 160)
    assert codes(one, TemplateLibrary([])) == []
    two = flow_with("send_sms", body="{{ first_name }} " + "x" * 160)
    (p,) = content_problems(two, TemplateLibrary([]))
    assert p.code == "sms-segments" and "2 segments" in p.message and "billed as 2" in p.message


def test_segment_counts_by_hand():
    assert (segments("a" * 160).count, segments("a" * 161).count) == (1, 2)
    assert segments("a" * 306).count == 2 and segments("a" * 307).count == 3  # 153 per part
    assert segments("€" * 80).units == 160 and segments("€" * 80).count == 1  # extended GSM counts twice
    assert segments("é" * 70).encoding == "GSM-7"
    assert (segments("ę" * 70).encoding, segments("ę" * 70).count) == ("UCS-2", 1)
    assert segments("ę" * 71).count == 2 and segments("😀" * 35).units == 70
