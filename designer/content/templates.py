"""Template files: where they are found, their header of defaults, and their compiled form.

An email template is ``NAME.html``: HTML with jinja tokens, opened by a jinja
comment holding its defaults, one ``key: value`` a line::

    {#
    title: Cart reminder
    subject: {{ first_name | default('Hi') }}, you left something behind
    preview_text: Your cart is saved for you
    from_name: The Shop
    from_email: hello@shop.example
    #}

A node's own ``subject`` / ``preview_text`` / ``from_*`` win over these. A
``NAME.txt`` beside it is the plain-text part; without one, the text part is
made from the rendered HTML (:mod:`designer.content.message`).

Templates are looked up in ``templates/`` beside the flow file, then in the
shipped library ``resources/templates/``; a file there may ``{% extends %}`` or
``{% include %}`` another (the shipped ones share ``_layout.html``). The
stylesheet ``email.css`` (first found on the same path) is inlined into every
HTML template as it loads (:mod:`designer.content.inline`). The editor's
unsaved edits are given as ``overrides`` (name -> source) and win over files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import BaseLoader, TemplateNotFound, TemplateSyntaxError

from designer.content.inline import InlineError, inline_source
from designer.content.sandbox import MessageEnvironment, TemplateProblem

#: The shipped template library.
SHIPPED = Path(__file__).resolve().parents[2] / "resources" / "templates"
STYLESHEET = "email.css"
HEADER_KEYS = ("title", "subject", "preview_text", "from_name", "from_email")


def search_path(flow_file: str | os.PathLike | None) -> list[Path]:
    """Folders templates come from for a flow: its own ``templates/``, then the shipped library."""
    folders = []
    if flow_file is not None:
        folders.append(Path(flow_file).resolve().parent / "templates")
    folders.append(SHIPPED)
    return folders


def parse_header(source: str) -> dict[str, str]:
    """The defaults in a template's opening ``{# key: value #}`` comment (empty without one)."""
    text = source.lstrip()
    if not text.startswith("{#"):
        return {}
    end = text.find("#}")
    if end < 0:
        return {}
    out: dict[str, str] = {}
    for line in text[2:end].splitlines():
        key, sep, value = line.partition(":")
        key = key.strip()
        if sep and key in HEADER_KEYS:
            out[key] = value.strip()
    return out


class _Loader(BaseLoader):
    """Finds template files on the search path, overrides first; inlines CSS into HTML ones."""

    def __init__(self, library: "TemplateLibrary") -> None:
        self.library = library

    def get_source(self, environment, template: str):
        lib = self.library
        source, path = lib.raw_source(template)
        if source is None:
            raise TemplateNotFound(template)
        if template.endswith(".html") and environment.html:
            try:
                source = inline_source(source, lib.stylesheet())
            except InlineError as exc:
                lib.notes.setdefault(template, str(exc))
        mtime = path.stat().st_mtime if path is not None else None
        uptodate = (lambda: path.stat().st_mtime == mtime) if path is not None and path.exists() else (lambda: True)
        filename = str(path) if path is not None else f"<edited {template}>"
        return source, filename, (lambda: False) if template in lib.overrides else uptodate


@dataclass
class EmailTemplate:
    """One email template, compiled: the HTML body, the text part if it has one, its defaults."""

    name: str
    path: Path | None
    source: str
    defaults: dict[str, str]
    html: object  # jinja2.Template (HTML environment)
    text: object | None  # jinja2.Template (text environment) or None

    @property
    def title(self) -> str:
        return self.defaults.get("title") or self.name.replace("_", " ").capitalize()


