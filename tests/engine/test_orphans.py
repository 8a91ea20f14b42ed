"""kill -9 of a parallel simulate leaves no helper process behind (issue: orphaned workers).

The run is held at a checkpoint (the helper waits for a file this test never
writes), so the kill always lands while the helper is alive and busy, however
loaded the machine is; only the end is a bounded wait, polling for the helper
to be gone.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from designer.engine.workers import HOLD_ENV
from designer.store.sample import generate

ROOT = Path(__file__).resolve().parents[2]


def wait_until(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    return check()


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_helpers_die_with_a_killed_parent(tmp_path):
    db = tmp_path / "shop.db"
    generate(db, customers=300, days=10, seed=2)
    hold = tmp_path / "hold"
    hold.mkdir()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), "simulate", str(ROOT / "flows" / "abandoned_cart.json"),
         "--db", str(db), "--workers", "2", "--no-save"],
        cwd=ROOT, env={**os.environ, HOLD_ENV: str(hold)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    helpers: list[int] = []
    try:
        held = wait_until(lambda: sorted(hold.glob("helper-*")), 120)
        assert held, f"no helper reached the checkpoint; stderr: {proc.stderr.read().decode() if proc.poll() is not None else ''}"
        helpers = [int(p.name.split("-")[1]) for p in held]
        assert all(alive(pid) for pid in helpers) and proc.poll() is None
        proc.kill()  # SIGKILL on POSIX, TerminateProcess on Windows: no clean-up runs in the parent
        proc.wait(timeout=60)
        assert wait_until(lambda: not any(alive(pid) for pid in helpers), 60), \
            f"helpers still alive after their parent was killed: {[p for p in helpers if alive(p)]}"
    finally:
        (hold / "release").write_text("", encoding="utf-8")  # a helper left behind goes on and ends
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()
        for pid in helpers:
            if alive(pid):
                psutil.Process(pid).kill()
