"""``python main.py screenshot``: the real window rendered offscreen to a PNG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QColor, QImage

from designer.model.kinds import KINDS

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), **env)
    environment.pop("QT_QPA_PLATFORM", None)  # the command must go offscreen by itself
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=120)


def colours_near(image: QImage, colour: str) -> int:
    """Pixels within a small distance of ``colour``."""
    want = QColor(colour)
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    data = bytes(image.constBits())
    hits = 0
    for i in range(0, len(data), 4):  # B, G, R, A
        if abs(data[i + 2] - want.red()) + abs(data[i + 1] - want.green()) + abs(data[i] - want.blue()) < 30:
            hits += 1
    return hits


def test_screenshot_of_a_flow(tmp_path):
    out = tmp_path / "shot.png"
    result = run_cli("screenshot", str(out), "--flow", str(ROOT / "flows" / "abandoned_cart.json"),
                     "--size", "1100x700", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1100, 700)
    # The cards are drawn: their kind colours are in the picture.
    for kind in ("trigger", "split", "send_email"):
        assert colours_near(image, KINDS[kind].color) > 5, kind
    # Text, icons and widgets: many distinct colours, not a blank or flat picture.
    assert len({image.pixel(x, y) for x in range(0, 1100, 7) for y in range(0, 700, 7)}) > 40


def test_dark_theme_and_double_scale(tmp_path):
    out = tmp_path / "dark.png"
    result = run_cli("screenshot", str(out), "--size", "800x500", "--theme", "dark", tmp_path=tmp_path,
                     QT_SCALE_FACTOR="2")
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1600, 1000)  # crisp at 200 %: twice the pixels
    assert QColor(image.pixel(800, 990)).lightness() < 100  # dark window


def test_a_broken_flow_is_one_line_and_exit_code_2(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "trigger-flow", "version": 1, "id": "x", "name": "x", "nodes": 7}')
    result = run_cli("screenshot", str(tmp_path / "x.png"), "--flow", str(broken), tmp_path=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "broken.json" in result.stderr and "nodes" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_a_bad_size_is_refused(tmp_path):
    result = run_cli("screenshot", str(tmp_path / "x.png"), "--size", "huge", tmp_path=tmp_path)
    assert result.returncode == 2 and "WIDTHxHEIGHT" in result.stderr
