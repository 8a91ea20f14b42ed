"""The serve command's own checks, before any server starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_serve_refuses_a_public_address_without_a_token(tmp_path):
    env = {"PATH": "", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "APPDATA": str(tmp_path)}
    r = subprocess.run([sys.executable, "main.py", "serve", "--db", str(tmp_path / "s.db"), "--host", "0.0.0.0"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "FLOW_RUNTIME_TOKEN" in r.stderr and "Traceback" not in r.stderr


def test_loopback_addresses():
    from designer.commands.serve import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.4")
