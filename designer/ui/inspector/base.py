"""What every inspector editor shares: the value protocol and the inline error frame.

An editor shows one value of a node's config or of the flow settings. It says
when the user changed it (``edited``, with ``typing`` true for keystrokes, so
the document can merge a run of typing into one undo step) and whether what is
on screen can be used (``problem``). Input the model can hold is committed even
when validation will object to it later; input it cannot hold (a half-typed
number, an incomplete condition row) stays on screen with a red frame and the
reason in its tooltip, and nothing is committed until it can be.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton, QWidget

from designer.model.kinds import Field

_TOOLTIP_KEY = "_plainToolTip"


def set_invalid(widget: QWidget, message: str | None) -> None:
    """Frame ``widget`` red with ``message`` as its tooltip, or clear both (None)."""
    if widget.property(_TOOLTIP_KEY) is None:
        widget.setProperty(_TOOLTIP_KEY, widget.toolTip())
    bad = message is not None
    if bool(widget.property("invalid")) != bad or (bad and widget.toolTip() != message):
        widget.setProperty("invalid", bad)
        widget.setToolTip(message if bad else widget.property(_TOOLTIP_KEY))
        style = widget.style()
        style.unpolish(widget)
        style.polish(widget)
        widget.update()


def is_invalid(widget: QWidget) -> bool:
    return bool(widget.property("invalid"))


def label(text: str, role: str | None = None, *, wrap: bool = False) -> QLabel:
    out = QLabel(text)
    if role:
        out.setProperty("role", role)
    out.setWordWrap(wrap)
    return out


def set_role(widget: QWidget, role: str) -> None:
    """Change the style sheet role of a label (error, warning, ok, muted) and restyle it."""
    if widget.property("role") != role:
        widget.setProperty("role", role)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def show_messages(note: QLabel, problems: list, bullets: bool = False) -> None:
    """Validation messages in a label: red when one is an error, amber for warnings only."""
    messages = list(dict.fromkeys(p.message for p in problems))
    note.setText("\n".join(f"\u2022 {m}" if bullets else m for m in messages))
    set_role(note, "error" if any(p.severity == "error" for p in problems) else "warning")
    note.setVisible(bool(messages))


def remove_button(tooltip: str) -> QToolButton:
    button = QToolButton()
    button.setText("\u2715")
    button.setToolTip(tooltip)
    button.setAutoRaise(True)
    button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
    return button


class Loading:
    """A form's guard for filling widgets from the model: while ``loading()`` is open the
    widgets' change signals are not edits, so showing a value never pushes an undo step."""

    _loading = 0

    @contextmanager
    def loading(self) -> Iterator[None]:
        self._loading += 1
        try:
            yield
        finally:
            self._loading -= 1


class ValueEditor(Loading, QWidget):
    """One value, edited in place; subclasses implement value, set_value and problem."""

    #: The user changed the value; True when it was typing (merges into one undo step).
    edited = Signal(bool)

    def emit_edit(self, typing: bool = False) -> None:
        if not self._loading:
            self.refresh_problem()
            self.edited.emit(typing)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def problem(self) -> str | None:
        """Why the input on screen cannot be committed, or None when it can."""
        return None

    def refresh_problem(self) -> None:
        """Update the red frames; editors with sub-fields override it."""

    # -- as a node config field ----------------------------------------------
    def read(self, config: dict, field: Field) -> None:
        """Show this field's part of a node config."""
        self.set_value(config.get(field.name))

    def write(self, config: dict, field: Field) -> None:
        """Put the edited value into ``config`` (a copy of the node's config)."""
        value = self.value()
        if value is None or (value == "" and not field.required):
            config.pop(field.name, None)
        else:
            config[field.name] = value
