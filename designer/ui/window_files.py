"""The editor window's files: new, open, examples, save, recent files, the questions around
them (unsaved changes, errors, passwords) and recovery after a crash.

A mixin of :class:`designer.ui.mainwindow.MainWindow`. Questions to the user go through
:meth:`WindowFiles.ask` and :meth:`WindowFiles.ask_password`, the places tests answer.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox

from designer import EXAMPLE_FLOWS, identity
from designer.model import documents, io
from designer.model.errors import FlowFormatError
from designer.model.flow import Flow
from designer.ui import prefs
from designer.ui.document import new_flow
from designer.ui.recovery import find_recovery

log = logging.getLogger(__name__)

APP_NAME = identity.DISPLAY_NAME
DEFAULT_EXAMPLE = "abandoned_cart.json"
FILE_FILTER = "Flow files (*.json);;All files (*)"

Button = QMessageBox.StandardButton


def example_files() -> list[Path]:
    """The example flows (their test files sit beside them and are not examples)."""
    return documents.flow_files(EXAMPLE_FLOWS)


def starting_flow() -> Flow:
    """What an empty start shows: the abandoned-cart example, else a new flow with a trigger."""
    path = EXAMPLE_FLOWS / DEFAULT_EXAMPLE
    try:
        return io.load(path)
    except FlowFormatError:
        return new_flow()


class WindowFiles:
    """Opening and saving flows, and recovering unsaved work, for the window's document."""

    def ask(self, icon: QMessageBox.Icon, title: str, text: str,
            buttons: QMessageBox.StandardButton = Button.Ok,
            default: QMessageBox.StandardButton = Button.NoButton, details: str = "") -> QMessageBox.StandardButton:
        """Show a message box and return the button pressed (the one place tests answer)."""
        box = QMessageBox(icon, title, text, buttons, self)
        if default != Button.NoButton:
            box.setDefaultButton(default)
        if details:
            box.setInformativeText(details)
        box.setObjectName("editorMessage")
        return Button(box.exec())

    def show_error(self, title: str, text: str, details: str = "") -> None:
        self.ask(QMessageBox.Icon.Warning, title, text, Button.Ok, Button.Ok, details)

    def maybe_save(self) -> bool:
        """Ask whether to save unsaved changes; False when the user cancels."""
        if not self.document.is_modified():
            return True
        answer = self.ask(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Save the changes to “{self.document.title()}” first?",
                          Button.Save | Button.Discard | Button.Cancel, Button.Save,
                          "Unsaved changes are lost if you don't save them.")
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    def ask_password(self, title: str, text: str) -> str | None:
        """Ask for a password (None: cancelled); one place, like :meth:`ask`, that tests answer."""
        password, ok = QInputDialog.getText(self, title, text, QLineEdit.EchoMode.Password)
        return password if ok else None

    def new_file(self) -> None:
        if not self.maybe_save():
            return
        self.autosaver.discard()
        self.document.replace_flow(new_flow(), None)
        self.view.show_flow()
        self._status("New flow")

    def open_file(self) -> None:
        if not self.maybe_save():
            return
        start = str(Path(self.document.path).parent) if self.document.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open flow", start, FILE_FILTER)
        if path:
            self.open_path(path, ask_to_save=False)

    def open_path(self, path: str, ask_to_save: bool = True) -> bool:
        """Open a flow file; a broken one is reported (what and where) and the
        current flow stays open."""
        if ask_to_save and not self.maybe_save():
            return False
        try:
            loaded = io.load(path)
        except FlowFormatError as exc:
            self.show_error("Cannot open flow", f"“{Path(path).name}” could not be opened.", str(exc))
            self._status(f"Could not open {path}")
            return False
        except Exception as exc:  # noqa: BLE001 - a loader bug must not take the editor down
            log.exception("unexpected error while opening %s", path)
            self.show_error("Cannot open flow", f"“{Path(path).name}” could not be opened.",
                            f"{type(exc).__name__}: {exc}")
            return False
        self.autosaver.discard()
        self.document.replace_flow(loaded, str(path))
        prefs.add_recent_file(str(Path(path).resolve()))
        self.offer_recovery(str(path))
        self.view.show_flow()
        self._status(f"Opened {path}")
        return True

    def open_example(self, path: str) -> None:
        """Open an example as a new, untitled flow, so saving never overwrites the example."""
        if not self.maybe_save():
            return
        try:
            flow = io.load(path)
        except FlowFormatError as exc:
            self.show_error("Cannot open example", f"The example “{Path(path).name}” is damaged.", str(exc))
            return
        self.autosaver.discard()
        self.document.replace_flow(flow, None)
        self.view.show_flow()
        self._status(f"Example: {flow.name} (save it to keep your changes)")

    def offer_recovery(self, source: str | None) -> bool:
        """If a crash left unsaved changes for this flow, offer them back."""
        found = find_recovery(source)
        if not found:
            return False
        rec = found[0]
        what = f"“{Path(source).name}”" if source else f"the unsaved flow “{rec.name}”"
        answer = self.ask(QMessageBox.Icon.Question, "Recover unsaved changes",
                          f"{APP_NAME} did not close normally. Unsaved changes to {what} were "
                          "kept. Restore them?", Button.Yes | Button.No, Button.Yes,
                          "If you choose No, the kept changes are deleted.")
        if answer != Button.Yes:
            for r in found:
                r.discard()
            return False
        try:
            flow = rec.load()
        except (FlowFormatError, ValueError, KeyError, OSError) as exc:
            self.show_error("Cannot recover", "The kept changes could not be read.", str(exc))
            return False
        self.document.restore(flow)
        for r in found:
            r.discard()
        self.autosaver.save_now()
        self.view.show_flow()
        self._status("Recovered unsaved changes")
        return True

    def save(self) -> bool:
        if not self.document.path:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        start = self.document.path or str(Path.home() / f"{self.document.flow.id or 'flow'}.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save flow as", start, FILE_FILTER)
        if not path:
            return False
        if not Path(path).suffix:
            path += ".json"
        return self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            self.document.save(path)
        except OSError as exc:
            self.show_error("Cannot save", f"The flow could not be saved to “{path}”.", exc.strerror or str(exc))
            return False
        self.autosaver.discard()
        prefs.add_recent_file(str(Path(path).resolve()))
        self._status(f"Saved {path}")
        return True
