"""A node's form, built from its kind's typed fields (``KINDS[kind].fields``: the config
model's fields and their ``Editor`` metadata).

Each editor type has one editor (``EDITORS``), and each editor owns exactly one
config key, so an edit changes that key and leaves every other one as it was. The form reads the node's config
into the editors, and turns each edit into one ``Document.set_config`` call:
keystrokes carry the merge key ``"<node>:<field>"`` so a run of typing in one
field is one undo step; a choice (combo, button, checkbox) is a step of its own.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from designer.model.kinds import KINDS, Field
from designer.model.validate import Problem
from designer.ui.inspector.base import ValueEditor, label, show_messages
from designer.ui.inspector.condition_builder import ConditionBuilder
from designer.ui.inspector.delay_edit import UntilEdit
from designer.ui.inspector.duration_edit import DurationEdit, OptionalDurationEdit
from designer.ui.inspector.event_combo import EventCombo, EventNames
from designer.ui.inspector.filter_builder import FilterBuilder
from designer.ui.inspector.properties_edit import NamesEdit, PropertiesEdit
from designer.ui.inspector.text_edit import MultilineEdit, TextEdit, UrlEdit
from designer.ui.inspector.variants_edit import VariantsEdit

EditorFactory = Callable[[Field, EventNames], ValueEditor]

#: Field.type -> the editor that shows it.
EDITORS: dict[str, EditorFactory] = {
    "event": lambda f, events: EventCombo(events),
    "text": lambda f, events: TextEdit(placeholder=f.help if len(f.help) < 40 else ""),
    "multiline": lambda f, events: MultilineEdit(),
    "url": lambda f, events: UrlEdit(),
    "duration": lambda f, events: DurationEdit(default=f.default or "PT1H"),
    "optional_duration": lambda f, events: OptionalDurationEdit(caption="A set time", default=f.default or "PT1H"),
    "until": lambda f, events: UntilEdit(),
    "condition": lambda f, events: ConditionBuilder(events),
    "filter": lambda f, events: FilterBuilder(events),
    "variants": lambda f, events: VariantsEdit(),
    "properties": lambda f, events: PropertiesEdit(),
    "names": lambda f, events: NamesEdit(),
}


def make_editor(field: Field, events: EventNames) -> ValueEditor:
    factory = EDITORS.get(field.type, EDITORS["text"])
    return factory(field, events)


def field_of_path(path: str | None) -> str:
    """The config key a problem path points into: ``nodes[4].config.variants[1].name`` -> ``variants``."""
    inside = re.sub(r"^nodes\[\d+\]\.config\.?", "", path or "")
    return re.split(r"[.\[]", inside, maxsplit=1)[0]


class NodeForm(QWidget):
    def __init__(self, document, node_id: str, events: EventNames, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document, self.node_id = document, node_id
        self.kind = document.flow.nodes[node_id].kind
        spec = KINDS[self.kind]
        self.editors: dict[str, ValueEditor] = {}
        self.notes: dict[str, QLabel] = {}
        self.fields = spec.fields
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.general = label("", "error", wrap=True)
        self.general.hide()
        layout.addWidget(self.general)
        for field in spec.fields:
            caption = label(field.label + (" *" if field.required else ""), "section")
            editor = make_editor(field, events)
            editor.setObjectName(f"field:{field.name}")
            caption.setBuddy(editor)
            layout.addSpacing(6)
            layout.addWidget(caption)
            layout.addWidget(editor)
            if field.help and field.type != "text":
                layout.addWidget(label(field.help, "muted", wrap=True))
            note = label("", "error", wrap=True)
            note.hide()
            layout.addWidget(note)
            self.editors[field.name] = editor
            self.notes[field.name] = note
            editor.edited.connect(lambda typing, f=field, e=editor: self._edited(f, e, typing))
        if not spec.fields:
            layout.addWidget(label("Nothing to set: people who reach this node leave the flow.", "muted", wrap=True))
        layout.addStretch(1)
        self._shown: dict | None = None
        self.refresh()

    def config(self) -> dict:
        return self.document.flow.nodes[self.node_id].config

    def refresh(self) -> None:
        """Show the model's config, unless it is what the form last showed or wrote (so the
        editor being typed in keeps its text, caret and focus)."""
        config = self.config()
        if config == self._shown:
            return
        for field in self.fields:
            self.editors[field.name].read(config, field)
        self._shown = copy.deepcopy(config)

    def _edited(self, field: Field, editor: ValueEditor, typing: bool) -> None:
        if editor.problem() is not None:
            return
        config = copy.deepcopy(self.config())
        editor.write(config, field)
        self._shown = copy.deepcopy(config)
        merge_key = f"{self.node_id}:{field.name}" if typing else None
        self.document.set_config(self.node_id, config, merge_key=merge_key)

    def show_problems(self, problems: list[Problem]) -> None:
        """Validation messages for this node: under their field, or above the form."""
        by_field: dict[str, list[Problem]] = {}
        general: list[Problem] = []
        for problem in problems:
            if problem.node != self.node_id:
                continue
            key = field_of_path(problem.path)
            (by_field.setdefault(key, []) if key in self.notes else general).append(problem)
        for name, note in self.notes.items():
            show_messages(note, by_field.get(name, []))
        show_messages(self.general, general, bullets=True)
