"""Starting the editor: the application object, the theme, the safety net, the windows."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from designer import __version__, identity
from designer.ui import collector, display, prefs, theme

log = logging.getLogger("designer")

#: Windows kept alive while the application runs.
_windows: list = []


def log_file() -> Path:
    folder = Path(os.environ.get("TRIGGER_FLOW_LOG_DIR") or identity.log_dir())
    return folder / "designer.log"


def setup_logging() -> Path | None:
    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if not any(isinstance(h, logging.FileHandler) for h in log.handlers):
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


def application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, created with the program's names if none exists yet
    (the names place QSettings and Qt's standard paths beside the app's other files).

    Python's cycle collector runs on its thread from then on (see :mod:`.collector`)."""
    app = QApplication.instance()
    if app is None:
        # The content preview loads Qt WebEngine later, which needs shared GL contexts from the start.
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        app = QApplication([sys.argv[0] if sys.argv else "designer", *(argv or [])])
    collector.install(app)
    app.setOrganizationName(identity.ORGANIZATION)
    app.setApplicationName(identity.APP_NAME)
    app.setApplicationDisplayName(identity.DISPLAY_NAME)
    app.setApplicationVersion(__version__)
    return app


def install_excepthook(show: Callable[[str, str], None] | None = None) -> Callable:
    """Log any uncaught exception and tell the user in a message box instead of crashing.

    Qt calls Python slots and event handlers from C++; an exception escaping one
    would otherwise print a traceback or end the program with unsaved work.
    Returns the previous hook.
    """
    previous = sys.excepthook

    def default_show(title: str, text: str) -> None:
        app = QApplication.instance()
        if app is None:
            print(f"{title}: {text}", file=sys.stderr)
            return
        parent = app.activeWindow()
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, parent)
        box.setObjectName("errorMessage")
        box.exec()

    shower = show or default_show

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            previous(kind, value, tb)
            return
        log.error("uncaught exception:\n%s", "".join(traceback.format_exception(kind, value, tb)))
        for window in list(_windows):
            try:
                window.autosaver.save_now()
            except Exception:  # noqa: BLE001 - best effort while already handling an error
                pass
        where = log_file()
        shower("Something went wrong",
               f"The editor hit an unexpected problem ({kind.__name__}: {value}). Your unsaved work was "
               f"kept in a recovery file. Details are in {where}.")

    sys.excepthook = hook
    return previous


def open_window(paths: list[str]):
    """A main window showing the first flow file given, or an example; more files open more windows."""
    from designer.ui.document import Document
    from designer.ui.mainwindow import MainWindow, starting_flow

    windows = []
    for path in paths or [None]:
        window = MainWindow(Document(starting_flow() if path is None else None))
        _windows.append(window)
        window.show()
        if path is not None:
            if not window.open_path(path, ask_to_save=False):
                window.offer_recovery(None)
        else:
            window.offer_recovery(None)
        windows.append(window)
    return windows


def run(argv: list[str]) -> int:
    """Start the editor with the given flow files (none: an example flow) and run until closed.

    Raises display.DisplayUnavailable, before Qt is started, where no window can open."""
    if QApplication.instance() is None:
        display.check_display()
    setup_logging()
    app = application()
    paths = [a for a in argv if not a.startswith("-")]
    choice = str(prefs.settings().value("view/theme", "system"))
    theme.apply_theme(app, choice if choice in theme.THEMES else "system")
    install_excepthook()
    for window in open_window(paths):
        window.start_store()  # the remembered event store, or the sample shop, in the background
    code = app.exec()
    _windows.clear()
    return int(code)
