"""Light and dark themes, and the icons tinted to match them.

The look is Qt's Fusion style with one QPalette per theme, read from
``resources/theme/<name>.json``, plus a small style sheet
(``resources/theme/style.qss``) for what a palette cannot say, such as the red
frame of a field whose text cannot be used yet. "system" follows the desktop's
colour scheme (``QStyleHints.colorScheme()``) and keeps following it.

Icons are hand-drawn line SVGs (24x24, ``stroke="currentColor"``). Qt's SVG
renderer ignores ``currentColor``, so each icon's text is tinted with the
theme's text colour and rendered at several sizes, which keeps it crisp at
200 % scaling. Tinted icons are cached per colour; a theme change clears the
cache and emits ``notifier().themeChanged`` so open widgets can fetch fresh ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QStyleFactory

from designer import RESOURCES

THEMES = ("light", "dark", "system")
ICON_DIR = RESOURCES / "icons"
THEME_DIR = RESOURCES / "theme"
#: Toolbar actions that have an icon, as passed to ``action_icon``.
ACTION_ICONS = ("new", "open", "save", "undo", "redo", "cut", "copy", "paste", "delete",
                "zoom-in", "zoom-out", "fit", "layout", "validate", "simulate")
#: Pixel sizes each icon is rendered at; Qt picks the nearest for the size and scale asked.
ICON_SIZES = (16, 20, 24, 32, 40, 48, 64, 96)
_PLACEHOLDER = "currentColor"


@dataclass(frozen=True)
class ThemeSpec:
    """One theme file: palette roles (normal and disabled) and named extra colours."""

    name: str
    dark: bool
    palette: dict[str, str]
    disabled: dict[str, str]
    colors: dict[str, str]


class ThemeNotifier(QObject):
    """Tells open widgets that the theme changed (payload: the effective theme, light or dark)."""

    themeChanged = Signal(str)


_state: dict[str, object] = {"requested": "light", "effective": "light", "hooked": False}
_notifier: ThemeNotifier | None = None
_icon_cache: dict[tuple[str, str, str], QIcon] = {}


def notifier() -> ThemeNotifier:
    global _notifier
    if _notifier is None:
        _notifier = ThemeNotifier()
    return _notifier


@lru_cache(maxsize=None)
def load_spec(name: str) -> ThemeSpec:
    """The palette definition of ``light`` or ``dark``."""
    data = json.loads((THEME_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return ThemeSpec(name, bool(data.get("dark")), dict(data["palette"]),
                     dict(data.get("disabled", {})), dict(data.get("colors", {})))


def build_palette(spec: ThemeSpec) -> QPalette:
    palette = QPalette()
    for role_name, value in spec.palette.items():
        role = getattr(QPalette.ColorRole, role_name)
        palette.setColor(QPalette.ColorGroup.All, role, QColor(value))
    for role_name, value in spec.disabled.items():
        role = getattr(QPalette.ColorRole, role_name)
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(value))
    return palette


def style_sheet(spec: ThemeSpec) -> str:
    """The theme's small style sheet, its ``@name`` tokens replaced by the theme's colours."""
    text = (THEME_DIR / "style.qss").read_text(encoding="utf-8")
    # Longest names first, so "@card_border" is not taken for "@card" + "_border".
    for key in sorted(spec.colors, key=len, reverse=True):
        text = text.replace(f"@{key}", spec.colors[key])
    return text


def system_scheme() -> str:
    """The desktop's colour scheme as "light" or "dark" (light when it does not say)."""
    app = QGuiApplication.instance()
    if app is None:
        return "light"
    scheme = QGuiApplication.styleHints().colorScheme()
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def apply_theme(app: QApplication, name: str) -> None:
    """Give the application the Fusion style and the named theme's palette and style sheet."""
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; use one of {', '.join(THEMES)}")
    if not _state["hooked"]:
        QGuiApplication.styleHints().colorSchemeChanged.connect(_on_system_scheme_changed)
        _state["hooked"] = True
    effective = system_scheme() if name == "system" else name
    spec = load_spec(effective)
    sheet = style_sheet(spec)
    if _state.get("styled_app") is app and _state["effective"] == effective and app.styleSheet() == sheet:
        _state["requested"] = name  # already on screen: re-styling every widget would be wasted
        return
    if _state.get("styled_app") is not app:
        # Once per application: setStyle rebuilds every widget's look, and with a style
        # sheet set, app.style() no longer reports the base style's name.
        fusion = QStyleFactory.create("Fusion")
        if fusion is not None:
            app.setStyle(fusion)
        _state["styled_app"] = app
    app.setPalette(build_palette(spec))
    app.setStyleSheet(sheet)
    _state["requested"], _state["effective"] = name, effective
    _icon_cache.clear()
    notifier().themeChanged.emit(effective)


