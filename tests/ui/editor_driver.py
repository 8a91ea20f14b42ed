"""Driving the real editor window in tests: where things are on screen, real mouse gestures."""

from __future__ import annotations

import threading

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from designer.model import io
from designer.model.layout import CARD_HEIGHT, CARD_WIDTH
from designer.ui.document import Document
from designer.ui.mainwindow import MainWindow

FLOWS = Path(__file__).resolve().parents[2] / "flows"


def make_window(qtbot, flow=None, path: str | None = None) -> MainWindow:
    document = Document(flow if flow is not None else io.load(FLOWS / "abandoned_cart.json"))
    if path:
        document.set_path(path)
    window = MainWindow(document)
    # Closing at teardown must never stop at the unsaved-changes question.
    qtbot.addWidget(window, before_close_func=lambda w: w.document.undo_stack.setClean())
    window.resize(1300, 900)
    window.show()
    qtbot.waitExposed(window)
    QApplication.processEvents()
    window.view.set_zoom(1.0)
    return window


def close_window(window: MainWindow) -> None:
    """Close without the unsaved-changes question."""
    window.document.undo_stack.setClean()
    window.close()


def show_nodes(window: MainWindow, *ids: str) -> None:
    """Zoom and scroll so these cards are on screen (at a size the mouse can hit)."""
    items = [window.scene.nodes[i] for i in ids]
    rect = items[0].sceneBoundingRect()
    for item in items[1:]:
        rect = rect.united(item.sceneBoundingRect())
    window.view.set_zoom(1.0)
    vp = window.view.viewport().rect()
    zoom = min(1.0, (vp.width() - 40) / rect.width(), (vp.height() - 40) / rect.height())
    window.view.set_zoom(zoom)
    window.view.centerOn(rect.center())
    QApplication.processEvents()


def port_point(window: MainWindow, node_id: str, port: str) -> QPoint:
    item = window.scene.nodes[node_id]
    return window.view.mapFromScene(item.mapToScene(item.port_pos(port)))


def card_point(window: MainWindow, node_id: str, dx: float = 0, dy: float = 0) -> QPoint:
    item = window.scene.nodes[node_id]
    return window.view.mapFromScene(item.mapToScene(QPointF(CARD_WIDTH / 2 + dx, CARD_HEIGHT / 2 - 8 + dy)))


def drag(qtbot, widget, start: QPoint, end: QPoint, button=Qt.MouseButton.LeftButton,
         modifier=Qt.KeyboardModifier.NoModifier, steps: int = 4, before_release=None) -> None:
    """Press, move in a few steps, release: a real mouse drag on ``widget``."""
    qtbot.mousePress(widget, button, modifier, start)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        qtbot.mouseMove(widget, QPoint(round(p.x()), round(p.y())))
    if before_release is not None:
        before_release()
    qtbot.mouseRelease(widget, button, modifier, end)


def record_threads(monkeypatch, module, name: str) -> list[int]:
    """Wrap ``module.name`` so each call notes the thread it ran on; returns that list.

    The GUI tests use it to show that slow work (simulate, import, preparing
    the sample shop) never runs on the GUI thread.
    """
    threads: list[int] = []
    real = getattr(module, name)

    def recording(*args, **kwargs):
        threads.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
    return threads
