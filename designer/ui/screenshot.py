"""Render the real editor window offscreen to a PNG (for the README, and for
reviewers without a display)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def render(out: str | os.PathLike, flow_path: str | None = None, size: tuple[int, int] = (1400, 860),
           theme_name: str = "light", select: str | None = None) -> Path:
    """Open the flow (or the starting example) in a main window of ``size``, fit it,
    and save a picture of the whole window. Raises FlowFormatError for a broken flow."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from designer.model import io
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
        if select:
            window.go_to_node(select)
        window.view.fit()
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
