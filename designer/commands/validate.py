"""``validate FLOW...``: check flow files and print one line per problem."""

from __future__ import annotations

import argparse
import json
import sys

from designer.content.lint import content_problems
from designer.content.templates import TemplateLibrary
from designer.content.vocabulary import read_vocabulary
from designer.model import io
from designer.model.errors import FlowFormatError
from designer.model.validate import has_errors, validate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check flow files for errors and warnings",
                       description="Check flow files. Exit 0: no errors (warnings allowed); "
                       "1: a flow has errors; 2: a file could not be read or parsed.")
    p.add_argument("flows", nargs="+", metavar="FLOW", help="flow JSON files")
    p.add_argument("--json", action="store_true", help="print a JSON list of problems")
    p.add_argument("--db", metavar="STORE", help="also flag message tokens no customer in this store has")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    code = 0
    listed: list[dict] = []
    vocabulary = None
    if args.db:
        from designer.commands.simulate import _open

        store = _open(args.db)
        try:
            vocabulary = read_vocabulary(store)
        finally:
            store.dispose()
    for path in args.flows:
        try:
            flow = io.load(path)
        except FlowFormatError as exc:
            code = 2
            entry = {"file": path, "node": exc.node, "severity": "error", "code": "unreadable",
                     "message": exc.message, "path": exc.path, "line": exc.line}
            listed.append(entry)
            if not args.json:
                where = ":".join(str(x) for x in (path, exc.line) if x)
                loc = f" at {exc.path}" if exc.path else ""
                print(f"{where}: {exc.node or '-'}: error unreadable: {exc.message}{loc}", file=sys.stderr)
            continue
        problems = validate(flow) + content_problems(flow, TemplateLibrary.for_flow(path), vocabulary)
        if has_errors(problems):
            code = max(code, 1)
        for p in problems:
            listed.append({"file": path, **p.to_json()})
            if not args.json:
                print(f"{path}: {p.node or '-'}: {p.severity} {p.code}: {p.message}")
    if args.json:
        print(json.dumps(listed, indent=2))
    return code
