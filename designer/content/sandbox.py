"""The jinja2 environments messages render in, and the problems rendering reports.

Templates come from files people share and customer data from imports, so both
environments are :class:`~jinja2.sandbox.ImmutableSandboxedEnvironment`: no
attribute starting with ``_``, no mutation of lists or dicts, no file access (no
loader reads outside the template folders). The HTML one autoescapes every
``{{ }}``; the text one (SMS, plain-text parts, webhook bodies) does not.

A name the context lacks is never a silent blank: :class:`RecordingUndefined`
raises on any use in output (printing, iterating, comparing), and
``default(...)`` / ``is defined`` still work, because marketers rely on them.

Rendering is bounded: ``range`` yields at most :data:`MAX_RANGE` items and checks
the clock, every sandboxed call checks the clock, and output is counted as it is
produced, so a huge loop fails with a :class:`RenderError`, not a hung window.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import islice
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateNotFound, TemplateSyntaxError, UndefinedError
from jinja2.compiler import CodeGenerator
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from designer.content import filters
from designer.content.compiled import MessageCodeGenerator, MessageTemplate, constant_output, escape_text
from designer.content.flatten import flatten

#: The most items ``range`` gives in a template.
MAX_RANGE = 10_000
#: Default limits of one render.
MAX_SECONDS = 2.0
MAX_OUTPUT = 1_000_000  # characters
#: Chunks of output counted at a time.
_BATCH = 256


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with a template: what, where (template name and line), and the name it is about."""

    code: str  # "undefined" | "syntax" | "unsafe" | "limit" | "error" | "missing-template"
    message: str
    template: str | None = None
    line: int | None = None
    name: str | None = None

    def where(self) -> str:
        parts = [p for p in (self.template, f"line {self.line}" if self.line else None) if p]
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def to_json(self) -> dict:
        return {"code": self.code, "message": self.message, "template": self.template, "line": self.line,
                "name": self.name}


class RenderError(Exception):
    """Rendering failed; ``problem`` says what and where."""

    def __init__(self, problem: TemplateProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


class RecordingUndefined(StrictUndefined):
    """A missing name: fails on any use, naming the full dotted path (``event.product_name``)."""

    __slots__ = ()

    def _dotted(self) -> str:
        name = self._undefined_name
        owner = self._undefined_obj
        if owner is not None and not isinstance(owner, RecordingUndefined):
            prefix = getattr(owner, "_path", None)
            if prefix:
                return f"{prefix}.{name}"
        return str(name) if name is not None else "?"

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any):
        if self._undefined_exception is SecurityError:
            raise SecurityError(self._undefined_hint)  # the sandbox refused it: say so, not "missing"
        raise UndefinedError(f"'{self._dotted()}' is not in this message's context")

    __str__ = __iter__ = __len__ = __eq__ = __ne__ = __bool__ = __hash__ = _fail_with_undefined_error  # type: ignore
    __lt__ = __le__ = __gt__ = __ge__ = __int__ = __float__ = __contains__ = _fail_with_undefined_error  # type: ignore


class HighlightUndefined(RecordingUndefined):
    """A missing name in a preview: shown as a marked ``[missing: name]`` and recorded, not fatal,
    so the author sees every gap at once, where it is."""

    __slots__ = ()

    def _shown(self) -> str:
        if self._undefined_exception is SecurityError:
            self._fail_with_undefined_error()
        name = self._dotted()
        env_missing = _PREVIEW_MISSING.get()
        if env_missing is not None and name not in env_missing:
            env_missing.append(name)
        if _PREVIEW_HTML.get():
            return Markup('<mark class="missing" title="not in this message\'s context">[missing: %s]</mark>') % name
        return f"[missing: {name}]"

    def __str__(self) -> str:  # type: ignore[override]
        return self._shown()

    def __html__(self) -> str:
        return self._shown()

    def __iter__(self):  # type: ignore[override]
        self._shown()
        return iter(())

    def __bool__(self) -> bool:  # type: ignore[override]
        self._shown()
        return False

    def __len__(self) -> int:  # type: ignore[override]
        return 0


#: Names a preview render found missing, and whether it renders HTML (set per render).
_PREVIEW_MISSING: ContextVar[list[str] | None] = ContextVar("preview_missing", default=None)
_PREVIEW_HTML: ContextVar[bool] = ContextVar("preview_html", default=True)


class _Budget:
    """The time left to the render running on this environment (one render at a time per thread)."""

    def __init__(self) -> None:
        self.deadline = float("inf")

    def check(self) -> None:
        if time.perf_counter() > self.deadline:
            raise RenderError(TemplateProblem("limit", "rendering took too long (a loop too large?)"))


class MessageEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox with the product's filters, a bounded ``range`` and a clock on every call.

    Templates compile merged with their layout and macros, escaping to plain text
    (:mod:`designer.content.compiled`): the same output, less work per message."""

    code_generator_class = MessageCodeGenerator
    template_class = MessageTemplate
    escape_text = staticmethod(escape_text)

    def __init__(self, *, html: bool, loader=None, preview: bool = False, optimise: bool = True) -> None:
        super().__init__(autoescape=html, undefined=HighlightUndefined if preview else RecordingUndefined,
                         loader=loader,
                         trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                         auto_reload=False)  # templates change only through the library, which clears the cache
        self.budget = _Budget()
        self.filters.update(filters.FILTERS)
        self.globals["range"] = self._range
        self.html = html
        self.preview = preview
        self.optimise = optimise
        if not optimise:  # templates compiled as jinja writes them: the reference of tests and benchmark
            self.code_generator_class = CodeGenerator
            self.template_class = Template

    def make_globals(self, d):  # noqa: D102 - jinja's hook
        """A plain dict, not jinja's ChainMap over the environment's globals: every render copies the
        globals into its context, and copying a ChainMap costs more than the rest of a subject line.
        The environment's globals are complete before the first template loads (set in ``__init__``)."""
        return {**self.globals, **(d or {})}

    def _generate(self, source, name, filename, defer_init=False):  # noqa: D102 - jinja's hook
        if not self.optimise:
            return super()._generate(source, name, filename, defer_init=defer_init)
        source = flatten(self, source, name)
        code = super()._generate(source, name, filename, defer_init=defer_init)
        text = constant_output(source)
        return code if text is None else f"{code}\nconstant_output = {text!r}\n"

    def _range(self, *args: int) -> Iterator[int]:
        r = range(*args)
        if len(r) > MAX_RANGE:
            raise RenderError(TemplateProblem("limit", f"range of {len(r):,} items (at most {MAX_RANGE:,})"))
        check = self.budget.check
        for i in r:
            if not i & 255:
                check()
            yield i

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``cart.items`` is the cart's items, not ``dict.items``: keys of a dict come before its methods.
        Anything starting with ``_`` that is not a key fails at once (the road to Python's internals)."""
        if isinstance(obj, dict) and attribute in obj:
            return obj[attribute]
        if isinstance(attribute, str) and attribute.startswith("_"):
            raise SecurityError(f"access to attribute '{attribute}' of '{type(obj).__name__}' object is unsafe.")
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, str) and argument.startswith("_") and not (isinstance(obj, dict) and argument in obj):
            raise SecurityError(f"access to attribute '{argument}' of '{type(obj).__name__}' object is unsafe.")
        return super().getitem(obj, argument)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - jinja's signature
        __self.budget.check()
        return super().call(__context, __obj, *args, **kwargs)


def problem_from(exc: BaseException, template: str | None) -> TemplateProblem:
    """A :class:`TemplateProblem` for an exception jinja raised, with the template's line if known."""
    if isinstance(exc, RenderError):
        p = exc.problem
        return TemplateProblem(p.code, p.message, p.template or template, p.line or _line(exc), p.name)
    line = _line(exc)
    if isinstance(exc, TemplateSyntaxError):
        return TemplateProblem("syntax", exc.message or str(exc), exc.name or template, exc.lineno)
    if isinstance(exc, UndefinedError):
        text = str(exc)
        name = text.split("'")[1] if text.count("'") >= 2 else None
        return TemplateProblem("undefined", text, template, line, name)
    if isinstance(exc, TemplateNotFound):
        return TemplateProblem("missing-template", f"no template part '{exc.name}' in the template folders",
                               template, line)
    if isinstance(exc, SecurityError):
        return TemplateProblem("unsafe", f"not allowed in a template: {exc}", template, line)
    if isinstance(exc, TemplateError):
        return TemplateProblem("error", str(exc), template, line)
    return TemplateProblem("error", f"{type(exc).__name__}: {exc}", template, line)


def _line(exc: BaseException) -> int | None:
    """The template line a runtime error came from: the innermost frame of compiled template code,
    mapped back to its template line (jinja keeps the map on the template)."""
    tb = exc.__traceback__
    line = None
    while tb is not None:
        t = tb.tb_frame.f_globals.get("__jinja_template__")
        if t is not None:
            line = t.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return line


def render_bounded(env: MessageEnvironment, template, context: dict, *, name: str | None = None,
                   max_seconds: float = MAX_SECONDS, max_output: int = MAX_OUTPUT,
                   missing: list[str] | None = None) -> str:
    """Render ``template`` with ``context``, within the time and size limits; problems raise :class:`RenderError`.

    In a preview environment missing names are marked in the output and appended to ``missing``."""
    if env.preview:
        tokens = (_PREVIEW_MISSING.set(missing if missing is not None else []), _PREVIEW_HTML.set(env.html))
        try:
            return _render(env, template, context, name, max_seconds, max_output)
        finally:
            _PREVIEW_MISSING.reset(tokens[0])
            _PREVIEW_HTML.reset(tokens[1])
    return _render(env, template, context, name, max_seconds, max_output)


def _render(env: MessageEnvironment, template, context: dict, name: str | None, max_seconds: float,
            max_output: int) -> str:
    constant = getattr(template, "constant", None)
    if constant is not None and len(constant) <= max_output:
        return constant  # nothing but text: nothing to run
    budget = env.budget
    budget.deadline = time.perf_counter() + max_seconds
    try:
        # The globals and the context merged in one copy (jinja's own merge copies the context twice).
        chunks = template.root_render_func(template.new_context({**template.globals, **context}, shared=True))
        # The output is counted a batch of chunks at a time: a message is a few dozen chunks (one
        # batch, joined at once), and a Python step per chunk cost more than a subject line; a
        # runaway loop still stops within a batch.
        parts = list(islice(chunks, _BATCH))
        size = sum(map(len, parts))
        batch = parts if len(parts) == _BATCH else None
        while batch:
            if size > max_output:
                break
            batch = list(islice(chunks, _BATCH))
            size += sum(map(len, batch))
            parts.extend(batch)
        if size > max_output:
            raise RenderError(TemplateProblem("limit", f"the message passed {max_output:,} characters"))
        return "".join(parts)
    except RenderError as exc:
        raise RenderError(problem_from(exc, name)) from None
    except Exception as exc:  # any error inside the template is the template's problem
        raise RenderError(problem_from(exc, name)) from None
    finally:
        budget.deadline = float("inf")
