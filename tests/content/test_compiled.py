"""Templates compiled merged with their layout and macros give the messages jinja gives for them as written.

The reference is the same sandboxed environment compiling templates the way
jinja writes them (``optimise=False``): each case renders both ways and compares,
and checks that the merge happened (or was rightly left alone), so a merge that
changes a message fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from markupsafe import Markup, escape

from designer.content.compiled import escape_text
from designer.content.context import build_context
from designer.content.message import Renderer
from designer.content.sandbox import RenderError, render_bounded
from designer.content.templates import SHIPPED, TemplateLibrary

from tests.content.helpers import NOW, moment


def both(folders: list[Path], *, preview: bool = False) -> tuple[TemplateLibrary, TemplateLibrary]:
    return (TemplateLibrary(list(folders), preview=preview),
            TemplateLibrary(list(folders), preview=preview, optimise=False))


def folder(tmp_path: Path, files: dict[str, str]) -> Path:
    d = tmp_path / "templates"
    d.mkdir(exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def compiled_source(lib: TemplateLibrary, name: str) -> str:
    env = lib.html_env
    source, filename, _ = env.loader.get_source(env, name)
    return env.compile(source, name, filename, raw=True)


def customers() -> list[dict]:
    """Ana with a cart of two; a name and a product that need escaping; no name and no cart."""
    ana = moment()
    tricky = moment(profile={"first_name": "<script>alert(1)</script>", "external_id": "c2", "email": "t@x.example"})
    tricky.events = [(n, t, {**p, "product_name": 'Tea "Mug" & <b>'} if p.get("product_id") == 2 else p)
                     for n, t, p in tricky.events]
    empty = moment(profile={"external_id": "c3"}, events=[], event={"name": "add_to_cart", "cart_id": "z",
                                                                      "time": NOW})
    return [build_context(m) for m in (ana, tricky, empty)]


def render(lib: TemplateLibrary, template: str, ctx: dict):
    msg = Renderer(lib).render("send_email", "n5", {"template": template}, ctx)
    return msg.html, [(p.code, p.line, p.name) for p in msg.problems], msg.missing


@pytest.mark.parametrize("preview", [False, True])
def test_every_shipped_template_renders_byte_for_byte_as_written(preview):
    mine, reference = both([SHIPPED], preview=preview)
    names = mine.names()
    assert "cart_reminder" in names and len(names) >= 10
    for name in names:
        for ctx in customers():
            assert render(mine, name, ctx) == render(reference, name, ctx), name


def test_the_cart_reminder_is_one_function_with_the_customers_values_escaped():
    lib = TemplateLibrary([SHIPPED])
    code = compiled_source(lib, "cart_reminder.html")
    assert "get_template" not in code and "make_module" not in code and "Macro(" not in code
    ana, tricky, empty = (render(lib, "cart_reminder", c)[0] for c in customers())
    assert "Hi Ana, your cart is saved. Here is what is in it:</p>" in ana
    assert ana.count('<tr>\n<td class="item-cell"') == 2
    assert 'alt="Wool Scarf"' in ana and ">Tea Mug</a>" in ana and "qty 2" in ana and "$7.50" in ana
    assert "Total $40.00</p>" in ana and 'href="https://shop.example/cart?id=k1"' in ana
    assert ">Return to your cart</a>" in ana and 'href="{{unsubscribe_url}}"' in ana
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;, your cart" in tricky and "<script>" not in tricky
    assert 'alt="Tea &#34;Mug&#34; &amp; &lt;b&gt;"' in tricky and ">Tea &#34;Mug&#34; &amp; &lt;b&gt;</a>" in tricky
    assert "Hi there, your cart is saved. </p>" in empty and 'class="item-cell"' not in empty
    assert "Total" not in empty


def test_prices_in_the_product_list_are_in_the_shops_currency():
    lib = TemplateLibrary([SHIPPED])
    html = Renderer(lib).render("send_email", "n5", {"template": "cart_reminder"},
                                build_context(moment(), currency="EUR")).html
    assert "€25.00" in html and "€7.50" in html and "Total €40.00" in html and "$" not in html


LAYOUT = "<h1>{{ shop_name }}</h1>\n{% block main %}default{% endblock %}\n<p>{{ nope | default('end') }}</p>\n"
PARTS = ('{% macro tag(label, n=2) %}<b>{{ label }}</b>{% for label in ["x"] %}{{ label }}{% endfor %}{{ n }}'
         '{% endmacro %}{% macro price(v) %}{{ v | money }}{% endmacro %}{% macro greet() %}{{ first_name }}'
         '{% endmacro %}{% macro peek(x) %}{{ x.__class__ }}{% endmacro %}')
CASES = {
    # merged: the layout and the macros written out
    "merged.html": ('{% extends "layout.html" %}{% from "parts.html" import tag, price with context %}'
                    '{% block main %}{{ tag("<i>") }}|{{ tag(n=3, label=first_name) }}|{{ price(cart.total) }}'
                    '{% set local = 1 %}{{ local }}{% endblock %}'),
    # three levels: the child overrides a block its layout added and one the layout's layout has
    "grand.html": '{% extends "mid.html" %}{% block inner %}child{% endblock %}',
    "grand_main.html": '{% extends "mid.html" %}{% block main %}over{% endblock %}',
    # a block set stays in the block
    "scoped.html": ('{% extends "plain.html" %}{% block a %}{% set x = 1 %}{{ x }}{% endblock %}'),
    # a block inside a loop cannot see the loop variable, merged or not
    "loop_child.html": '{% extends "loop.html" %}{% block a %}{{ x | default("none") }}{% endblock %}',
    # left alone: super()
    "super.html": '{% extends "layout.html" %}{% block main %}[{{ super() }}]{% endblock %}',
    # without context, money inside the macro does not see the shop's currency (as jinja has it)
    "no_context.html": '{% from "parts.html" import price %}{{ price(cart.total) }}',
    # a macro reading a name it was not given: still missing, with its line
    "free_name.html": '{% from "parts.html" import greet %}\n{{ greet() }}',
    # a call before the import: jinja says the macro is missing
    "too_early.html": '{{ tag("a") }}{% from "parts.html" import tag %}',
    # a missing name in a merged layout is reported on the layout's line
    "missing.html": '{% extends "strict.html" %}{% block main %}x{% endblock %}',
    # the sandbox still checks attributes inside a merged macro
    "unsafe.html": '{% from "parts.html" import peek %}{{ peek(cart) }}',
}
FILES = {
    "layout.html": LAYOUT, "parts.html": PARTS,
    "loop.html": '{% for x in [1, 2] %}{% block a %}{% endblock %}{% endfor %}{{ x | default("after") }}',
    "mid.html": '{% extends "layout.html" %}{% block main %}<{% block inner %}mid{% endblock %}>{% endblock %}',
    "plain.html": '{% block a %}{% endblock %}{{ x | default("none") }}',
    "strict.html": "<p>\n{% block main %}{% endblock %}\n{{ no_such_name }}</p>",
    **CASES,
}


@pytest.mark.parametrize("preview", [False, True])
def test_merged_and_unmerged_cases_match_jinja_as_written(tmp_path, preview):
    mine, reference = both([folder(tmp_path, FILES)], preview=preview)
    for name in CASES:
        for ctx in customers():
            ctx = {**ctx, "currency": "EUR"}
            assert render(mine, name[:-5], ctx) == render(reference, name[:-5], ctx), name


def test_what_is_merged_and_what_it_renders(tmp_path):
    lib = TemplateLibrary([folder(tmp_path, FILES)])
    ana = {**customers()[0], "currency": "EUR"}
    assert render(lib, "merged", ana)[0] == "<h1>The Shop</h1>\n<b>&lt;i&gt;</b>x2|<b>Ana</b>x3|€40.001<p>end</p>\n"
    assert "get_template" not in compiled_source(lib, "merged.html")
    assert render(lib, "grand", ana)[0] == "<h1>The Shop</h1>\n<child><p>end</p>\n"
    assert render(lib, "grand_main", ana)[0] == "<h1>The Shop</h1>\nover<p>end</p>\n"
    assert "get_template" not in compiled_source(lib, "grand.html")
    assert render(lib, "scoped", ana)[0] == "1none"
    assert "get_template" not in compiled_source(lib, "scoped.html")
    assert render(lib, "loop_child", ana)[0] == "nonenoneafter"
    assert "get_template" not in compiled_source(lib, "loop_child.html")  # merged, the block still a block
    assert render(lib, "super", ana)[0] == "<h1>The Shop</h1>\n[default]<p>end</p>\n"
    assert render(lib, "no_context", ana)[0] == "$40.00"
    assert "get_template" in compiled_source(lib, "no_context.html")
    assert render(lib, "free_name", ana)[1] == [("undefined", 1, "first_name")]
    assert render(lib, "too_early", ana)[1] == [("undefined", 1, "tag")]
    assert render(lib, "missing", ana)[1] == [("undefined", 3, "no_such_name")]
    assert "get_template" not in compiled_source(lib, "missing.html")
    assert render(lib, "unsafe", ana)[1][0][0] == "unsafe"
    assert "get_template" not in compiled_source(lib, "unsafe.html")


def test_a_template_of_text_only_is_its_text_within_the_size_limit():
    lib = TemplateLibrary([SHIPPED])
    text = lib.string("Your cart is saved for you", html=False, label="preview")
    assert text.constant == "Your cart is saved for you"
    assert render_bounded(lib.text_env, text, {}) == "Your cart is saved for you"
    with pytest.raises(RenderError, match="passed 5 characters"):
        render_bounded(lib.text_env, text, {}, max_output=5)
    assert lib.string("Hi {{ first_name }}", html=False, label="subject").constant is None
    assert lib.string("{% if true %}x{% endif %}", html=False, label="subject").constant is None


@given(st.one_of(st.text(), st.integers(), st.floats(allow_nan=False), st.none(), st.booleans(),
                 st.text().map(Markup)))
def test_escape_text_is_markupsafes_escaping(value):
    assert escape_text(value) == str(escape(value))


# -- any layout, child and parts file: merged or not, the same message as jinja gives -------------

_PIECES = ["text ", "{{ shop_name }}", "{{ first_name }}", "{{ v | default('-') }}", "{% set v = 'S' %}",
           "{% if cart.items %}I{% else %}E{% endif %}", "{% for i in [1, 2] %}{{ i }}{{ v | default('') }}{% endfor %}",
           "{{ m1(cart.total) }}", "{{ m2(label='<x>') }}", "{{ m2(first_name, 3) }}", "{{ m3() }}", "{{ m4('c') }}{{ m4(v) }}", "\n"]


def _body(draw, depth: int, blocks: list[str], *, child: bool) -> str:
    parts = draw(st.lists(st.sampled_from(_PIECES + (["{{ super() }}"] if child else [])), max_size=4))
    if depth < 2:
        for name in draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True)):
            if name not in blocks:
                blocks.append(name)
                inner = _body(draw, depth + 1, blocks, child=child)
                wrap = draw(st.sampled_from(["{0}", "{{% for k in [0] %}}{0}{{% endfor %}}", "{{% if true %}}{0}{{% endif %}}"]))
                parts.insert(draw(st.integers(0, len(parts))), wrap.format(f"{{% block {name} %}}{inner}{{% endblock %}}"))
    return "".join(parts)


@st.composite
def template_sets(draw) -> dict[str, str]:
    imports = draw(st.sampled_from(['{% from "p.html" import m1, m2, m3, m4 %}', '{% from "p.html" import m1, m2, m3, m4 with context %}',
                                    '{% from "p.html" import m2 as m1, m2, m3, m4 with context %}']))
    p = ("{% macro m1(x) %}[{{ x | money }}]{% endmacro %}"
         "{% macro m2(label, n=2) %}<{{ label }}{% for i in [1, 2, 3][:n] %}.{{ loop.index }}{% endfor %}>{% endmacro %}"
         "{% macro m4(label) %}{% for label in ['y'] %}{{ label }}{% endfor %}{{ label }}{% endmacro %}"
         + draw(st.sampled_from(["{% macro m3() %}{{ first_name }}{% endmacro %}", "{% macro m3() %}m3{% endmacro %}"])))
    blocks: list[str] = []
    layout = imports + _body(draw, 0, blocks, child=False)
    names = draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True))
    used = list(names)  # a block name once in a file
    child_blocks = "".join(f"{{% block {name} %}}{_body(draw, 1, used, child=True)}{{% endblock %}}" for name in names)
    mid = draw(st.sampled_from(["", '{% extends "l.html" %}' + imports + "{% block a %}(mid {% block b %}{% endblock %}){% endblock %}"]))
    files = {"p.html": p, "l.html": layout, "t.html": '{% extends "' + ("m.html" if mid else "l.html") + '" %}' + imports
             + child_blocks}
    if mid:
        files["m.html"] = mid
    return files


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(template_sets())
def test_any_layout_and_parts_render_as_jinja_writes_them(files):
    mine = TemplateLibrary([], overrides=files)
    reference = TemplateLibrary([], overrides=files, optimise=False)
    for ctx in customers()[:2] + [customers()[2]]:
        ctx = {**ctx, "currency": "EUR"}
        assert render(mine, "t", ctx) == render(reference, "t", ctx), files
