"""Can the editor open a window here? Checked before Qt is asked, so the answer is a
clear sentence instead of Qt aborting (or waiting) with its own message.

On Linux, Qt 6's X11 platform plugin (xcb) needs a set of libxcb helper
libraries that a minimal desktop often lacks; without them Qt prints "Could not
load the Qt platform plugin xcb" and aborts. This module looks for each library
the plugin links against (``ctypes.util.find_library``) and names the Debian /
Ubuntu packages to install, and it tries the X display before Qt does.
No Qt import here: the check runs before any QApplication exists.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from collections.abc import Callable, Mapping

#: The libraries Qt 6's xcb plugin loads (``ldd libQt6XcbQpa.so``), by their
#: find_library name, with the Debian/Ubuntu package that ships each.
XCB_LIBRARIES: dict[str, str] = {
    "xcb": "libxcb1",
    "X11-xcb": "libx11-xcb1",
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-image": "libxcb-image0",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-randr": "libxcb-randr0",
    "xcb-render": "libxcb-render0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xcb-shm": "libxcb-shm0",
    "xcb-sync": "libxcb-sync1",
    "xcb-util": "libxcb-util1",
    "xcb-xfixes": "libxcb-xfixes0",
    "xcb-xkb": "libxcb-xkb1",
    "xkbcommon": "libxkbcommon0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
}
#: Platforms that draw without any display server (nothing to check).
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"})


class DisplayUnavailable(Exception):
    """No window can be opened here; the message says why and what to do."""


def qt_platform(env: Mapping[str, str], platform: str = sys.platform) -> str:
    """The platform plugin Qt would pick: QT_QPA_PLATFORM's first choice, else the system's
    (on Linux, wayland in a Wayland session and xcb otherwise)."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip().lower()
    if chosen:
        return chosen
    if platform.startswith("win"):
        return "windows"
    if platform == "darwin":
        return "cocoa"
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE", "").lower() == "wayland":
        return "wayland"
    return "xcb"


def missing_xcb_packages(find: Callable[[str], str | None] = ctypes.util.find_library) -> list[str]:
    """The packages whose libraries the xcb plugin needs and ``find`` cannot locate."""
    return [package for library, package in XCB_LIBRARIES.items() if not find(library)]


def x_display_answers(display: str, find: Callable[[str], str | None] = ctypes.util.find_library) -> bool:
    """Whether an X server answers at ``display`` (one xcb_connect, as Qt itself would)."""
    name = find("xcb")
    if not name:
        return False
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return False
    lib.xcb_connect.restype = ctypes.c_void_p
    lib.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    lib.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    lib.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = lib.xcb_connect(display.encode(), None)
    if not conn:
        return False
    try:
        return lib.xcb_connection_has_error(conn) == 0
    finally:
        lib.xcb_disconnect(conn)


def check_display(env: Mapping[str, str] | None = None, platform: str = sys.platform,
                  find: Callable[[str], str | None] = ctypes.util.find_library,
                  answers: Callable[[str], bool] | None = None) -> None:
    """Raise DisplayUnavailable when the editor's window cannot open here."""
    env = os.environ if env is None else env
    chosen = qt_platform(env, platform)
    if chosen in HEADLESS_PLATFORMS or not platform.startswith("linux"):
        return
    hint = ("run a command instead (python main.py --help lists them), or picture the editor with "
            "'python main.py screenshot OUT.png'")
    if chosen == "wayland":
        if not env.get("WAYLAND_DISPLAY"):
            raise DisplayUnavailable(f"cannot open the editor: no Wayland display (WAYLAND_DISPLAY is not set); {hint}")
        return
    if chosen != "xcb":
        return
    display = env.get("DISPLAY", "")
    if not display:
        raise DisplayUnavailable(f"cannot open the editor: no display (DISPLAY is not set); {hint}")
    missing = missing_xcb_packages(find)
    if missing:
        raise DisplayUnavailable(
            "cannot open the editor: Qt's X11 platform plugin (xcb) needs libraries that are not "
            f"installed; install them with: sudo apt install {' '.join(missing)}")
    if not (answers or (lambda d: x_display_answers(d, find)))(display):
        raise DisplayUnavailable(f"cannot open the editor: the X display {display!r} does not answer; {hint}")
