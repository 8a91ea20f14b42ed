"""How message templates compile: merged into one template, escaping without a Markup per value.

Every message renders its subject, preview text and body, so what a render
costs beyond the template's own work counts 100,000 times in a backtest:

* :func:`~designer.content.flatten.flatten` merges the layout and the
  imported macros into the template as it compiles;
* each ``{{ value }}`` of an HTML template is escaped by :func:`escape_text`:
  markupsafe's own escaping, returning the escaped ``str`` rather than wrapping it
  in a :class:`~markupsafe.Markup` (a Python-level constructor) that the join of
  the output throws away at once. Values with ``__html__`` (``Markup``, a
  previewed missing name) go through :func:`markupsafe.escape` as before;
* a template that is only text (``Your cart is saved for you``) knows it:
  :attr:`MessageTemplate.constant`, which the render returns without running
  the template.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.environment import Template
from markupsafe import escape

try:  # markupsafe 3: the escaping itself, without the Markup around it
    from markupsafe import _escape_inner
except ImportError:  # pragma: no cover - markupsafe 2 has only escape()
    _escape_inner = None


def _escape_text(value: Any) -> str:
    """The HTML-escaped text of ``value``: exactly ``str(markupsafe.escape(value))``."""
    if type(value) is str:
        return _escape_inner(value)
    return escape(value)


escape_text = _escape_text if _escape_inner is not None else escape


class MessageCodeGenerator(CodeGenerator):
    """jinja's code generator, escaping output through :func:`escape_text` (the environment's ``escape_text``)."""

    def _output_child_pre(self, node, frame, finalize) -> None:  # noqa: D102 - jinja's hook
        if frame.eval_ctx.autoescape and not frame.eval_ctx.volatile and finalize.src is None:
            self.write("environment.escape_text(")
            return
        super()._output_child_pre(node, frame, finalize)


class MessageTemplate(Template):
    """A compiled message template; ``constant`` is its whole output when it has no tokens at all."""

    constant: str | None = None

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):  # noqa: D102 - jinja's hook
        t = super()._from_namespace(environment, namespace, globals)
        t.constant = namespace.get("constant_output")
        return t


def constant_output(tree: nodes.Template) -> str | None:
    """The text a template outputs when it is nothing but text (``None`` when it has anything else)."""
    parts: list[str] = []
    for stmt in tree.body:
        if not isinstance(stmt, nodes.Output):
            return None
        for child in stmt.nodes:
            if not isinstance(child, nodes.TemplateData):
                return None
            parts.append(child.data)
    return "".join(parts)
