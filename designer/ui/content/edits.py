"""Template edits: the editor's text for template files, as undo commands, written beside the flow on save.

Edits live in :class:`TemplateEdits` (file name -> text) until the document
is saved; then each changed template is written atomically to ``templates/``
beside the flow file (a shipped template edited becomes the flow's own copy).
Opening another flow drops them (its undo history starts afresh too).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from designer.content.templates import search_path
from designer.model.io import atomic_write_text

MERGE_ID = 0x7E3A


class TemplateEdits(QObject):
    """The unsaved text of template files for one document."""

    changed = Signal(str)  # file name

    def __init__(self, document) -> None:
        super().__init__(document)
        self.document = document
        self.texts: dict[str, str] = {}
        self._path = document.path
        document.fileChanged.connect(self._file_changed)

    def set_text(self, filename: str, text: str | None) -> None:
        if text is None:
            self.texts.pop(filename, None)
        else:
            self.texts[filename] = text
        self.changed.emit(filename)

    def edit(self, filename: str, old: str, new: str) -> None:
        """Change a template's text as one undo step (consecutive typing merges)."""
        if old != new:
            self.document.undo_stack.push(SetTemplateCommand(self, filename, old, new))

    def _file_changed(self, path: str) -> None:
        previous, self._path = self._path, path or None
        if previous != self._path and self.document.undo_stack.count() == 0:
            self.texts.clear()  # another flow was opened or a new one started
            self.changed.emit("")
        elif self._path and self.texts and self.document.undo_stack.isClean():
            self.write(self._path)

    def write(self, flow_path: str) -> list[Path]:
        """Write every edited template into the flow's ``templates/`` folder (each file atomically)."""
        folder = search_path(flow_path)[0]
        written = []
        for name, text in sorted(self.texts.items()):
            target = folder / name
            if target.exists() and target.read_text(encoding="utf-8") == text:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            atomic_write_text(target, text)
            written.append(target)
        return written


class SetTemplateCommand(QUndoCommand):
    def __init__(self, edits: TemplateEdits, filename: str, old: str, new: str) -> None:
        super().__init__(f"Edit template {filename}")
        self.edits, self.filename, self.old, self.new = edits, filename, old, new

    def id(self) -> int:
        return MERGE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if isinstance(other, SetTemplateCommand) and other.filename == self.filename:
            self.new = other.new
            return True
        return False

    def redo(self) -> None:
        self.edits.set_text(self.filename, self.new)

    def undo(self) -> None:
        self.edits.set_text(self.filename, self.old)
