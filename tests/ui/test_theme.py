"""Themes and icons: palettes switch, system follows the desktop, every icon exists and draws."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtGui import QColor, QPalette

from designer.model.kinds import KINDS
from designer.ui import theme


@pytest.fixture(scope="module")
def app(qapp):
    """Re-styling cost grows with the number of live widgets: free the ones earlier tests
    let go, and put the light theme back once at the end."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    theme.apply_theme(qapp, "light")
    yield qapp
    theme.apply_theme(qapp, "light")


def window_color(app) -> str:
    return app.palette().color(QPalette.ColorRole.Window).name()


def test_switching_theme_changes_the_application_palette(app, qtbot):
    theme.apply_theme(app, "light")
    sheet = app.styleSheet()
    app.setStyleSheet("")  # the style sheet style hides the base style's name
    assert app.style().name().lower() == "fusion"
    app.setStyleSheet(sheet)
    light = window_color(app)
    with qtbot.waitSignal(theme.notifier().themeChanged) as signal:
        theme.apply_theme(app, "dark")
    assert signal.args == ["dark"]
    assert theme.current_theme() == "dark" and theme.is_dark()
    dark = window_color(app)
    assert light == theme.load_spec("light").palette["Window"] and dark == theme.load_spec("dark").palette["Window"]
    assert QColor(dark).lightness() < 80 < QColor(light).lightness()
    text = app.palette().color(QPalette.ColorRole.Text)
    assert text.lightness() > 180, "dark theme text must be light"
    assert "#f85149" in app.styleSheet(), "the style sheet takes the theme's error colour"


def test_system_follows_the_desktop_scheme(app, monkeypatch):
    monkeypatch.setattr(theme, "system_scheme", lambda: "dark")
    theme.apply_theme(app, "system")
    assert theme.current_theme() == "system" and theme.effective_theme() == "dark"
    assert window_color(app) == theme.load_spec("dark").palette["Window"]
    monkeypatch.setattr(theme, "system_scheme", lambda: "light")
    theme._on_system_scheme_changed(Qt.ColorScheme.Light)  # what colorSchemeChanged calls
    assert theme.effective_theme() == "light" and window_color(app) == theme.load_spec("light").palette["Window"]


def test_unknown_theme_is_refused(app):
    with pytest.raises(ValueError, match="unknown theme"):
        theme.apply_theme(app, "sepia")


def test_every_theme_file_sets_valid_colours():
    for name in ("light", "dark"):
        spec = theme.load_spec(name)
        for role in list(spec.palette) + list(spec.disabled):
            assert hasattr(QPalette.ColorRole, role), f"{name}: {role} is not a palette role"
        for value in list(spec.palette.values()) + list(spec.colors.values()):
            assert QColor(value).isValid(), f"{name}: {value}"
        left = re.findall(r"@([a-z_]+)", theme.style_sheet(spec))
        assert left == [], f"{name}: style sheet tokens without a colour: {left}"


def _ink(pixmap) -> int:
    """How many pixels an icon actually painted."""
    image = pixmap.toImage()
    return sum(1 for y in range(image.height()) for x in range(image.width())
               if image.pixelColor(x, y).alpha() > 0)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_has_an_icon_file_that_renders(app, kind):
    path = theme.ICON_DIR / f"{kind}.svg"
    assert path.is_file(), f"missing {path}"
    root = ET.parse(path).getroot()
    assert root.get("viewBox") == "0 0 24 24"
    assert "currentColor" in path.read_text(), "icons are tinted through currentColor"
    icon = theme.icon(kind)
    assert not icon.isNull()
    assert _ink(icon.pixmap(24, 24)) > 20


@pytest.mark.parametrize("name", theme.ACTION_ICONS)
def test_every_toolbar_action_has_an_icon(app, name):
    icon = theme.action_icon(name)
    assert not icon.isNull() and _ink(icon.pixmap(24, 24)) > 20


def test_icons_take_the_theme_text_colour_and_stay_crisp_at_200_percent(app):
    theme.apply_theme(app, "dark")
    image = theme.icon("send_email").pixmap(24, 24).toImage()
    inked = [image.pixelColor(x, y) for y in range(24) for x in range(24) if image.pixelColor(x, y).alpha() == 255]
    assert inked and all(c.lightness() > 180 for c in inked), "dark theme icons are light"
    theme.apply_theme(app, "light")
    image = theme.icon("send_email").pixmap(24, 24).toImage()
    inked = [image.pixelColor(x, y) for y in range(24) for x in range(24) if image.pixelColor(x, y).alpha() == 255]
    assert inked and all(c.lightness() < 80 for c in inked), "light theme icons are dark"
    # A real 48 px rendering exists for 24 px at 2x, not a blown-up 24 px one.
    sizes = theme.icon("send_email").availableSizes()
    assert any(s.width() == 48 for s in sizes)


def test_icon_cache_is_per_theme_and_unknown_kinds_have_none(app):
    theme.apply_theme(app, "light")
    first = theme.icon("delay")
    assert theme.icon("delay").cacheKey() == first.cacheKey()
    theme.apply_theme(app, "dark")
    assert theme.icon("delay").cacheKey() != first.cacheKey()
    assert theme.icon("no_such_kind").isNull()
