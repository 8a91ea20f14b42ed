"""``validate FLOW...``: check flow files and print one line per problem."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from designer.commands.errors import CANNOT_RUN, INPUT, OK
from designer.content.lint import content_problems
from designer.content.templates import TemplateLibrary
from designer.content.vocabulary import read_vocabulary
from designer.model import documents, io, testfile
from designer.model.errors import FlowFormatError
from designer.model.validate import has_errors, validate


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check flow files for errors and warnings",
                       description="Check flow files. Exit 0: no errors (warnings allowed); "
                       "1: a flow has errors or is not a valid flow file; 2: a file could not be read.")
    p.add_argument("flows", nargs="+", metavar="FLOW", help="flow JSON files")
    p.add_argument("--json", action="store_true", help="print a JSON list of problems")
    p.add_argument("--db", metavar="STORE", help="also flag message tokens no customer in this store has")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    code = OK
    listed: list[dict] = []
    vocabulary = None
    if args.db:
        from designer.commands.storeoptions import open_existing

        store = open_existing(args.db)
        try:
            vocabulary = read_vocabulary(store)
        finally:
            store.dispose()
    for path in args.flows:
        fmt = documents.format_of(path)
        if fmt == documents.TESTS:
            problems = _test_file_problems(path)
            unreadable = any(p["code"] == "unreadable" for p in problems)
            code = max(code, CANNOT_RUN if unreadable and not Path(path).is_file() else INPUT if problems else OK)
            listed.extend(problems)
            if not args.json:
                for p in problems:
                    print(f"{path}: {p['node'] or '-'}: error {p['code']}: {p['message']}", file=sys.stderr)
            continue
        if fmt == documents.PROGRAMME:
            continue  # read and checked by the commands that take a programme
        try:
            flow = io.load(path)
        except FlowFormatError as exc:
            # A file that is not there (or not a file) is the command failing to run;
            # one whose content is wrong is input with problems, named by line and path.
            code = max(code, INPUT if Path(path).is_file() else CANNOT_RUN)
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
            code = max(code, INPUT)
        for p in problems:
            listed.append({"file": path, **p.to_json()})
            if not args.json:
                loc = f" (at {p.path})" if p.path else ""
                print(f"{path}: {p.node or '-'}: {p.severity} {p.code}: {p.message}{loc}")
    if args.json:
        print(json.dumps(listed, indent=2))
    return code


def _test_file_problems(path: str) -> list[dict]:
    """A test file is checked as far as it can be without running it: it parses, its flow
    loads, and every node its expectations name exists in that flow."""
    def problem(code: str, message: str, node: str | None = None, where: str | None = None) -> dict:
        return {"file": path, "node": node, "severity": "error", "code": code, "message": message, "path": where}

    try:
        tests = testfile.load(path)
    except testfile.TestFileError as exc:
        return [problem("unreadable", exc.message, where=exc.path)]
    flow_path = testfile.flow_path_for(path, tests)
    try:
        flow = io.load(flow_path)
    except FlowFormatError as exc:
        return [problem("unreadable", f"its flow {flow_path} cannot be read: {exc.message}")]
    out = []
    for i, case in enumerate(tests.cases):
        for node in sorted({n for x in case.expectations() for n in x.nodes()} - set(flow.nodes)):
            out.append(problem("unknown_node", f"case {case.name!r} names node {node!r}, which {flow.id} does not have",
                               node, f"cases[{i}].expect"))
    return out
