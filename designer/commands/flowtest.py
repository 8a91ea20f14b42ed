"""``test FILE...``: run flows' unit tests (``FLOW.tests.json``) headless.

Given a flow, the test file beside it runs; given a test file, it runs against
its flow. Programme files are passed over. Exit 0 when every case passes,
1 when any fails, 2 when a file cannot be read (the message says what and where).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from designer.engine.flowtests import CaseResult, run_tests
from designer.model import documents, io, testfile
from designer.model.errors import FlowFormatError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("test", help="run flows' unit tests (FLOW.tests.json)",
                       description="Run the scripted test cases of flows. Give flow files (their "
                       "FLOW.tests.json runs) or test files. Exit 0: all pass; 1: a case fails; "
                       "2: a file cannot be read.")
    p.add_argument("files", nargs="+", metavar="FILE", help="flow files or their .tests.json files")
    p.add_argument("--json", action="store_true", help="print one JSON object with every case's result")
    p.set_defaults(func=run)


def _pairs(paths: list[str]) -> tuple[list[tuple[Path, Path]], list[str]]:
    """(tests file, flow file) pairs to run, and notes about flows without tests."""
    groups = documents.split_by_format(paths)
    pairs: dict[Path, Path] = {}
    notes = []
    for t in groups.get(documents.TESTS, []):
        pairs[Path(t)] = Path("")  # the flow is named inside; read below
    for f in groups.get(documents.FLOW, []) + groups.get(None, []):
        twin = testfile.tests_path_for(f)
        if twin.exists():
            pairs.setdefault(twin, Path(f))
        elif f in groups.get(documents.FLOW, []):
            notes.append(f"{f}: no tests (write them in {twin})")
        else:
            pairs.setdefault(Path(f), Path(""))  # unreadable or unknown: let the loader say why
    return list(pairs.items()), notes


def run(args: argparse.Namespace) -> int:
    pairs, notes = _pairs(list(args.files))
    code, report = 0, []
    for note in notes:
        print(note, file=sys.stderr)
    for tests_path, flow_path in pairs:
        try:
            tests = testfile.load(tests_path)
            flow_file = flow_path if str(flow_path) not in ("", ".") else testfile.flow_path_for(tests_path, tests)
            flow = io.load(flow_file)
        except testfile.TestFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            code = 2
            continue
        except FlowFormatError as exc:
            print(f"error: {tests_path}: its flow cannot be read: {exc}", file=sys.stderr)
            code = 2
            continue
        results = run_tests(flow, tests)
        for r in results:
            if not r.passed:
                code = max(code, 1)
            report.append({"file": str(tests_path), "flow": str(flow_file), **r.to_json()})
            if not args.json:
                print(_line(tests_path, r))
    if args.json:
        print(json.dumps({"cases": report, "passed": sum(r["passed"] for r in report),
                          "failed": sum(not r["passed"] for r in report)}))
    elif report:
        failed = sum(not r["passed"] for r in report)
        print(f"{len(report) - failed} passed, {failed} failed")
    return code


def _line(path: Path, r: CaseResult) -> str:
    if r.passed:
        return f"PASS {path}: {r.name}"
    lines = [f"FAIL {path}: {r.name}"]
    if r.error:
        lines.append(f"  error: {r.error}")
    lines += [f"  {f}" for f in r.failures]
    for customer, journeys in r.journeys.items():
        lines.append(f"  actual journeys of {customer}:" if journeys else f"  {customer}: no journey")
        lines += ["    " + line for j in journeys for line in j.describe().splitlines()]
    return "\n".join(lines)

