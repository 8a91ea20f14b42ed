"""Render the real editor window offscreen to a PNG (for the README, and for
reviewers without a display), optionally with an event store open and the flow's
backtest on the canvas and in the Results dock."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class ScreenshotError(Exception):
    """The picture cannot be made as asked (a store that cannot be opened, a backtest that
    cannot run); the message says why, ``code`` is the command's exit code (1: the flow
    has errors, 2: something could not be read or run)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _wait(task, app) -> None:
    """Let a background task finish and its outcome reach the window."""
    import time

    while task.state == "running":
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()


def render(out: str | os.PathLike, flow_path: str | None = None, size: tuple[int, int] = (1400, 860),
           theme_name: str = "light", select: str | None = None, db: str | None = None,
           backtest: bool = False) -> Path:
    """Open the flow (or the starting example) in a main window of ``size``, shown as the
    editor opens it (legible, from the trigger),
    and save a picture of the whole window. With ``db`` the window uses that event store;
    with ``backtest`` too, it backtests the flow first, so the picture shows the figures
    on the canvas and the Results dock. Raises FlowFormatError for a broken flow and
    ScreenshotError when the store or the backtest fails."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QApplication

    from designer.model import io
    from designer.model.validate import ERROR
    from designer.ui import theme
    from designer.ui.app import application
    from designer.ui.document import Document
    from designer.ui.mainwindow import MainWindow, starting_flow

    flow = io.load(flow_path) if flow_path else starting_flow()
    app = application()
    with tempfile.TemporaryDirectory(prefix="flow-shot-") as folder:
        # A fresh settings file: the picture must not depend on this user's window layout.
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, folder)
        theme.apply_theme(app, theme_name)
        document = Document(flow)
        if flow_path:
            document.set_path(str(flow_path))
        window = MainWindow(document)
        window.resize(*size)
        window.show()
        QApplication.processEvents()
        document.validate_now()
        try:
            if db:
                failures: list[str] = []
                task = window.store.open(db, remember=False)
                task.on(failed=failures.append)
                _wait(task, app)
                if failures:
                    raise ScreenshotError(failures[0])
            if backtest:
                problems: list[str] = []
                window.backtest.refused.connect(problems.append)
                window.backtest.failed.connect(problems.append)
                task = window.run_backtest()
                if task is None:
                    flow_errors = any(p.severity == ERROR for p in document.problems())
                    raise ScreenshotError(problems[0] if problems else "the backtest did not start",
                                          1 if flow_errors else 2)
                _wait(task, app)
                if problems or window.backtest.result is None:
                    raise ScreenshotError(problems[0] if problems else "the backtest did not finish")
                window.results_dock.raise_()
                window.resizeDocks([window.results_dock], [max(260, size[1] * 34 // 100)], Qt.Orientation.Vertical)
                QApplication.processEvents()
        except ScreenshotError:
            window.workers.shutdown()
            window.document.undo_stack.setClean()
            window.close()
            raise
        if select:
            window.go_to_node(select)
        window.view.show_flow()  # as the editor opens it: legible, from the trigger
        QApplication.processEvents()
        picture = window.grab()
        target = Path(out)
        if target.parent and not target.parent.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
        if not picture.save(str(target), "PNG"):
            raise OSError(f"cannot write {target}")
        window.autosaver.discard()
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
        QApplication.processEvents()
    return target
