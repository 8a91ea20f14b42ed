"""Starting the editor where no window can open: a clear message and exit 2, never a hang,
and on Linux the packages Qt's xcb plugin lacks, named before Qt is asked."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from designer import EXAMPLE_FLOWS, ROOT
from designer.ui.display import XCB_LIBRARIES, DisplayUnavailable, check_display, qt_platform


def start_editor(tmp_path, *args, **env_changes):
    env = dict(os.environ, TRIGGER_FLOW_DATA_DIR=str(tmp_path / "data"))
    env.pop("QT_QPA_PLATFORM", None)
    env.pop("WAYLAND_DISPLAY", None)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    # The timeout only guards the run: an editor that waited for a display would exceed it.
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 displays are a Linux matter")
def test_a_display_pointing_nowhere_is_a_clear_message_and_exit_2(tmp_path):
    proc = start_editor(tmp_path, str(EXAMPLE_FLOWS / "abandoned_cart.json"), DISPLAY=":97")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "qt.qpa" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot open the editor:")
    assert "':97' does not answer" in lines[0] or "sudo apt install" in lines[0]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 displays are a Linux matter")
def test_no_display_at_all_is_a_clear_message_and_exit_2(tmp_path):
    proc = start_editor(tmp_path, DISPLAY=None)
    assert proc.returncode == 2
    assert proc.stderr.strip() == proc.stderr.strip().splitlines()[0]
    assert "no display (DISPLAY is not set)" in proc.stderr


def finder_without(*absent: str):
    asked: list[str] = []

    def find(name: str) -> str | None:
        asked.append(name)
        return None if name in absent else f"lib{name}.so"

    find.asked = asked
    return find


def test_missing_xcb_libraries_are_named_as_packages():
    find = finder_without("xcb-icccm", "xcb-keysyms", "xkbcommon-x11")
    with pytest.raises(DisplayUnavailable) as caught:
        check_display({"DISPLAY": ":0"}, "linux", find, answers=lambda _d: True)
    message = str(caught.value)
    assert message.endswith("sudo apt install libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0")
    assert set(find.asked) == set(XCB_LIBRARIES)


def test_with_every_library_and_a_display_that_answers_the_editor_may_start():
    find = finder_without()
    check_display({"DISPLAY": ":0"}, "linux", find, answers=lambda d: d == ":0")
    with pytest.raises(DisplayUnavailable, match="':1' does not answer"):
        check_display({"DISPLAY": ":1"}, "linux", find, answers=lambda d: d == ":0")


@pytest.mark.parametrize("env,platform", [
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux"),
    ({"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, "linux"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, "linux"),
    ({}, "win32"),
    ({}, "darwin"),
])
def test_libraries_are_looked_for_only_when_the_platform_would_be_xcb(env, platform):
    find = finder_without(*XCB_LIBRARIES)
    check_display(env, platform, find, answers=lambda _d: False)
    assert find.asked == []


def test_qt_platform_reads_the_first_choice_of_qt_qpa_platform():
    assert qt_platform({"QT_QPA_PLATFORM": "xcb;wayland"}, "linux") == "xcb"
    assert qt_platform({"QT_QPA_PLATFORM": "offscreen:fontengine=freetype"}, "linux") == "offscreen"
    assert qt_platform({}, "linux") == "xcb"
