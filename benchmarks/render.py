"""Render benchmark: the cart reminder for every customer of a 100,000-customer sample shop.

    python benchmarks/render.py [--customers 100000] [--days 14] [--seed 1] [--db PATH] [--repeat 3]

Generates the sample shop with the store's generator (kept in the temporary
folder and reused by later runs with the same arguments and schema version),
then prepares each customer's context as the message would see it an hour
after their latest cart event (profile, facts through the engine's facts
function, the trigger event, the cart; customers without a cart get an empty
one) - that preparation is not timed. It then times rendering the
abandoned-cart flow's first email (subject, preview text and the HTML body,
the template compiled once, CSS already inlined at load) for every context,
best of ``--repeat`` runs, taking turns with its reference: the same templates compiled
the way jinja writes them (no layout or macros merged, :mod:`designer.content.compiled`),
after checking that both give the same messages byte for byte.

Goal: ``per_message_us`` under 50, so checking every recipient's message in a
backtest costs less than the backtest itself. The last line is JSON:
``{"messages", "seconds", "per_message_us", "reference_us", "ratio", "identical"}``
(the last three unless ``--no-reference``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from itertools import groupby
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from designer.content.context import Moment, build_context  # noqa: E402
from designer.content.facts import facts_as_of  # noqa: E402
from designer.content.sandbox import render_bounded  # noqa: E402
from designer.content.templates import TemplateLibrary  # noqa: E402
from designer.engine.history import base_profile, merge_properties, parse_object  # noqa: E402
from designer.model import io  # noqa: E402
from designer.store.schema import SCHEMA_VERSION  # noqa: E402

FLOW = ROOT / "flows" / "abandoned_cart.json"
HOUR_MS = 3_600_000


def ensure_store(path: Path, customers: int, days: int, seed: int) -> None:
    """Generate the sample shop unless it is already there (in a child process, atomically renamed)."""
    if path.exists():
        return
    tmp = path.with_name(path.name + ".partial")
    tmp.unlink(missing_ok=True)
    print(f"generating {customers:,} customers over {days} days into {path} ...", flush=True)
    code = ("import sys; from designer.store.sample import generate; "
            f"generate(sys.argv[1], customers={customers}, days={days}, seed={seed})")
    subprocess.run([sys.executable, "-c", code, str(tmp)], check=True, cwd=ROOT)
    tmp.replace(path)


def prepare(db: Path, flow) -> list[dict]:
    """Every customer's context an hour after their latest cart event (or at the window's end)."""
    import sqlite3

    conn = sqlite3.connect(db)
    people = {row[0]: row[1:] for row in conn.execute(
        "SELECT id, external_id, email, first_name, timezone, consent, properties FROM customers")}
    end = conn.execute("SELECT max(time) FROM events").fetchone()[0] or 0
    rows = conn.execute("SELECT customer_id, name, time, properties FROM events ORDER BY customer_id, time, id")
    events_of = {cid: [(n, t, parse_object(p)) for _, n, t, p in group]
                 for cid, group in groupby(rows, key=lambda r: r[0])}
    conn.close()
    contexts = []
    for cid, (external_id, *columns, props) in people.items():
        profile = base_profile(external_id, tuple(columns))
        merge_properties(profile, props)
        history = events_of.get(cid, [])
        carts = [e for e in history if e[0] == "add_to_cart"]
        now = carts[-1][1] + HOUR_MS if carts else end
        seen = [e for e in history if e[1] <= now]
        event = {**carts[-1][2], "name": "add_to_cart", "time": carts[-1][1]} if carts else None
        moment = Moment(profile=profile, facts=facts_as_of(seen, now), now=now, event=event, events=seen,
                        entry_time=event["time"] if event else None, entry_key="cart_id", flow_id=flow.id,
                        flow_name=flow.name, node_id="n5")
        contexts.append(build_context(moment))
    return contexts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", type=Path)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--reference", action=argparse.BooleanOptionalAction, default=True,
                    help="also time the templates compiled as jinja writes them, taking turns (default on)")
    args = ap.parse_args()
    db = args.db or Path(tempfile.gettempdir()) / (
        f"render-bench-v{SCHEMA_VERSION}-{args.customers}-{args.days}-{args.seed}.db")
    ensure_store(db, args.customers, args.days, args.seed)
    flow = io.load(FLOW)
    config = flow.nodes["n5"].config
    began = time.perf_counter()
    contexts = prepare(db, flow)
    print(f"prepared {len(contexts):,} contexts in {time.perf_counter() - began:.1f} s", flush=True)

    def compiled(optimise: bool):
        lib = TemplateLibrary.for_flow(FLOW, optimise=optimise)
        template = lib.email(config["template"])
        subject = lib.string(config.get("subject") or template.defaults["subject"], html=False, label="subject")
        preview = lib.string(config.get("preview_text") or template.defaults.get("preview_text", ""), html=False,
                             label="preview")
        return lib.html_env, lib.text_env, template.html, subject, preview

    def run(html_env, text_env, body, subject, preview, collect=None) -> int:
        size = 0
        for ctx in contexts:
            s = render_bounded(text_env, subject, ctx)
            p = render_bounded(text_env, preview, ctx)
            out = render_bounded(html_env, body, {**ctx, "subject": s, "preview_text": p})
            size += len(out)
            if collect is not None:
                collect.append((s, p, out))
        return size

    new, reference = compiled(True), compiled(False)
    if args.reference:
        # Same messages, byte for byte, as the templates compiled the way jinja writes them.
        mine, theirs = [], []
        run(*new, collect=mine)
        run(*reference, collect=theirs)
        identical = mine == theirs
        del mine, theirs
    best = {True: float("inf"), False: float("inf")}
    size = 0
    for _ in range(args.repeat):
        for optimise in ((True, False) if args.reference else (True,)):
            started = time.perf_counter()
            size = run(*(new if optimise else reference))
            best[optimise] = min(best[optimise], time.perf_counter() - started)
    n = len(contexts)
    print(f"rendered {n:,} messages ({size / max(n, 1) / 1024:.1f} KiB of HTML each) in {best[True]:.2f} s (best of "
          f"{args.repeat}); goal under 50 us per message")
    figures = {"messages": n, "seconds": round(best[True], 3), "per_message_us": round(best[True] / max(n, 1) * 1e6, 1)}
    if args.reference:
        figures.update({"reference_us": round(best[False] / max(n, 1) * 1e6, 1),
                        "ratio": round(best[True] / best[False], 3), "identical": identical})
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
