"""The Content panel: edit the selected send's subject, preview text and template, see it as it would arrive.

Subject and preview text are the node's config (changed through the
document's undo stack, merged while typing); the template's text is a
:class:`~designer.ui.content.edits.TemplateEdits` entry (also undoable). The
preview re-renders a moment after the last keystroke, in the thread pool
(:mod:`.render_job`), for the customer picked from the store (or a typical
one without a store), at desktop or mobile width. A message chosen in a trace,
the Journeys view or by "recipient from backtest" (:mod:`.moments`)
is previewed at the moment it went (:meth:`ContentPanel.show_message`).
"""

from __future__ import annotations

import random

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
                               QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget)
from sqlalchemy.exc import SQLAlchemyError

from designer.content.message import CHANNELS
from designer.content.recipients import MessageMoment
from designer.content.templates import TemplateLibrary
from designer.model import io
from designer.store.db import StoreError
from designer.ui.backtest.worker import Task, Workers
from designer.ui.content.completion import TokenCompleter, token_names
from designer.ui.content.edits import TemplateEdits
from designer.ui.content.highlighter import TemplateHighlighter
from designer.ui.content.page import note_page
from designer.ui.content.moments import MomentLine, RecipientButton
from designer.ui.content.render_job import (PreviewRequest, PreviewResult, StoreFacts, forget_store, read_store_facts,
                                           render_preview)

#: Quiet time after the last keystroke before the preview renders again.
DEBOUNCE_MS = 150


def _allow_web_engine_as_root() -> None:
    """Chromium refuses to start its sandbox as root (containers, CI); the preview shows local HTML only."""
    import os

    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


