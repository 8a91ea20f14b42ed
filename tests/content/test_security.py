"""Templates cannot reach Python internals or files, customer data is escaped in HTML, rendering is bounded."""

from __future__ import annotations

import pytest

from designer.content.context import build_context
from designer.content.message import Renderer
from designer.content.sandbox import MessageEnvironment, RenderError, render_bounded

from tests.content.helpers import library, moment, render_email

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ range.__globals__ }}",
    "{{ event.__class__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ (first_name|attr('__class__')) }}",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_sandbox_escapes_fail_with_a_clear_message(tmp_path, source):
    lib = library(tmp_path, {"x.html": "line one\n" + source})
    msg = render_email(lib, "x")
    assert msg.html == ""
    (problem,) = msg.problems
    assert problem.code == "unsafe", problem
    assert "not allowed in a template" in problem.message and "unsafe" in problem.message
    assert problem.line == 2


def test_immutable_sandbox_refuses_mutating_the_context(tmp_path):
    lib = library(tmp_path, {"x.html": "{{ cart.items.append(1) }}{{ profile.update({'a': 1}) }}"})
    (problem,) = render_email(lib, "x").problems
    assert problem.code == "unsafe"


@pytest.mark.parametrize("source", ["{% include '/etc/passwd' %}", "{% include '../../../../etc/passwd' %}",
                                    "{% extends '../secret.html' %}"])
def test_templates_cannot_read_files_outside_their_folders(tmp_path, source):
    (tmp_path / "secret.html").write_text("SECRET", encoding="utf-8")
    lib = library(tmp_path, {"x.html": source})
    msg = render_email(lib, "x")
    assert "SECRET" not in msg.html and "root:" not in msg.html
    assert [p.code for p in msg.problems] == ["missing-template"]


def test_a_script_in_a_first_name_is_escaped_in_html_and_kept_in_the_subject(tmp_path):
    lib = library(tmp_path, {"x.html": "<p>Hi {{ first_name }}</p><a href=\"{{ event.url }}\">x</a>"})
    m = moment(profile={"first_name": "<script>alert(1)</script>", "external_id": "c1"},
               event={"url": 'javascript:"><script>', "name": "add_to_cart", "cart_id": "k1", "time": 0})
    msg = render_email(lib, "x", m, subject="Hi {{ first_name }}")
    assert "<script>" not in msg.html
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;" in msg.html
    assert 'href="javascript:&#34;&gt;&lt;script&gt;"' in msg.html
    assert msg.subject == "Hi <script>alert(1)</script>"  # a header is text; the preview escapes it when shown


@pytest.mark.parametrize("body,limits,says", [
    ("xxxxxxxxxx", {"max_output": 100_000}, "100,000 characters"),  # a huge loop: stopped on size
    ("", {"max_seconds": 0.05}, "too long"),  # a loop with no output: stopped on time
])
def test_a_huge_loop_fails_cleanly(body, limits, says):
    env = MessageEnvironment(html=False)
    tpl = env.from_string("{% for i in range(10000) %}{% for j in range(10000) %}" + body + "{% endfor %}{% endfor %}")
    with pytest.raises(RenderError) as info:
        render_bounded(env, tpl, {}, **limits)
    assert info.value.problem.code == "limit" and says in info.value.problem.message


def test_a_range_too_large_is_refused_at_once():
    env = MessageEnvironment(html=False)
    with pytest.raises(RenderError) as info:
        render_bounded(env, env.from_string("{% for i in range(10**9) %}{% endfor %}"), {})
    assert "range of 1,000,000,000 items" in info.value.problem.message


def test_limits_end_with_the_render_the_environment_serves_the_next_one():
    env = MessageEnvironment(html=False)
    with pytest.raises(RenderError):
        render_bounded(env, env.from_string("{% for i in range(5000) %}x{% endfor %}"), {}, max_output=10)
    assert render_bounded(env, env.from_string("{{ a }}"), {"a": "fine"}) == "fine"


def test_undefined_names_are_problems_with_their_dotted_name_and_line(tmp_path):
    lib = library(tmp_path, {"x.html": "<p>{{ first_name }}</p>\n<p>{{ cart.total }}</p>\n<p>{{ event.colour }}</p>"})
    (problem,) = render_email(lib, "x").problems
    assert problem.code == "undefined"
    assert problem.name == "event.colour" and problem.line == 3 and problem.template == "x.html"
    assert str(problem) == "x.html, line 3: 'event.colour' is not in this message's context"


def test_undefined_top_level_name_and_in_subject(tmp_path):
    lib = library(tmp_path, {"x.html": "ok"})
    msg = render_email(lib, "x", subject="{{ nickname }}!")
    (problem,) = msg.problems
    assert problem.name == "nickname" and problem.template == "n5 subject" and problem.line == 1


@pytest.mark.parametrize("source", ["{% if event.colour == 'red' %}x{% endif %}", "{% for x in wishlist %}{% endfor %}",
                                    "{{ event.colour | upper }}", "{{ 'a' ~ coupon }}"])
def test_a_missing_name_is_never_a_silent_blank(tmp_path, source):
    lib = library(tmp_path, {"x.html": source})
    assert [p.code for p in render_email(lib, "x").problems] == ["undefined"]


def test_default_and_is_defined_still_work_for_missing_names(tmp_path):
    lib = library(tmp_path, {"x.html": "{{ nickname | default('friend') }} {{ 'y' if event.colour is defined else 'n' }}"})
    msg = render_email(lib, "x")
    assert msg.problems == [] and msg.html == "friend n"


def test_preview_marks_missing_names_instead_of_failing(tmp_path):
    lib = library(tmp_path, {"x.html": "<p>{{ first_name }} {{ event.colour }}</p>{% for x in wishlist %}{% endfor %}"},
                  preview=True)
    msg = Renderer(lib).render("send_email", "n5", {"template": "x"}, build_context(moment()))
    assert msg.problems == []
    assert msg.missing == ["event.colour", "wishlist"]
    assert '<mark class="missing"' in msg.html and "[missing: event.colour]" in msg.html and "Ana" in msg.html


def test_preview_still_refuses_unsafe_access(tmp_path):
    lib = library(tmp_path, {"x.html": "{{ ''.__class__ }}"}, preview=True)
    msg = Renderer(lib).render("send_email", "n5", {"template": "x"}, build_context(moment()))
    assert [p.code for p in msg.problems] == ["unsafe"]
