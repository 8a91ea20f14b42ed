"""Content lint: problems with what the sends of a flow would deliver, for ``validate`` and the Problems dock.

Each send is rendered once for a typical customer (:mod:`designer.content.typical`)
and its output checked; tokens are also checked against what the store can
fill when a store is given (:mod:`designer.content.vocabulary`). All are
warnings: the flow still runs, but the message is probably not what was meant.

Rules (codes): ``template-missing``, ``template-error`` (syntax, sandbox),
``undefined-name`` (a name no message has, with its line), ``unknown-token``
(a name no customer in the store has), ``no-unsubscribe``, ``subject-long``,
``subject-empty``, ``no-preview-text``, ``sms-segments``, ``image-alt``,
``insecure-link``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from jinja2 import nodes

from designer.content.message import CHANNELS, Renderer
from designer.content.sms import segments
from designer.content.templates import TemplateLibrary
from designer.content.typical import typical_context
from designer.content.vocabulary import CART_NAMES, Vocabulary
from designer.model.flow import Flow
from designer.model.kinds import KINDS
from designer.model.validate import WARNING, Problem

SUBJECT_MAX = 60
#: What one SMS segment costs, for the warning's arithmetic (a typical US rate; the ESP's bill decides).
SMS_SEGMENT_COST = 0.0079
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_ALT = re.compile(r"\balt\s*=\s*(\"[^\"]+\"|'[^']+'|[^\s>\"']+)", re.I)
_HREF = re.compile(r"\b(?:href|src)\s*=\s*[\"']([^\"']*)[\"']", re.I)
_SAFE_SCHEMES = ("https://", "mailto:", "tel:", "#", "{{")


def content_problems(flow: Flow, library: TemplateLibrary, vocabulary: Vocabulary | None = None) -> list[Problem]:
    """Every content problem of the flow's sends."""
    out: list[Problem] = []
    renderer = Renderer(library)
    trigger = next((n for n in flow.nodes.values() if n.kind == "trigger"), None)
    trigger_event = trigger.config.get("event") if trigger is not None else None
    for node in flow.nodes.values():
        if node.kind not in CHANNELS:
            continue
        ctx = typical_context(flow, node.id)
        out += _strict(node, library, ctx)
        msg = renderer.render(node.kind, node.id, node.config, ctx)
        if node.kind == "send_email":
            out += _email(node, msg, library, KINDS[node.kind].marketing)
        elif node.kind == "send_sms":
            out += _sms(node, msg)
        if vocabulary is not None:
            out += _tokens(node, library, vocabulary, trigger_event)
    return out


def _p(node, code: str, message: str, path: str | None = None) -> Problem:
    return Problem(WARNING, code, node.id, message, path)


def _strict(node, library: TemplateLibrary, ctx: dict) -> list[Problem]:
    """Problems a real send would hit: missing template, syntax, sandbox, undefined names (with lines)."""
    strict = library if not library.preview else TemplateLibrary(library.folders, library.overrides)
    msg = Renderer(strict).render(node.kind, node.id, node.config, ctx)
    out = []
    for p in msg.problems:
        if p.code == "missing-template":
            out.append(_p(node, "template-missing", f"{p.message}; create templates/{node.config.get('template')}.html "
                          "beside the flow or pick a shipped one", "template"))
        elif p.code == "undefined":
            out.append(_p(node, "undefined-name", f"{p}: a typical customer's message would fail here; "
                          "use a name the message has or give a default ({{ name | default('...') }})"))
        else:
            out.append(_p(node, "template-error", str(p)))
    name = str(node.config.get("template") or "")
    if name and name + ".html" in library.notes:
        out.append(_p(node, "template-error", library.notes[name + ".html"], "template"))
    return out


