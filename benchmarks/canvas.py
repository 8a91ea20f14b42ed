"""Canvas benchmark: open a big flow in the editor offscreen, render it, auto-layout it.

    python benchmarks/canvas.py --nodes 1000

Builds a flow of N nodes (chains of delays and sends broken by splits, waits
and A/B splits), writes it to a temporary file, and measures in a real main
window: opening the file and rendering the view once (as the editor shows an
opened flow: all of it when readable, else its start), auto-layout as the user
runs it (one undo step, view reset, rendered), Fit to View of the whole flow
(every card drawn), a render at 100 % zoom, and one pan step at 100 %. The
last line is JSON.
Goals: 1,000 nodes open+render < 0.5 s and auto-layout < 1 s; 5,000 open < 2 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from designer.model import io  # noqa: E402
from designer.model.flow import Edge, Flow, Node  # noqa: E402
from designer.model.layout import layout  # noqa: E402

#: Steps of a chain, and the kinds that end a chain by branching into more chains.
CHAIN = ("delay", "send_email", "update_profile", "delay", "send_sms", "webhook", "send_email")
BRANCHES = ("split", "wait_for", "ab_split")
CONFIG = {
    "delay": {"duration": "PT4H"},
    "send_email": {"template": "reminder", "subject": "Still thinking it over?"},
    "split": {"condition": {"event": "purchase", "since": "flow_start"}},
    "wait_for": {"event": "purchase", "timeout": "P1D"},
    "update_profile": {"add_to_list": "Cart abandoners"},
    "send_sms": {"body": "Your cart is waiting"},
    "ab_split": {"variants": [{"name": "A", "percent": 50}, {"name": "B", "percent": 50}]},
    "webhook": {"url": "https://example.com/hook", "method": "POST"},
    "exit": {},
}


def build_flow(count: int) -> Flow:
    """A flow of ``count`` nodes: chains of 3 to 7 steps, each ending in a split, a wait
    or an A/B split whose branches start new chains (breadth first, so the flow grows
    wide and moderately deep); exits close the branches left open at the end. Cards sit
    where auto-layout would put them, each nudged a little off as if drawn by hand, so
    auto-layout has every card to move."""
    flow = Flow("bench", f"Benchmark, {count} nodes")
    flow.add_node(Node("n1", "trigger", 0, 0, {"event": "add_to_cart"}))
    queue: list[tuple[str, str]] = [("n1", "next")]
    made = 1
    chains = 0

    def add(kind: str, source: str, port: str) -> Node:
        nonlocal made
        made += 1
        node = Node(f"n{made}", kind, 0, 0, dict(CONFIG[kind]))
        flow.add_node(node)
        flow.add_edge(Edge(source, node.id, port))
        return node

    while queue and made < count:
        source, port = queue.pop(0)
        if count - made <= len(queue) + 1:
            add("exit", source, port)
            continue
        chains += 1
        for step in range(3 + chains % 5):
            if count - made <= len(queue) + 2:
                break
            node = add(CHAIN[(chains + step) % len(CHAIN)], source, port)
            source, port = node.id, "next"
        branch = add(BRANCHES[chains % len(BRANCHES)], source, port)
        queue.extend((branch.id, p) for p in branch.output_ports())
    for node_id, (x, y) in layout(flow).items():
        n = int(node_id[1:])
        flow.nodes[node_id].x = x + (n * 37) % 70 - 35
        flow.nodes[node_id].y = y + (n * 53) % 50 - 25
    return flow


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000, help="flow size (default 1000)")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from designer.ui import theme
    from designer.ui.app import application
    from designer.ui.document import Document
    from designer.ui.mainwindow import MainWindow

    with tempfile.TemporaryDirectory(prefix="canvas-bench-") as folder:
        os.environ["TRIGGER_FLOW_RECOVERY_DIR"] = str(Path(folder) / "recovery")
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
        path = Path(folder) / "big.json"
        flow = build_flow(args.nodes)
        io.save(flow, path)

        app = application()
        theme.apply_theme(app, "light")
        window = MainWindow(Document())
        window.resize(1400, 860)
        window.show()
        QApplication.processEvents()
        view = window.view

        t0 = time.perf_counter()
        window.open_path(str(path), ask_to_save=False)  # shows the flow as on any open
        view.viewport().grab()
        open_render = time.perf_counter() - t0

        t0 = time.perf_counter()
        window.auto_layout()
        view.viewport().grab()
        autolayout = time.perf_counter() - t0

        t0 = time.perf_counter()
        view.fit()
        view.viewport().grab()
        fit_render = time.perf_counter() - t0

        view.set_zoom(1.0)
        view.center_on_node("n1")
        t0 = time.perf_counter()
        view.viewport().grab()
        render_100 = time.perf_counter() - t0

        frames = 20
        t0 = time.perf_counter()
        for _ in range(frames):
            bar = view.horizontalScrollBar()
            bar.setValue(bar.value() + 40)
            view.viewport().grab()
        pan_frame_ms = (time.perf_counter() - t0) / frames * 1000

        undo_steps = window.document.undo_stack.count()
        window.document.undo_stack.setClean()
        window.close()

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.nodes} nodes, {len(flow.edges)} edges; auto-layout took {undo_steps} undo step(s)")
    print(json.dumps({"nodes": args.nodes, "open_render_s": round(open_render, 3),
                      "autolayout_s": round(autolayout, 3), "fit_render_s": round(fit_render, 3),
                      "render_100_s": round(render_100, 3),
                      "pan_frame_ms": round(pan_frame_ms, 1), "peak_rss_mb": round(peak, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
