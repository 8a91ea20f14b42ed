"""Write (or check) the flow file's published JSON Schema, ``docs/flow.schema.json``.

    python -m designer.model.schema            # regenerate the file from the models
    python -m designer.model.schema --check    # exit 1 if the file is not what the models give

The schema is generated from the same typed models the loader and the
validator use (``flowfile.schema()``), so other tools can check flows
without this program; a test keeps the committed file equal to the generated one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from designer import ROOT
from designer.model.flowfile import schema

SCHEMA_PATH = ROOT / "docs" / "flow.schema.json"


def text() -> str:
    """The schema as the file holds it: stable key order, two-space indent, a final newline."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m designer.model.schema", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only check that the file is up to date")
    parser.add_argument("--out", type=Path, default=SCHEMA_PATH, help=f"where to write (default {SCHEMA_PATH})")
    args = parser.parse_args(argv)
    wanted = text()
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != wanted:
            print(f"{args.out} is out of date; run: python -m designer.model.schema", file=sys.stderr)
            return 1
        return 0
    from designer.model.io import atomic_write_text

    atomic_write_text(args.out, wanted)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