class ContentPanel(QWidget):
    #: Emitted with the page HTML each time the preview shows a new render.
    previewShown = Signal(str)

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.edits = TemplateEdits(document)
        self.node_id: str | None = None
        self.store_path: str | None = None
        self.store_facts: StoreFacts | None = None
        #: The message being previewed as it went (from a trace or a backtest), if any.
        self.moment: MessageMoment | None = None
        #: The render the preview shows now.
        self.last_result: PreviewResult | None = None
        # Its own pool: a preview never waits behind a backtest, and closing waits for it.
        self.workers = Workers(self, threads=1)
        self._generation = 0
        self._shown_generation = 0
        self._loading = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.render_now)
        self._build()
        document.changed.connect(self._document_changed)
        self.edits.changed.connect(self._template_changed)
        self.show_node(None)

    # -- building ---------------------------------------------------------------
    def _build(self) -> None:
        self.title = QLabel("Select a send to see its message")
        self.title.setObjectName("contentTitle")
        self.customer = QComboBox()
        self.customer.setEditable(True)
        self.customer.setObjectName("contentCustomer")
        self.customer.lineEdit().setPlaceholderText("customer id or email")
        self.customer.lineEdit().editingFinished.connect(self.schedule)
        self.customer.activated.connect(lambda _i: self.schedule())
        self.random_button = QPushButton("Random")
        self.random_button.setToolTip("Preview for a random customer who has this flow's trigger event")
        self.random_button.clicked.connect(self.pick_random_customer)
        self.recipient_button = RecipientButton()
        self.recipient_button.picked.connect(self.show_message)
        self.moment_label = MomentLine()
        self.recipient_button.failed.connect(lambda text: self.moment_label.note(text, "warning"))
        self.width_box = QComboBox()
        self.width_box.addItems(["Desktop", "Mobile"])
        self.width_box.currentIndexChanged.connect(lambda _i: self.schedule())
        who = QHBoxLayout()
        who.addWidget(self.customer, 1)
        who.addWidget(self.random_button)
        who.addWidget(self.recipient_button)
        who.addWidget(self.width_box)

        self.subject = QLineEdit()
        self.subject.setObjectName("contentSubject")
        self.subject.textEdited.connect(lambda t: self._set_field("subject", t))
        self.preview_text = QLineEdit()
        self.preview_text.setObjectName("contentPreviewText")
        self.preview_text.textEdited.connect(lambda t: self._set_field("preview_text", t))
        self.body = QPlainTextEdit()
        self.body.setObjectName("contentBody")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.body.setFont(mono)
        self.body.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = TemplateHighlighter(self.body.document())
        self.completer = TokenCompleter(self.body)
        self.body.textChanged.connect(self._body_edited)
        form = QFormLayout()
        form.addRow("Subject", self.subject)
        form.addRow("Preview text", self.preview_text)
        editor = QWidget()
        ev = QVBoxLayout(editor)
        ev.setContentsMargins(0, 0, 0, 0)
        ev.addLayout(form)
        self.body_label = QLabel("Template")
        ev.addWidget(self.body_label)
        ev.addWidget(self.body, 1)

        self.preview = None  # the web view starts with the first send shown (Chromium is heavy)
        self._preview_box = QVBoxLayout()
        self._preview_holder = QWidget()
        self._preview_holder.setLayout(self._preview_box)
        self._preview_box.setContentsMargins(0, 0, 0, 0)
        self._note = QLabel("Select a send (email, SMS or webhook) to preview its message.")
        self._note.setWordWrap(True)
        self._preview_box.addWidget(self._note)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(editor)
        split.addWidget(self._preview_holder)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.addWidget(self.title)
        layout.addLayout(who)
        layout.addWidget(self.moment_label)
        layout.addWidget(split, 1)
        inner.setMinimumHeight(420)
        # In a scroll area, so a small window is never pushed taller by the panel's fields.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(inner)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

    def _ensure_preview(self):
        if self.preview is None:
            _allow_web_engine_as_root()
            from PySide6.QtWebEngineWidgets import QWebEngineView  # loaded with the first preview only

            self.preview = QWebEngineView(self._preview_holder)
            self.preview.setObjectName("contentPreview")
            self._note.hide()
            self._preview_box.addWidget(self.preview)
        return self.preview

    def release(self) -> None:
        """Stop rendering and delete the web view now (window closing): the view's page must go
        before the web engine's profile does, and no render may outlive the panel."""
        self._timer.stop()
        self.workers.shutdown()
        self.recipient_button.release()
        if self.preview is not None:
            import shiboken6

            view, self.preview = self.preview, None
            if shiboken6.isValid(view):
                shiboken6.delete(view)

    # -- what is shown ----------------------------------------------------------
    def show_node(self, node_id: str | None) -> None:
        """Show the send ``node_id`` (anything else: the panel says to pick a send)."""
        node = self.document.flow.nodes.get(node_id) if node_id else None
        self.node_id = node.id if node is not None and node.kind in CHANNELS else None
        self.recipient_button.set_node(self.node_id)
        editing = self.node_id is not None
        for w in (self.subject, self.preview_text, self.body, self.customer, self.random_button, self.width_box):
            w.setEnabled(editing)
        if not editing:
            self.title.setText("Select a send to see its message")
            self.moment_label.note("")
            self._load_fields(None)
            if self.preview is not None:
                self.preview.setHtml(note_page("Select a send (email, SMS or webhook) to preview its message."))
            return
        self._ensure_preview()
        self.title.setText(f"{node.id}: {node.kind.replace('_', ' ')}")
        self._load_fields(node)
        self._refresh_names()
        self.render_now()

    def _load_fields(self, node) -> None:
        self._loading = True
        try:
            cfg = node.config if node is not None else {}
            email = node is not None and node.kind == "send_email"
            for field, key in ((self.subject, "subject"), (self.preview_text, "preview_text")):
                field.setVisible(email)
                if field.text() != str(cfg.get(key) or ""):
                    field.setText(str(cfg.get(key) or ""))
            self.subject.setPlaceholderText(self._template_default("subject") if email else "")
            self.preview_text.setPlaceholderText(self._template_default("preview_text") if email else "")
            text = self._body_text(node)
            self.body_label.setText(self._body_label(node))
            if self.body.toPlainText() != text:
                self.body.setPlainText(text)
        finally:
            self._loading = False

    def _template_file(self, node=None) -> str | None:
        node = node or (self.document.flow.nodes.get(self.node_id) if self.node_id else None)
        if node is None or node.kind != "send_email" or not node.config.get("template"):
            return None
        return f"{node.config['template']}.html"

    def library(self) -> TemplateLibrary:
        return TemplateLibrary.for_flow(self.document.path, self.edits.texts)

    def _template_default(self, key: str) -> str:
        name = self._template_file()
        if not name:
            return ""
        try:
            return self.library().email(name[:-5]).defaults.get(key, "")
        except Exception:  # a missing or broken template has no defaults to offer
            return ""

    def _body_text(self, node) -> str:
        if node is None:
            return ""
        name = self._template_file(node)
        if name is not None:
            return self.library().raw_source(name)[0] or ""
        return str(node.config.get("body") or "")

    def _body_label(self, node) -> str:
        name = self._template_file(node)
        if name is not None:
            lib = self.library()
            where = "edited" if name in self.edits.texts else ("missing" if lib.find(name) is None else str(lib.find(name)))
            return f"Template {name} ({where})"
        return "Message" if node is not None and node.kind == "send_sms" else "Body"

    # -- edits ------------------------------------------------------------------
    def _set_field(self, key: str, text: str) -> None:
        if self._loading or self.node_id is None:
            return
        node = self.document.flow.nodes[self.node_id]
        config = dict(node.config)
        if text:
            config[key] = text
        else:
            config.pop(key, None)
        self.document.set_config(node.id, config, merge_key=f"content-{key}")

    def _body_edited(self) -> None:
        if self._loading or self.node_id is None:
            return
        node = self.document.flow.nodes[self.node_id]
        text = self.body.toPlainText()
        name = self._template_file(node)
        if name is not None:
            old = self.edits.texts.get(name)
            if old is None:
                old = self.library().raw_source(name)[0] or ""
            self.edits.edit(name, old, text)
        else:
            config = dict(node.config)
            config["body"] = text
            self.document.set_config(node.id, config, merge_key="content-body")

    def _document_changed(self) -> None:
        if self.node_id is not None and self.node_id not in self.document.flow.nodes:
            self.show_node(None)
            return
        if self.node_id is not None:
            self._load_fields(self.document.flow.nodes[self.node_id])
            self.schedule()

    def _template_changed(self, _name: str) -> None:
        if self.node_id is not None:
            self._load_fields(self.document.flow.nodes[self.node_id])
            self.schedule()

    # -- the store --------------------------------------------------------------
    def set_store(self, path: str | None) -> None:
        """Preview for customers of this store (``None``: a typical made-up customer). The same store
        again means it changed (an import, an erasure): its customers are read afresh."""
        if path:
            forget_store(path)
        self.store_path = path
        self.store_facts = None
        if path:
            trigger = self._trigger_event()
            task = Task("store facts", lambda _report, _cancel: read_store_facts(path, trigger),
                        expected=(StoreError, SQLAlchemyError))
            self.workers.start(task.on(finished=self._store_read, failed=self._store_unreadable))

    def _store_read(self, facts: StoreFacts) -> None:
        self.store_facts = facts
        current = self.customer.currentText()
        self.customer.blockSignals(True)
        self.customer.clear()
        self.customer.addItems(facts.customers)
        self.customer.setEditText(current or (facts.customers[0] if facts.customers else ""))
        self.customer.blockSignals(False)
        self._refresh_names()
        self.schedule()

    def _store_unreadable(self, message: str) -> None:
        """Previews fall back to the typical customer; the picker says why it has no one to offer."""
        self.customer.lineEdit().setPlaceholderText("typical customer (the store cannot be read)")
        self.customer.setToolTip(message)

    def _trigger_event(self) -> str | None:
        trigger = next((n for n in self.document.flow.nodes.values() if n.kind == "trigger"), None)
        return trigger.config.get("event") if trigger is not None else None

    def _refresh_names(self) -> None:
        self.completer.set_names(token_names(self.store_facts.vocabulary if self.store_facts else None,
                                             self._trigger_event()))

    def pick_random_customer(self) -> None:
        if self.store_facts and self.store_facts.customers:
            self.customer.setEditText(random.choice(self.store_facts.customers))
            self.schedule()

    # -- rendering --------------------------------------------------------------
    def schedule(self) -> None:
        """Render again once typing pauses."""
        if self.node_id is not None:
            self._timer.start()

    def render_now(self) -> int:
        """Start a render of the current state in the thread pool; returns its generation."""
        self._timer.stop()
        if self.node_id is None:
            return self._generation
        self._generation += 1
        customer = self.customer.currentText().strip() or None
        moment = self.moment
        if moment is not None and (moment.node != self.node_id or moment.customer != customer):
            self.moment = moment = None  # another send or customer chosen since: their own moment
        request = PreviewRequest(
            generation=self._generation, flow_json=io.to_json(self.document.flow), flow_path=self.document.path,
            node_id=self.node_id, overrides=dict(self.edits.texts), store=self.store_path,
            customer=customer, width="mobile" if self.width_box.currentIndex() == 1 else "desktop",
            at=moment.at if moment is not None else None, entry_time=moment.entry_time if moment is not None else None)
        self.workers.start(Task("preview", lambda _report, _cancel: render_preview(request))
                           .on(finished=self._rendered))
        return request.generation

    def _rendered(self, result: PreviewResult) -> None:
        if result.generation < self._shown_generation or result.generation != self._generation:
            return  # an older render finished after a newer one was asked for
        self._shown_generation = result.generation
        self.last_result = result
        self.moment_label.describe(result.customer, result.at, result.zone, self.moment)
        self._ensure_preview().setHtml(result.page)
        self.previewShown.emit(result.page)

    # -- one message as it went -------------------------------------------------
    def set_backtest(self, controller) -> None:
        """The window's backtest, whose recipients "recipient from backtest" picks from."""
        self.recipient_button.set_backtest(controller)

    def show_message(self, moment: MessageMoment) -> int:
        """Preview the message ``moment`` stands for: its send, for its customer, as at when it went."""
        if moment.node != self.node_id:
            self.show_node(moment.node)
        if self.node_id != moment.node:  # not a send of this flow any more
            self.moment_label.note(f"{moment.node} is no longer a send of this flow: its message cannot be "
                                   "shown", "warning")
            return self._generation
        self.moment = moment
        self.customer.setEditText(moment.customer)
        return self.render_now()

    def is_idle(self) -> bool:
        """Whether the preview shows the latest state (nothing scheduled or rendering)."""
        return not self._timer.isActive() and self._shown_generation == self._generation
