"""One template out of a template and the layout and macros it uses, done once as it compiles.

A shipped email ``{% extends "_layout.html" %}`` and calls macros it imports from
``_parts.html``. Rendered as written, every message pays for finding the layout,
setting up its blocks, and two sandboxed macro calls, each building its own
output list: more than a third of a cart reminder's render. The result of a
template never depends on how it is split into files, so :func:`flatten` merges
the layout in (the child's blocks in place of the layout's, still blocks: a
template extending the merged one overrides them as before) and writes each
macro's body where it is called (its arguments bound with ``{% with %}``,
constant ones written in, so jinja folds them into the text). Rendering then
runs the layout's code and its blocks' and nothing else.

Only what keeps exactly the same meaning is merged; anything else is left as
written and renders the usual way:

* a layout: a constant name, no ``super()`` / ``self``, no required block left
  empty, nothing but imports and blocks in the child;
* a macro: imported by a constant name from a file that only defines macros;
  its body only outputs, ``if`` and ``for`` and reads nothing but its own
  arguments and loop variables; constant defaults; called directly in
  ``{{ }}`` with arguments it takes. A macro imported without context runs
  without the customer's context, so one whose filters read the context
  (``money``, ``date``) is merged only when imported ``with context``.

A merged macro body sits in its own scope, so names set in it stay in it. The sandbox is untouched: the merged template is compiled
by the same sandboxed environment, with the same attribute checks and escaping.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes
from jinja2.utils import _PassArg
from jinja2.visitor import NodeTransformer

#: Layouts extending layouts: deeper than this is left to jinja (and a cycle stops here).
MAX_DEPTH = 8
#: Names that reach the template's blocks or context, which a merged template no longer has.
_CONTEXT_NAMES = {"self", "super", "caller", "varargs", "kwargs"}


class _Keep(Exception):
    """This part cannot be merged without a change of meaning: keep it as written."""


def flatten(env: Any, tree: nodes.Template, name: str | None) -> nodes.Template:
    """``tree`` (the compile's own, changed in place) with its layout merged in and its imported macros
    written where they are called; as it was when nothing can be merged."""
    try:
        merged = _merge_layout(env, tree, name, 0)
    except _Keep:
        merged = tree
    try:
        return _inline_macros(env, merged)
    except _Keep:
        return merged


# -- layouts ---------------------------------------------------------------------------------------

def _merge_layout(env: Any, tree: nodes.Template, name: str | None, depth: int) -> nodes.Template:
    extends = [n for n in tree.body if isinstance(n, nodes.Extends)]
    if not extends:
        if depth and _names_loaded(tree) & _CONTEXT_NAMES:
            raise _Keep
        return tree
    if depth >= MAX_DEPTH or len(list(tree.find_all(nodes.Extends))) != 1 or tree.body[0] is not extends[0]:
        raise _Keep  # output before the extends, or an extends in an if: rendered by jinja
    parent_name = _constant(extends[0].template)
    prelude: list[nodes.Node] = []
    for stmt in tree.body[1:]:
        if isinstance(stmt, (nodes.FromImport, nodes.Import)):
            prelude.append(stmt)
        elif isinstance(stmt, nodes.Block):
            pass
        elif isinstance(stmt, nodes.Output) and all(
                isinstance(c, nodes.TemplateData) and not c.data.strip() for c in stmt.nodes):
            pass  # text outside the blocks of a child is never shown
        else:
            raise _Keep
    blocks = {b.name: b for b in tree.find_all(nodes.Block)}
    if len(blocks) != len(list(tree.find_all(nodes.Block))) or _names_loaded(tree) & _CONTEXT_NAMES:
        raise _Keep
    parent = _merge_layout(env, _parse(env, parent_name), parent_name, depth + 1)
    if parent.find(nodes.Extends) is not None:
        raise _Keep
    for block in parent.find_all(nodes.Block):
        if block.required and block.name not in blocks:
            raise _Keep

    def place(stmts: list[nodes.Node]) -> list[nodes.Node]:
        out = []
        for stmt in stmts:
            if isinstance(stmt, nodes.Block):
                # Still a block, rendered as jinja renders blocks (its own scope, names from the
                # context), and one that a template extending this one may override in turn.
                chosen = blocks.get(stmt.name, stmt)
                out.append(nodes.Block(stmt.name, place(chosen.body), stmt.scoped, False, lineno=stmt.lineno))
            else:
                _replace_lists(stmt, place)
                out.append(stmt)
        return out

    merged = nodes.Template(prelude + place(parent.body), lineno=1)
    names = [b.name for b in merged.find_all(nodes.Block)]
    if len(names) != len(set(names)) or not blocks.keys() <= set(names):
        # A block the child nests where the layout has it elsewhere too, or one the layout does not
        # show (a template extending this one could still reach it with super()): left to jinja.
        raise _Keep
    merged.set_environment(env)
    return merged


# -- macros ----------------------------------------------------------------------------------------

def _inline_macros(env: Any, tree: nodes.Template) -> nodes.Template:
    if tree.find(nodes.EvalContextModifier) is not None or tree.find(nodes.ScopedEvalContextModifier) is not None:
        raise _Keep  # an {% autoescape %} around a call would change how the body escapes
    imports: list[tuple[nodes.FromImport, dict[str, nodes.Macro]]] = []
    for stmt in tree.body:
        if isinstance(stmt, nodes.FromImport):
            try:
                module = _module_macros(env, _constant(stmt.template))
            except _Keep:
                continue
            found = {}
            for entry in stmt.names:
                source, alias = entry if isinstance(entry, tuple) else (entry, entry)
                macro = module.get(source)
                if macro is not None and _body_is_plain(env, macro, stmt.with_context):
                    found[alias] = macro
            imports.append((stmt, found))
    # A name set anywhere else (set, loop, with, macro argument) may no longer be the macro there.
    shadowed: set[str] = set()
    for node in tree.find_all((nodes.Name, nodes.Macro)):
        if isinstance(node, nodes.Name) and node.ctx != "load":
            shadowed.add(node.name)
        elif isinstance(node, nodes.Macro):
            shadowed.add(node.name)
    for _stmt, found in imports:
        for alias in shadowed & found.keys():
            del found[alias]
    if not any(found for _stmt, found in imports):
        raise _Keep

    def expand(stmts: list[nodes.Node], macros: dict[str, nodes.Macro]) -> list[nodes.Node]:
        out: list[nodes.Node] = []
        for stmt in stmts:
            if isinstance(stmt, nodes.Output):
                out.extend(_expand_output(stmt, macros))
            else:
                _replace_lists(stmt, lambda body: expand(body, macros))
                out.append(stmt)
        return out

    # A macro is known from its import on (before it, jinja says the name is missing).
    body: list[nodes.Node] = []
    known: dict[str, nodes.Macro] = {}
    for stmt in tree.body:
        found = next((f for s, f in imports if s is stmt), None)
        if found is not None:
            body.append(stmt)
            known = {**known, **found}
        else:
            body.extend(expand([stmt], known))
    # An import whose every macro is now written out is not needed (with context, it would run the
    # file's module for each message).
    still_read = _names_loaded(nodes.Template(body))
    tree.body = [stmt for stmt in body if not any(
        s is stmt and found and not _aliases(stmt) & still_read for s, found in imports)]
    return tree


def _aliases(stmt: nodes.FromImport) -> set[str]:
    return {entry[1] if isinstance(entry, tuple) else entry for entry in stmt.names}


def _expand_output(output: nodes.Output, macros: dict[str, nodes.Macro]) -> list[nodes.Node]:
    """``output`` split around the macro calls in it, each call replaced by the macro's body."""
    out: list[nodes.Node] = []
    run: list[nodes.Expr] = []
    for child in output.nodes:
        body = _call_body(child, macros)
        if body is None:
            run.append(child)
            continue
        if run:
            out.append(nodes.Output(run, lineno=output.lineno))
            run = []
        out.append(body)
    if run:
        out.append(nodes.Output(run, lineno=output.lineno))
    return out


def _call_body(expr: nodes.Expr, macros: dict[str, nodes.Macro]) -> nodes.Stmt | None:
    """The macro body a direct call ``name(args)`` stands for, or ``None`` to keep the call."""
    if not (isinstance(expr, nodes.Call) and isinstance(expr.node, nodes.Name) and expr.node.ctx == "load"):
        return None
    macro = macros.get(expr.node.name)
    if macro is None or expr.dyn_args is not None or expr.dyn_kwargs is not None:
        return None
    params = [a.name for a in macro.args]
    if len(expr.args) > len(params):
        return None
    values: dict[str, nodes.Expr] = dict(zip(params, expr.args))
    for kw in expr.kwargs:
        if kw.key not in params or kw.key in values:
            return None
        values[kw.key] = kw.value
    defaults = dict(zip(params[len(params) - len(macro.defaults):], macro.defaults))
    for p in params:
        if p not in values:
            if p not in defaults:
                return None  # jinja says the argument is missing: let it
            values[p] = defaults[p]
    rebound = {n.name for f in macro.find_all(nodes.For) for n in [f.target, *f.target.find_all(nodes.Name)]
               if isinstance(n, nodes.Name)}
    constants = {p: v for p, v in values.items() if isinstance(v, nodes.Const) and p not in rebound}
    body = [_Substitute(constants).visit(_clone(stmt)) for stmt in macro.body]
    bound = [p for p in params if p not in constants]
    lineno = expr.lineno
    if not bound:
        return nodes.Scope(body, lineno=lineno)
    return nodes.With([nodes.Name(p, "store", lineno=lineno) for p in bound], [values[p] for p in bound], body,
                      lineno=lineno)


def _module_macros(env: Any, name: str) -> dict[str, nodes.Macro]:
    """The macros of a file that only defines macros (its text outside them is never shown)."""
    tree = _parse(env, name)
    out: dict[str, nodes.Macro] = {}
    for stmt in tree.body:
        if isinstance(stmt, nodes.Macro):
            out[stmt.name] = stmt
        elif not (isinstance(stmt, nodes.Output) and all(isinstance(c, nodes.TemplateData) for c in stmt.nodes)):
            raise _Keep
    return out


def _body_is_plain(env: Any, macro: nodes.Macro, with_context: bool) -> bool:
    """Whether the macro's body means the same written anywhere: it reads only its arguments and loop
    variables, sets nothing, and (imported without context) uses no filter that reads the context."""
    if not all(isinstance(d, nodes.Const) for d in macro.defaults):
        return False
    try:
        _check_plain(env, macro.body, {a.name for a in macro.args}, with_context)
    except _Keep:
        return False
    return True


def _check_plain(env: Any, stmts: list[nodes.Node], bound: set[str], with_context: bool) -> None:
    for stmt in stmts:
        if isinstance(stmt, nodes.Output):
            for child in stmt.nodes:
                _check_expr(env, child, bound, with_context)
        elif isinstance(stmt, nodes.If):
            _check_expr(env, stmt.test, bound, with_context)
            _check_plain(env, stmt.body, bound, with_context)
            _check_plain(env, stmt.elif_, bound, with_context)
            _check_plain(env, stmt.else_, bound, with_context)
        elif isinstance(stmt, nodes.For) and not stmt.recursive:
            _check_expr(env, stmt.iter, bound, with_context)
            targets = {n.name for n in stmt.target.find_all(nodes.Name)} | (
                {stmt.target.name} if isinstance(stmt.target, nodes.Name) else set())
            inner = bound | targets | {"loop"}
            if stmt.test is not None:
                _check_expr(env, stmt.test, bound | targets, with_context)
            _check_plain(env, stmt.body, inner, with_context)
            _check_plain(env, stmt.else_, bound, with_context)
        else:
            raise _Keep


def _check_expr(env: Any, expr: nodes.Node, bound: set[str], with_context: bool) -> None:
    for node in [expr, *expr.find_all(nodes.Node)]:
        if isinstance(node, nodes.Name):
            if node.name not in bound:
                raise _Keep
        elif isinstance(node, (nodes.ContextReference, nodes.DerivedContextReference, nodes.InternalName,
                               nodes.ImportedName, nodes.NSRef)):
            raise _Keep
        elif isinstance(node, (nodes.Filter, nodes.Test)):
            table = env.filters if isinstance(node, nodes.Filter) else env.tests
            func = table.get(node.name)
            if func is None:
                raise _Keep  # jinja reports an unknown filter where it is used
            if not with_context and _PassArg.from_obj(func) in (_PassArg.context, _PassArg.eval_context):
                raise _Keep


# -- helpers ---------------------------------------------------------------------------------------

def _constant(expr: nodes.Expr) -> str:
    if isinstance(expr, nodes.Const) and isinstance(expr.value, str):
        return expr.value
    raise _Keep


def _parse(env: Any, name: str) -> nodes.Template:
    """A template file's tree, read through the environment's loader as jinja would (CSS inlined)."""
    if env.loader is None:
        raise _Keep
    try:
        source, filename, _ = env.loader.get_source(env, name)
        return env._parse(source, name, filename)
    except Exception:  # a missing or broken part: jinja reports it at render, as before
        raise _Keep from None


def _names_loaded(tree: nodes.Node) -> set[str]:
    return {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"}


def _replace_lists(stmt: nodes.Node, rewrite) -> None:
    """Rewrite every list of statements directly under ``stmt`` (bodies, else branches)."""
    for field in stmt.fields:
        value = getattr(stmt, field, None)
        if isinstance(value, list) and value and all(isinstance(v, nodes.Stmt) for v in value):
            setattr(stmt, field, rewrite(value))


def _clone(node: Any) -> Any:
    """A copy of a tree of nodes (sharing the environment, which a deep copy would duplicate)."""
    if isinstance(node, list):
        return [_clone(n) for n in node]
    if isinstance(node, tuple):
        return tuple(_clone(n) for n in node)
    if not isinstance(node, nodes.Node):
        return node
    new = object.__new__(type(node))
    for field in node.fields:
        setattr(new, field, _clone(getattr(node, field)))
    for attr in node.attributes:
        if hasattr(node, attr):
            setattr(new, attr, getattr(node, attr))
    return new


class _Substitute(NodeTransformer):
    """Reads of constant arguments replaced by the constants (jinja then folds them into the text)."""

    def __init__(self, constants: dict[str, nodes.Const]) -> None:
        self.constants = constants

    def visit_Name(self, node: nodes.Name) -> nodes.Node:
        const = self.constants.get(node.name)
        if const is None or node.ctx != "load":
            return node
        return nodes.Const(const.value, lineno=node.lineno)