@dataclass
class TemplateLibrary:
    """Template lookup and compile-once caches for one flow (its folder, overrides, the shipped library)."""

    folders: list[Path]
    overrides: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    #: A preview library marks missing names in the output instead of failing.
    preview: bool = False
    #: False compiles templates as jinja writes them (the benchmark's and tests' reference).
    optimise: bool = True

    def __post_init__(self) -> None:
        loader = _Loader(self)
        self.html_env = MessageEnvironment(html=True, loader=loader, preview=self.preview, optimise=self.optimise)
        self.text_env = MessageEnvironment(html=False, loader=loader, preview=self.preview, optimise=self.optimise)
        self._emails: dict[str, EmailTemplate] = {}
        self._strings: dict[tuple[bool, str], object] = {}
        self._css: str | None = None

    @classmethod
    def for_flow(cls, flow_file: str | os.PathLike | None, overrides: dict[str, str] | None = None,
                 *, preview: bool = False, optimise: bool = True) -> "TemplateLibrary":
        return cls(search_path(flow_file), dict(overrides or {}), preview=preview, optimise=optimise)

    # -- files ------------------------------------------------------------
    def find(self, filename: str) -> Path | None:
        if ".." in Path(filename).parts or Path(filename).is_absolute():
            return None  # templates never reach outside their folders
        for folder in self.folders:
            p = folder / filename
            if p.is_file():
                return p
        return None

    def raw_source(self, filename: str) -> tuple[str | None, Path | None]:
        if filename in self.overrides:
            return self.overrides[filename], self.find(filename)
        p = self.find(filename)
        if p is None:
            return None, None
        return p.read_text(encoding="utf-8"), p

    def stylesheet(self) -> str:
        if self._css is None:
            css, _ = self.raw_source(STYLESHEET)
            self._css = css or ""
        return self._css

    def exists(self, name: str) -> bool:
        return name + ".html" in self.overrides or self.find(name + ".html") is not None

    def names(self) -> list[str]:
        """Every email template name on the path (files starting with ``_`` are parts, not messages)."""
        seen: dict[str, None] = {}
        for folder in self.folders:
            if folder.is_dir():
                for p in sorted(folder.glob("*.html")):
                    if not p.name.startswith("_"):
                        seen.setdefault(p.stem)
        for key in self.overrides:
            if key.endswith(".html") and not key.startswith("_"):
                seen.setdefault(key[:-5])
        return list(seen)

    # -- compiled ---------------------------------------------------------
    def set_override(self, filename: str, source: str | None) -> None:
        """The editor's text for a template file (``None``: back to the file on disk)."""
        if source is None:
            self.overrides.pop(filename, None)
        else:
            self.overrides[filename] = source
        self._emails.clear()
        self.notes.pop(filename, None)
        self.html_env.cache.clear() if self.html_env.cache is not None else None
        self.text_env.cache.clear() if self.text_env.cache is not None else None
        if filename == STYLESHEET:
            self._css = None

    def email(self, name: str) -> EmailTemplate:
        """The compiled template ``name`` (``NAME.html`` and maybe ``NAME.txt``); raises
        :class:`TemplateLoadError` when it is missing or does not parse."""
        cached = self._emails.get(name)
        if cached is not None:
            return cached
        source, path = self.raw_source(name + ".html")
        if source is None:
            where = ", ".join(str(f) for f in self.folders)
            raise TemplateLoadError(TemplateProblem("missing-template", f"no template '{name}' (looked in {where})",
                                                    name + ".html"))
        try:
            html = self.html_env.get_template(name + ".html")
            text = None
            if self.raw_source(name + ".txt")[0] is not None:
                text = self.text_env.get_template(name + ".txt")
        except TemplateSyntaxError as exc:
            raise TemplateLoadError(TemplateProblem("syntax", exc.message or str(exc),
                                                    exc.name or name + ".html", exc.lineno)) from None
        except TemplateNotFound as exc:
            raise TemplateLoadError(TemplateProblem("missing-template", f"no template part '{exc.name}'",
                                                    name + ".html")) from None
        tpl = EmailTemplate(name, path, source, parse_header(source), html, text)
        self._emails[name] = tpl
        return tpl

    def string(self, source: str, *, html: bool, label: str):
        """A compiled template from text in a node's config (subject, SMS body, webhook body)."""
        key = (html, source)
        cached = self._strings.get(key)
        if cached is None:
            env = self.html_env if html else self.text_env
            try:
                cached = env.from_string(source)
            except TemplateSyntaxError as exc:
                raise TemplateLoadError(TemplateProblem("syntax", exc.message or str(exc), label, exc.lineno)) from None
            cached.name = label
            if len(self._strings) > 2000:
                self._strings.clear()
            self._strings[key] = cached
        return cached


class TemplateLoadError(Exception):
    """A template is missing or does not parse; ``problem`` says which and where."""

    def __init__(self, problem: TemplateProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem
