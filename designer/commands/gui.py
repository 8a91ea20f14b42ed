"""``screenshot OUT.png``: a picture of the real editor window, rendered offscreen
(optionally with an event store and the flow's backtest shown)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from designer.commands.errors import CommandError
from designer.model.errors import FlowFormatError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("screenshot", help="render the editor window with a flow to a PNG (no display needed)",
                       description="Open the editor offscreen, fit the flow, and save a PNG of the window.")
    p.add_argument("out", metavar="OUT.png", help="the PNG file to write")
    p.add_argument("--flow", metavar="FILE", help="flow file to show (default: the abandoned-cart example)")
    p.add_argument("--size", default="1400x860", metavar="WxH", help="window size in pixels (default 1400x860)")
    p.add_argument("--theme", choices=("light", "dark"), default="light", help="colour theme (default light)")
    p.add_argument("--select", metavar="NODE", help="node id to select, so the inspector shows it")
    p.add_argument("--db", metavar="PATH", help="event store to open (a SQLite file, or a database URL)")
    p.add_argument("--backtest", action="store_true",
                   help="backtest the flow over --db first: figures on the canvas and the Results dock")
    p.set_defaults(func=run)


def parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text)
    if not match:
        raise CommandError(f"--size {text!r}: expected WIDTHxHEIGHT such as 1400x860", 2)
    w, h = int(match.group(1)), int(match.group(2))
    if not (320 <= w <= 8000 and 240 <= h <= 8000):
        raise CommandError(f"--size {text!r}: width 320-8000 and height 240-8000 pixels", 2)
    return w, h


def run(args: argparse.Namespace) -> int:
    size = parse_size(args.size)
    if args.backtest and not args.db:
        raise CommandError("--backtest needs --db PATH, the event store to replay the flow over "
                           "(make one with 'python main.py sample --db shop.db')", 2)
    if args.db and "://" not in args.db and not Path(args.db).expanduser().is_file():
        raise CommandError(f"--db {args.db}: no such store; create one with "
                           f"'python main.py sample --db {args.db}' or import events first", 2)
    from designer.ui.screenshot import ScreenshotError, render  # Qt loads only for this command

    try:
        target = render(args.out, args.flow, size, args.theme, args.select, args.db, args.backtest)
    except FlowFormatError as exc:
        raise CommandError(f"cannot open the flow: {exc}", 2) from None
    except ScreenshotError as exc:
        raise CommandError(str(exc), exc.code) from None
    except OSError as exc:
        raise CommandError(f"cannot write {args.out}: {exc.strerror or exc}", 2) from None
    print(f"wrote {target}")
    return 0
