"""CSS inlining of a template's *source*, done once when the template loads.

Email clients (Gmail, Outlook) drop or ignore ``<style>`` rules, so every style
must sit in the element's ``style`` attribute. Authors write classes and a
stylesheet; :func:`inline_source` applies them with css-inline (a well-kept
Rust inliner) before jinja compiles the template, so rendering pays nothing.

Jinja tags are shielded from the HTML parser first: each becomes an HTML
comment (a comment may stand anywhere, even between table rows, where text
would be moved out of the table), or plain-letter markers inside a tag (an
attribute value) or a text-only element (``<title>``), and all are put back after.
A tag the parser lost means inlining would corrupt the template: the source
is then used as written and :class:`InlineError` says so. A loop over table
rows belongs inside an explicit ``<tbody>`` (the parser adds one after the
loop's tag otherwise).
"""

from __future__ import annotations

import re

import css_inline

_TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}|\{\{.*?\}\}", re.S)


class InlineError(Exception):
    """The template could not be inlined without losing its jinja tags."""


def inline_source(source: str, css: str = "") -> str:
    """``source`` with ``css`` and its own ``<style>`` rules inlined; ``<style>`` blocks are kept
    for what cannot be inlined (media queries: mobile widths and dark mode)."""
    tags: list[str] = []
    pieces: list[str] = []
    done = 0
    for m in _TAG.finditer(source):
        pieces.append(source[done:m.start()])
        done = m.end()
        so_far = "".join(pieces)
        tags.append(m.group(0))
        i = len(tags) - 1
        pieces.append(f"JX{i}XJ" if _in_tag_or_text_element(so_far) else f"<!--JT{i}-->")
    pieces.append(source[done:])
    shielded = "".join(pieces)
    whole = re.search(r"<html[\s>]", source, re.I) is not None
    try:
        if whole:
            out = css_inline.inline(shielded, keep_style_tags=True, extra_css=css or None,
                                    load_remote_stylesheets=False)
        else:
            out = css_inline.inline_fragment(shielded, css, load_remote_stylesheets=False)
    except (ValueError, css_inline.InlineError) as exc:
        raise InlineError(f"CSS could not be inlined: {exc}") from None
    found = {int(a or b) for a, b in re.findall(r"<!--JT(\d+)-->|JX(\d+)XJ", out)}
    lost = [tags[i] for i in range(len(tags)) if i not in found]
    if lost:
        raise InlineError(f"CSS inlining would lose the tag {lost[0]!r} (inside a place HTML does not allow it)")
    out = re.sub(r"<!--JT(\d+)-->", lambda m: tags[int(m.group(1))], out)
    out = re.sub(r"JX(\d+)XJ", lambda m: tags[int(m.group(1))], out)
    if not whole:
        return out
    # Keep the author's doctype: the parser drops it when it is missing and adds none.
    if source.lstrip().lower().startswith("<!doctype") and not out.lower().startswith("<!doctype"):
        out = source.lstrip().split(">", 1)[0] + ">\n" + out
    return out


_TEXT_ELEMENTS = ("title", "style", "script", "textarea")


def _in_tag_or_text_element(before: str) -> bool:
    """Whether a tag at the end of ``before`` stands inside ``<...>`` (an attribute) or inside an
    element whose content is plain text: there a comment would not survive, so letters stand in."""
    if before.rfind("<") > before.rfind(">"):
        return True
    low = before.lower()
    return any(low.rfind(f"<{name}") > low.rfind(f"</{name}") for name in _TEXT_ELEMENTS)
