"""Where a flow's email templates come from when a publisher needs their HTML.

Templates are HTML files in a ``templates/`` folder beside the flow file,
falling back to the program's ``resources/templates/``. Until the content
layer renders real templates, a template that is missing gets a plain
placeholder page, made in :func:`placeholder_html` alone so that swapping in
the content layer touches one function.
"""

from __future__ import annotations

import html
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent.parent / "resources" / "templates"


def find_template(name: str, flow_path: str | Path | None) -> Path | None:
    folders = ([Path(flow_path).parent / "templates"] if flow_path else []) + [RESOURCES]
    for folder in folders:
        for candidate in (folder / name, folder / f"{name}.html"):
            if candidate.is_file():
                return candidate
    return None


def placeholder_html(name: str, subject: str) -> str:
    """A plain page standing in for a template the flow names but no file holds."""
    return ("<!DOCTYPE html><html><body>"
            f"<h1>{html.escape(subject or name)}</h1>"
            "<p>Hi {{ first_name|default:'there' }},</p>"
            f"<p>This is the {html.escape(name)} message. Replace this page with your design.</p>"
            "</body></html>")


def template_html(name: str, subject: str, flow_path: str | Path | None) -> tuple[str, bool]:
    """The template's HTML and whether it came from a file (False: the placeholder)."""
    path = find_template(name, flow_path)
    if path is not None:
        return path.read_text(encoding="utf-8"), True
    return placeholder_html(name, subject), False