def _on_system_scheme_changed(_scheme: object) -> None:
    app = QApplication.instance()
    if _state["requested"] == "system" and isinstance(app, QApplication):
        apply_theme(app, "system")


def current_theme() -> str:
    """The theme last asked for: "light", "dark" or "system"."""
    return str(_state["requested"])


def effective_theme() -> str:
    """What is on screen now: "light" or "dark" ("system" resolved)."""
    return str(_state["effective"])


def is_dark() -> bool:
    return effective_theme() == "dark"


def color(name: str) -> QColor:
    """A named colour of the current theme (error, warning, success, muted, border,
    canvas, grid, card, card_border, edge), for painting what the palette has no role for."""
    return QColor(load_spec(effective_theme()).colors[name])


# -- icons -------------------------------------------------------------------
@lru_cache(maxsize=None)
def _svg_text(file_name: str) -> str | None:
    path = ICON_DIR / file_name
    return path.read_text(encoding="utf-8") if path.is_file() else None


def render_svg(svg: str, tint: QColor, size: int, ratio: float = 1.0) -> QPixmap:
    """The SVG text with ``currentColor`` replaced by ``tint``, as a size x size pixmap."""
    data = svg.replace(_PLACEHOLDER, tint.name(QColor.NameFormat.HexArgb if tint.alpha() < 255
                                                else QColor.NameFormat.HexRgb))
    renderer = QSvgRenderer(QByteArray(data.encode("utf-8")))
    pixels = max(1, round(size * ratio))
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pixels, pixels))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _tints() -> tuple[QColor, QColor]:
    app = QGuiApplication.instance()
    palette = QGuiApplication.palette() if app is not None else build_palette(load_spec(effective_theme()))
    return (palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.WindowText),
            palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText))


def _icon_from_file(file_name: str, tint: QColor | None = None) -> QIcon:
    svg = _svg_text(file_name)
    if svg is None:
        return QIcon()
    normal, disabled = _tints()
    normal = tint or normal
    key = (file_name, normal.name(QColor.NameFormat.HexArgb), disabled.name(QColor.NameFormat.HexArgb))
    cached = _icon_cache.get(key)
    if cached is not None:
        return cached
    out = QIcon()
    for size in ICON_SIZES:
        out.addPixmap(render_svg(svg, normal, size), QIcon.Mode.Normal)
        out.addPixmap(render_svg(svg, disabled, size), QIcon.Mode.Disabled)
    _icon_cache[key] = out
    return out


def icon(kind_name: str, tint: QColor | None = None) -> QIcon:
    """The icon of a node kind (``resources/icons/<kind>.svg``), tinted with the theme's
    text colour or ``tint``; an empty QIcon for a kind without a file."""
    return _icon_from_file(f"{kind_name}.svg", tint)


def action_icon(name: str, tint: QColor | None = None) -> QIcon:
    """A toolbar icon by action name (see ACTION_ICONS), e.g. ``action_icon("zoom-in")``."""
    return _icon_from_file(f"action-{name}.svg", tint)


def icon_files() -> list[Path]:
    return sorted(ICON_DIR.glob("*.svg"))
