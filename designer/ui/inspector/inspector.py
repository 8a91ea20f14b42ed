"""The inspector panel: the selected node's form, or the flow's settings when none is selected.

It never holds flow state: every edit goes to the Document (one undo command),
and every model change (an undo, a redo, another panel's edit) comes back through
``Document.changed`` and is shown. A change the form itself just made is not
shown again, so the field being typed in keeps its text, caret and focus.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QStackedWidget, QVBoxLayout, QWidget

from designer.model.kinds import KINDS
from designer.ui import theme
from designer.ui.inspector.base import label
from designer.ui.inspector.event_combo import EventNames
from designer.ui.inspector.form import NodeForm
from designer.ui.inspector.settings_form import SettingsForm

HEADER_ICON_SIZE = 22


class Inspector(QWidget):
    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.events = EventNames(self)
        self._node_id: str | None = None
        self.form: NodeForm | SettingsForm | None = None
        self._header_key: tuple | None = None

        self.icon = QLabel()
        self.icon.setFixedSize(HEADER_ICON_SIZE + 4, HEADER_ICON_SIZE + 4)
        self.title = label("", "title")
        self.subtitle = label("", "muted", wrap=True)
        head_text = QVBoxLayout()
        head_text.setSpacing(0)
        head_text.addWidget(self.title)
        head_text.addWidget(self.subtitle)
        head = QHBoxLayout()
        head.setContentsMargins(10, 8, 10, 6)
        head.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addLayout(head_text, 1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)

        # The settings form lives as long as the inspector (it is shown whenever the
        # selection is empty); node forms are built per selection.
        self.settings_form: SettingsForm | None = None
        self.settings_scroll = _scroll()
        self.node_scroll = _scroll()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.settings_scroll)
        self.pages.addWidget(self.node_scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(head)
        layout.addWidget(line)
        layout.addWidget(self.pages, 1)
        self.setMinimumWidth(280)

        document.changed.connect(self._model_changed)
        document.problemsChanged.connect(self._problems_changed)
        theme.notifier().themeChanged.connect(self._theme_changed)
        self.show_node(None)

    # -- public ----------------------------------------------------------------------
    def node_id(self) -> str | None:
        """The node shown, or None when the flow's settings are."""
        return self._node_id

    def show_node(self, node_id: str | None) -> None:
        """Show that node's form; None (or a node that no longer exists) shows the flow's settings."""
        flow = self.document.flow
        if node_id is not None and node_id not in flow.nodes:
            node_id = None
        same = (self.form is not None and node_id == self._node_id
                and (node_id is None or isinstance(self.form, NodeForm)
                     and self.form.kind == flow.nodes[node_id].kind))
        if same:
            self.form.refresh()
            return
        self._node_id = node_id
        old = self.node_scroll.takeWidget()
        if old is not None:
            old.hide()
            old.deleteLater()
        if node_id is None:
            if self.settings_form is None:
                self.settings_form = SettingsForm(self.document, self.events)
                self.settings_scroll.setWidget(_padded(self.settings_form))
            else:
                self.settings_form.refresh()
            self.form = self.settings_form
            self.form.show_problems(self.document.problems())
            self.pages.setCurrentWidget(self.settings_scroll)
        else:
            form = NodeForm(self.document, node_id, self.events)
            form.show_problems(self.document.problems())
            self.node_scroll.setWidget(_padded(form))
            self.form = form
            self.pages.setCurrentWidget(self.node_scroll)
        self._update_header()

    def set_known_events(self, names: list[str]) -> None:
        """Offer these event names (the store's) after the canonical ones in every event field."""
        self.events.set_seen(names)

    # -- model changes ---------------------------------------------------------------
    def _model_changed(self) -> None:
        flow = self.document.flow
        if self._node_id is not None and (self._node_id not in flow.nodes or not isinstance(self.form, NodeForm)
                                          or self.form.kind != flow.nodes[self._node_id].kind):
            self.show_node(self._node_id if self._node_id in flow.nodes else None)
            return
        if self.form is not None:
            self.form.refresh()
        self._update_header()

    def _problems_changed(self, problems: list) -> None:
        if self.form is not None:
            self.form.show_problems(problems)

    def _theme_changed(self, _name: str) -> None:
        self._update_header(force=True)

    def _update_header(self, force: bool = False) -> None:
        flow = self.document.flow
        kind = flow.nodes[self._node_id].kind if self._node_id is not None else None
        key = (self._node_id, kind, flow.name)
        if key == self._header_key and not force:
            return  # most changes (moves, edits) leave the header as it is
        self._header_key = key
        if self._node_id is None:
            self.title.setText("Flow settings")
            self.subtitle.setText(flow.name)
            icon = theme.action_icon("layout")
        else:
            spec = KINDS[flow.nodes[self._node_id].kind]
            self.title.setText(spec.label)
            self.subtitle.setText(f"{spec.description} \u00b7 {self._node_id}")
            icon = theme.icon(spec.name)
        self.icon.setPixmap(icon.pixmap(HEADER_ICON_SIZE, HEADER_ICON_SIZE))


def _scroll() -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return scroll


def _padded(form: QWidget) -> QWidget:
    content = QWidget()
    box = QVBoxLayout(content)
    box.setContentsMargins(12, 4, 12, 12)
    box.addWidget(form)
    return content
