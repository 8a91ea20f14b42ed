"""Load and validate a 10,000-node flow: a trigger fanning into chains and splits.

Prints figures, the last line as JSON. Goal: load + validate under 0.2 s.
    python benchmarks/validate.py [--nodes N] [--repeat R]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from designer.model import io  # noqa: E402
from designer.model.validate import validate  # noqa: E402


def build(n_nodes: int) -> dict:
    """A trigger, then A/B fans into branches; each branch a chain of delay, split, send, exit."""
    nodes = [{"id": "n1", "kind": "trigger", "x": 0, "y": 0, "config": {"event": "add_to_cart", "key": "cart_id"}}]
    edges = []
    branch_len = 8
    branches = max(1, (n_nodes - 2) // (branch_len + 1))
    fan = {"id": "n2", "kind": "ab_split", "x": 0, "y": 100, "config": {
        "variants": [{"name": f"v{i}", "percent": 100 / branches} for i in range(branches)]}}
    # Keep the percentages summing to exactly 100.
    fan["config"]["variants"][-1]["percent"] = 100 - sum(v["percent"] for v in fan["config"]["variants"][:-1])
    nodes.append(fan)
    edges.append({"from": "n1", "to": "n2"})
    next_id = 3
    for b in range(branches):
        x = b * 300
        ids = [f"n{next_id + i}" for i in range(branch_len + 1)]
        next_id += branch_len + 1
        d, s, e1, d2, e2, ex_yes, up, d3, ex = ids
        nodes += [
            {"id": d, "kind": "delay", "x": x, "y": 200, "config": {"duration": "PT1H"}},
            {"id": s, "kind": "split", "x": x, "y": 300, "config": {"condition": {"event": "purchase", "since": "flow_start"}}},
            {"id": ex_yes, "kind": "exit", "x": x - 100, "y": 400, "config": {}},
            {"id": e1, "kind": "send_email", "x": x + 100, "y": 400, "config": {"template": "t", "subject": "s"}},
            {"id": d2, "kind": "delay", "x": x + 100, "y": 500, "config": {"duration": "P1D"}},
            {"id": e2, "kind": "send_sms", "x": x + 100, "y": 600, "config": {"body": "hi"}},
            {"id": up, "kind": "update_profile", "x": x + 100, "y": 700, "config": {"add_to_list": "L"}},
            {"id": d3, "kind": "wait_for", "x": x + 100, "y": 800, "config": {"event": "purchase", "timeout": "P2D"}},
            {"id": ex, "kind": "exit", "x": x + 100, "y": 900, "config": {}},
        ]
        edges += [
            {"from": "n2", "to": d, "port": f"v{b}"}, {"from": d, "to": s}, {"from": s, "to": ex_yes, "port": "yes"},
            {"from": s, "to": e1, "port": "no"}, {"from": e1, "to": d2}, {"from": d2, "to": e2},
            {"from": e2, "to": up}, {"from": up, "to": d3}, {"from": d3, "to": ex, "port": "event"},
        ]
        nodes[-1 - 1]["config"]["end_ports"] = ["timeout"]
    return {"format": "trigger-flow", "version": 1, "id": "bench", "name": "Benchmark",
            "settings": {"reentry": {"mode": "cooldown", "cooldown": "P7D"}}, "nodes": nodes, "edges": edges}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.json"
        path.write_text(json.dumps(build(args.nodes)))
        load_s, validate_s = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            flow = io.load(path)
            t1 = time.perf_counter()
            problems = validate(flow)
            t2 = time.perf_counter()
            load_s.append(t1 - t0)
            validate_s.append(t2 - t1)
    assert not [p for p in problems if p.severity == "error"], problems[:3]
    best_load, best_val = min(load_s), min(validate_s)
    print(f"flow: {len(flow.nodes)} nodes, {len(flow.edges)} edges, {len(problems)} warnings")
    print(f"load:     {best_load * 1000:.1f} ms (best of {args.repeat})")
    print(f"validate: {best_val * 1000:.1f} ms")
    print(f"total:    {(best_load + best_val) * 1000:.1f} ms  (goal < 200 ms: {'met' if best_load + best_val < 0.2 else 'missed'})")
    print(json.dumps({"nodes": len(flow.nodes), "load_s": round(best_load, 4), "validate_s": round(best_val, 4)}))


if __name__ == "__main__":
    main()