def _email(node, msg, library: TemplateLibrary, marketing: bool) -> list[Problem]:
    out: list[Problem] = []
    if msg.html:
        if marketing and "{{unsubscribe_url}}" not in msg.html:
            out.append(_p(node, "no-unsubscribe", "a marketing email needs an unsubscribe link: add "
                          "<a href=\"{{ unsubscribe_url }}\">Unsubscribe</a> to the template", "template"))
        for img in _IMG.findall(msg.html):
            if not _ALT.search(img):
                out.append(_p(node, "image-alt", f"an image has no alt text (shown when images are off): {img[:80]}",
                              "template"))
                break
        for link in _HREF.findall(msg.html):
            if link and not link.startswith(_SAFE_SCHEMES):
                out.append(_p(node, "insecure-link", f"link {link[:80]!r} is not https", "template"))
                break
    if not msg.problems or msg.subject:
        if not msg.subject:
            out.append(_p(node, "subject-empty", "the subject is empty", "subject"))
        elif len(msg.subject) > SUBJECT_MAX:
            out.append(_p(node, "subject-long", f"the subject is {len(msg.subject)} characters for a typical customer; "
                          f"inboxes cut it after about {SUBJECT_MAX}", "subject"))
        if not msg.preview_text:
            out.append(_p(node, "no-preview-text", "no preview text: inboxes show the first words of the body "
                          "instead", "preview_text"))
    return out


def _sms(node, msg) -> list[Problem]:
    if msg.problems or not msg.text:
        return []
    seg = segments(msg.text)
    if seg.count <= 1:
        return []
    return [_p(node, "sms-segments", f"the SMS is {seg.describe()} for a typical customer: each message is billed "
               f"as {seg.count} (about ${seg.count * SMS_SEGMENT_COST:.4f} instead of ${SMS_SEGMENT_COST:.4f})",
               "body")]


def _tokens(node, library: TemplateLibrary, vocabulary: Vocabulary, trigger_event: str | None) -> list[Problem]:
    """Names used that no customer in the store can fill."""
    out: list[Problem] = []
    known_top = vocabulary.top_level()
    known_event = vocabulary.event_names(trigger_event)
    for label, source in _sources(node, library):
        try:
            ast = library.text_env.parse(source)
        except Exception:  # syntax problems are reported by the strict render
            continue
        for name, line in _names(ast):
            head, _, attr = name.partition(".")
            if head == "event" and attr and attr not in known_event:
                out.append(_p(node, "unknown-token", f"{label}, line {line}: no {trigger_event or 'trigger'} event "
                              f"in the store has '{attr}', so '{name}' would be missing for every customer"))
            elif head == "cart" and attr and attr not in CART_NAMES:
                out.append(_p(node, "unknown-token", f"{label}, line {line}: the cart has no '{attr}' "
                              f"(it has {', '.join(CART_NAMES)})"))
            elif not attr and head not in known_top:
                out.append(_p(node, "unknown-token", f"{label}, line {line}: no customer in the store has '{head}'"))
    return out


def _sources(node, library: TemplateLibrary) -> Iterator[tuple[str, str]]:
    for key in ("subject", "preview_text", "body"):
        value = node.config.get(key)
        if isinstance(value, str) and value:
            yield f"{node.id} {key.replace('_', ' ')}", value
    name = node.config.get("template")
    if node.kind == "send_email" and name:
        source, _ = library.raw_source(f"{name}.html")
        if source:
            yield f"{name}.html", source


def _names(ast: nodes.Template) -> Iterator[tuple[str, int]]:
    """Context names a template reads (``first_name``, ``event.price``), with their lines; names it
    sets itself (loop variables, ``set``, macro arguments) are left out."""
    local: set[str] = set()
    for n in ast.find_all((nodes.For, nodes.Assign, nodes.Macro, nodes.FromImport, nodes.Import)):
        if isinstance(n, (nodes.For, nodes.Assign)):
            local.update(t.name for t in n.target.find_all(nodes.Name)) if not isinstance(n.target, nodes.Name) \
                else local.add(n.target.name)
        elif isinstance(n, nodes.Macro):
            local.add(n.name)
            local.update(a.name for a in n.args)
        elif isinstance(n, nodes.FromImport):
            local.update(x if isinstance(x, str) else x[1] for x in n.names)
        elif isinstance(n, nodes.Import):
            local.add(n.target)
    seen: set[str] = set()
    for g in ast.find_all(nodes.Getattr):
        if isinstance(g.node, nodes.Name) and g.node.ctx == "load" and g.node.name not in local:
            name = f"{g.node.name}.{g.attr}"
            if name not in seen:
                seen.add(name)
                yield name, g.lineno
    for nm in ast.find_all(nodes.Name):
        if nm.ctx == "load" and nm.name not in local and nm.name not in seen and nm.name not in _GLOBALS:
            seen.add(nm.name)
            yield nm.name, nm.lineno


_GLOBALS = {"range", "loop", "dict", "lipsum", "cycler", "joiner", "namespace", "true", "false", "none",
            "True", "False", "None", "caller", "varargs", "kwargs", "self"}
