"""The condition builder: rows of tests in all/any/none groups, producing the condition tree.

It edits the JSON tree of ``designer/model/conditions.py``. A group shows a
match mode and its rows; a row is a profile property test, a trigger property
test, a "did EVENT at least N times since entry / in the last N hours / ever"
test, or a nested group. Groups map onto the tree like this:

=============  =====================  ===========================
match mode     one row                several rows
=============  =====================  ===========================
all of         the row itself         ``{"all": [...]}``
any of         the row itself         ``{"any": [...]}``
none of        ``{"not": row}``       ``{"not": {"any": [...]}}``
not all of     ``{"not": row}``       ``{"not": {"all": [...]}}``
=============  =====================  ===========================

and :func:`split_group` reads a tree back into (mode, items) the same way, so
any tree the builder produces loads into rows that produce it again. A
*filter* (``filter_only``) has only property tests on the event's own
properties, and may be left empty (no filter).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QCompleter, QFrame, QHBoxLayout, QLineEdit, QPushButton,
                               QSizePolicy, QSpinBox, QStackedWidget, QVBoxLayout, QWidget)

from designer.model import conditions, durations
from designer.ui.inspector.base import ValueEditor, label, remove_button, set_invalid
from designer.ui.inspector.duration_edit import DurationEdit
from designer.ui.inspector.event_combo import EventCombo, EventNames
from designer.ui.inspector.values import LIST_OPERATORS, ValueTextError, format_value, parse_value

MODES = (("all", "all of"), ("any", "any of"), ("none", "none of"), ("not_all", "not all of"))
#: How deep the "Add group" button nests; loading accepts any depth.
MAX_GROUP_DEPTH = 3
OPERATOR_LABELS = {
    "=": "=", "!=": "\u2260", "<": "<", "<=": "\u2264", ">": ">", ">=": "\u2265",
    "contains": "contains", "not contains": "does not contain", "in": "is one of",
    "not in": "is not one of", "is set": "is set", "is not set": "is not set",
}
COUNT_LABELS = ((">=", "at least"), (">", "more than"), ("=", "exactly"), ("<=", "at most"),
                ("<", "fewer than"), ("!=", "not exactly"))
SINCE_LABELS = (("flow_start", "since entering the flow"), ("last", "in the last"), ("ever", "ever"))
#: Row kinds: (tree key, label) for conditions, and the single kind a filter allows.
CONDITION_ROWS = (("property", "Profile property"), ("trigger", "Trigger property"), ("event", "Did event"))
FILTER_ROWS = (("property", "Event property"),)
TRIGGER_PROPERTY_HINTS = ("price", "product_id", "category", "category_code", "brand", "cart_id", "quantity",
                          "value", "order_id", "url")


def split_group(tree: Any) -> tuple[str, list]:
    """A tree as (match mode, items), the inverse of :func:`join_group`."""
    if isinstance(tree, dict):
        if isinstance(tree.get("all"), list):
            return "all", list(tree["all"])
        if isinstance(tree.get("any"), list):
            return "any", list(tree["any"])
        if "not" in tree:
            inner = tree["not"]
            if isinstance(inner, dict) and isinstance(inner.get("any"), list):
                return "none", list(inner["any"])
            if isinstance(inner, dict) and isinstance(inner.get("all"), list):
                return "not_all", list(inner["all"])
            return "none", [inner]
    return "all", [tree]


def join_group(mode: str, items: list) -> dict | None:
    """The tree of a group; None for a group with no rows."""
    if not items:
        return None
    if mode in ("all", "any"):
        return items[0] if len(items) == 1 else {mode: items}
    if len(items) == 1:
        return {"not": items[0]}
    return {"not": {"any" if mode == "none" else "all": items}}


def is_group(tree: Any) -> bool:
    return isinstance(tree, dict) and ("all" in tree or "any" in tree or "not" in tree)


class _Combo(QComboBox):
    """A combo of (data, label) pairs, addressed by data."""

    def __init__(self, pairs, parent=None) -> None:
        super().__init__(parent)
        for data, text in pairs:
            self.addItem(text, data)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)

    def data(self) -> Any:
        return self.currentData()

    def set_data(self, data: Any) -> None:
        index = self.findData(data)
        self.setCurrentIndex(max(index, 0))


#: What a test on purchase_score or predicted_clv reads, in the marketer's words.
SCORE_NOTE = ("Predicted by a model trained on this store's past data only: in a backtest, a journey at "
              "any moment sees the model of the latest monthly cut-off before it, never later data. "
              "purchase_score is the chance of a purchase in the next 30 days (0 to 1); predicted_clv the "
              "revenue expected in the next 90 days. 'python main.py score --db STORE' reports how well "
              "they predict.")


# -- property test ---------------------------------------------------------------
class PropertyTest(QWidget):
    """``property`` / ``trigger`` name, operator and value; two lines to fit a narrow panel."""

    def __init__(self, row: "ConditionRow", hints: QStringListModel) -> None:
        super().__init__()
        self.row = row
        self.name = QLineEdit()
        self.name.setPlaceholderText("property name")
        completer = QCompleter(hints, self.name)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.name.setCompleter(completer)
        self.op = _Combo((op, OPERATOR_LABELS.get(op, op)) for op in conditions.OPERATORS)
        self.value = QLineEdit()
        #: Shown under a test on a predictive score: where its numbers come from, and when.
        self.score_note = label(SCORE_NOTE, "muted", wrap=True)
        self.score_note.setVisible(False)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        layout = QHBoxLayout()
        layout.setSpacing(4)
        layout.addWidget(self.op)
        layout.addWidget(self.value, 1)
        outer.addLayout(layout)
        outer.addWidget(self.score_note)
        self.name.textChanged.connect(lambda _t: self.sync_note())
        self.name.textEdited.connect(lambda _t: row.changed(True))
        completer.activated.connect(lambda _t: row.changed(False))
        self.value.textEdited.connect(lambda _t: row.changed(True))
        self.op.activated.connect(self._op_chosen)
        self._sync()

    def _op_chosen(self, _index: int) -> None:
        self._sync()
        self.row.changed(False)

    def sync_note(self) -> None:
        """Say where a score's numbers come from when the test reads one (a profile test only)."""
        builder = self.row.group.builder
        profile = not builder.filter_only and self.row.kind.data() == "property"
        self.score_note.setVisible(profile and self.name.text().strip() in conditions.SCORE_FACTS)

    def _sync(self) -> None:
        op = self.op.data()
        self.value.setVisible(conditions.OPERATORS.get(op, True))
        self.value.setPlaceholderText("values, comma separated" if op in LIST_OPERATORS else "value")

    def problems(self) -> list[tuple[QWidget, str]]:
        out = []
        if not self.name.text().strip():
            out.append((self.name, "Enter a property name"))
        op = self.op.data()
        if conditions.OPERATORS.get(op, True):
            text = self.value.text()
            if not text.strip():
                out.append((self.value, 'Enter a value (type "" for empty text)'))
            else:
                try:
                    parse_value(text, op)
                except ValueTextError as exc:
                    out.append((self.value, str(exc)))
        return out

    def tree(self, key: str) -> dict:
        op = self.op.data()
        out: dict[str, Any] = {key: self.name.text().strip(), "op": op}
        if conditions.OPERATORS.get(op, True):
            out["value"] = parse_value(self.value.text(), op)
        return out

    def load(self, key: str, tree: dict) -> None:
        self.name.setText(str(tree.get(key) or ""))
        op = tree.get("op", "=")
        self.op.set_data(op)
        self.value.setText(format_value(tree["value"], op) if "value" in tree else "")
        self._sync()


# -- event test --------------------------------------------------------------------
class EventTest(QWidget):
    """"did EVENT at least N times since entry / in the last ... / ever, where ..."."""

    def __init__(self, row: "ConditionRow", events: EventNames, depth: int) -> None:
        super().__init__()
        self.row = row
        self.event_name = EventCombo(events)
        self.count_op = _Combo(COUNT_LABELS)
        self.count = QSpinBox()
        self.count.setRange(0, 100000)
        self.count.setValue(1)
        self.count.setMaximumWidth(80)
        self.since = _Combo(SINCE_LABELS)
        self.window = DurationEdit(default="PT48H")
        self.use_where = QCheckBox("only where the event's properties match")
        #: The filter on the event's properties, built when first wanted (most tests have none).
        self.where: ConditionBuilder | None = None
        self._events, self._depth = events, depth

        count_row = QHBoxLayout()
        count_row.setSpacing(4)
        count_row.addWidget(self.count_op)
        count_row.addWidget(self.count)
        count_row.addWidget(label("times"))
        count_row.addStretch(1)
        since_row = QHBoxLayout()
        since_row.setSpacing(4)
        since_row.addWidget(self.since)
        since_row.addWidget(self.window)
        since_row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(count_row)
        layout.addLayout(since_row)
        layout.addWidget(self.use_where)
        self._layout = layout

        self.event_name.edited.connect(row.changed)
        self.count_op.activated.connect(lambda _i: row.changed(False))
        self.count.valueChanged.connect(lambda _v: row.changed(True))
        self.since.activated.connect(self._since_chosen)
        self.window.edited.connect(row.changed)
        self.use_where.toggled.connect(self._where_toggled)
        self._sync()

    def _since_chosen(self, _index: int) -> None:
        self._sync()
        self.row.changed(False)

    def _where_builder(self) -> "ConditionBuilder":
        if self.where is None:
            self.where = ConditionBuilder(self._events, filter_only=True, optional=True, nesting=self._depth + 1)
            self.where.edited.connect(self.row.changed)
            self.where_box = QFrame()
            self.where_box.setProperty("role", "group")
            box = QVBoxLayout(self.where_box)
            box.setContentsMargins(6, 6, 6, 6)
            box.addWidget(self.where)
            self._layout.addWidget(self.where_box)
        return self.where

    def _where_toggled(self, on: bool) -> None:
        if on and not self._where_builder().rows_count():
            with self.where.loading():
                self.where.root.add_row()
        self._sync()
        self.row.changed(False)

    def _sync(self) -> None:
        self.window.setVisible(self.since.data() == "last")
        if self.where is not None:
            self.where_box.setVisible(self.use_where.isChecked())

    def problems(self) -> list[tuple[QWidget, str]]:
        out = []
        if not self.event_name.value():
            out.append((self.event_name.combo, "Type or choose an event name"))
        if self.since.data() == "last":
            problem = self.window.problem()
            if problem:
                out.append((self.window.number, problem))
        if self.use_where.isChecked() and self.where is not None:
            out.extend(self.where.root.problems())
        return out

    def tree(self) -> dict:
        since = self.since.data()
        out: dict[str, Any] = {"event": self.event_name.value(),
                               "since": self.window.value() if since == "last" else since}
        if self.use_where.isChecked() and self.where is not None:
            where = self.where.value()
            if where is not None:
                out["where"] = where
        count = (self.count_op.data(), self.count.value())
        if count != (">=", 1):
            out["count"] = {count[0]: count[1]}
        return out

    def load(self, tree: dict) -> None:
        self.event_name.set_value(tree.get("event"))
        op, n = conditions.count_test(tree) if _count_ok(tree) else (">=", 1)
        self.count_op.set_data(op)
        self.count.setValue(int(n))
        since = tree.get("since", "flow_start")
        if since in conditions.SINCE_WORDS:
            self.since.set_data(since)
        else:
            self.since.set_data("last")
            self.window.set_value(since if durations.is_valid(since) else None)
        where = tree.get("where")
        if isinstance(where, dict) or self.where is not None:
            self._where_builder().set_value(where if isinstance(where, dict) else None)
        self.use_where.setChecked(isinstance(where, dict))
        self._sync()


def _count_ok(tree: dict) -> bool:
    count = tree.get("count", {">=": 1})
    return isinstance(count, dict) and len(count) == 1 and isinstance(next(iter(count.values())), int)


# -- rows and groups -------------------------------------------------------------------
class ConditionRow(QFrame):
    """One test: a kind chooser, then the property or event test for that kind."""

    def __init__(self, group: "GroupEditor") -> None:
        super().__init__()
        self.group = group
        builder = group.builder
        self.setProperty("role", "row")
        kinds = FILTER_ROWS if builder.filter_only else CONDITION_ROWS
        self.kind = _Combo(kinds)
        self.kind.setVisible(len(kinds) > 1)
        self.remove = remove_button("Remove this condition")
        hints = builder.trigger_hints if builder.filter_only else builder.profile_hints
        self.prop = PropertyTest(self, hints)
        self.event_test = None if builder.filter_only else EventTest(self, builder.events, builder.nesting)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.prop)
        if self.event_test is not None:
            self.pages.addWidget(self.event_test)

        head = QHBoxLayout()
        head.setSpacing(4)
        if len(kinds) > 1:
            head.addWidget(self.kind)
        self.head_stack = QStackedWidget()
        self.head_stack.addWidget(self.prop.name)
        if self.event_test is not None:
            self.head_stack.addWidget(self.event_test.event_name)
        self.head_stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        head.addWidget(self.head_stack, 1)
        head.addWidget(self.remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 6)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.pages)

        self.kind.activated.connect(self._kind_chosen)
        self.remove.clicked.connect(lambda: group.remove_row(self))
        self._sync()

    def key(self) -> str:
        return self.kind.data()

    def _kind_chosen(self, _index: int) -> None:
        self._sync()
        self.prop.name.setCompleter(None)
        hints = self.group.builder.profile_hints if self.key() == "property" else self.group.builder.trigger_hints
        completer = QCompleter(hints, self.prop.name)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.prop.name.setCompleter(completer)
        self.changed(False)

    def _sync(self) -> None:
        self.prop.sync_note()
        page = 1 if self.key() == "event" else 0
        self.pages.setCurrentIndex(page)
        self.head_stack.setCurrentIndex(page)
        for i in range(self.pages.count()):
            policy = QSizePolicy.Policy.Preferred if i == page else QSizePolicy.Policy.Ignored
            self.pages.widget(i).setSizePolicy(QSizePolicy.Policy.Preferred, policy)
            self.head_stack.widget(i).setSizePolicy(QSizePolicy.Policy.Expanding, policy)

    def changed(self, typing: bool) -> None:
        self.group.builder.emit_edit(typing)

    def problems(self) -> list[tuple[QWidget, str]]:
        return self.event_test.problems() if self.key() == "event" else self.prop.problems()

    def tree(self) -> dict:
        return self.event_test.tree() if self.key() == "event" else self.prop.tree(self.key())

    def load(self, tree: dict) -> None:
        if "event" in tree and self.event_test is not None:
            self.kind.set_data("event")
            self.event_test.load(tree)
        else:
            key = "trigger" if "trigger" in tree and not self.group.builder.filter_only else "property"
            self.kind.set_data(key)
            self.prop.load(key, tree)
        self._sync()


class GroupEditor(QFrame):
    """A match mode and its rows (tests or nested groups), with add buttons."""

    def __init__(self, builder: "ConditionBuilder", depth: int, parent_group: "GroupEditor | None" = None) -> None:
        super().__init__()
        self.builder, self.nesting, self.parent_group = builder, depth, parent_group
        if parent_group is not None:
            self.setProperty("role", "group")
        self.mode = _Combo(MODES)
        self.remove = remove_button("Remove this group") if parent_group is not None else None
        self.items: list[QWidget] = []
        self.rows = QVBoxLayout()
        self.rows.setContentsMargins(0, 0, 0, 0)
        self.rows.setSpacing(2)
        self.add_test = QPushButton("+ Condition")
        self.add_group = QPushButton("+ Group")
        for button in (self.add_test, self.add_group):
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.add_group.setVisible(depth < MAX_GROUP_DEPTH)

        self.head_box = QWidget()
        head = QHBoxLayout(self.head_box)
        head.setContentsMargins(0, 0, 0, 0)
        head.setSpacing(4)
        head.addWidget(label("Match"))
        head.addWidget(self.mode)
        head.addWidget(label("these:"), 1)
        if self.remove is not None:
            head.addWidget(self.remove)
        foot = QHBoxLayout()
        foot.addWidget(self.add_test)
        foot.addWidget(self.add_group)
        foot.addStretch(1)
        layout = QVBoxLayout(self)
        margin = 6 if parent_group is not None else 0
        layout.setContentsMargins(margin, margin, margin, margin)
        layout.setSpacing(2)
        layout.addWidget(self.head_box)
        layout.addLayout(self.rows)
        layout.addLayout(foot)

        self.mode.activated.connect(lambda _i: builder.emit_edit(False))
        self.add_test.clicked.connect(self._add_test_clicked)
        self.add_group.clicked.connect(self._add_group_clicked)
        if self.remove is not None:
            self.remove.clicked.connect(lambda: parent_group.remove_row(self))
        self._sync_head()

    def _sync_head(self) -> None:
        """An empty group shows only its add buttons; nested groups always show their head,
        which holds their remove button."""
        self.head_box.setVisible(bool(self.items) or self.parent_group is not None)

    def _add_test_clicked(self) -> None:
        row = self.add_row()
        row.head_stack.currentWidget().setFocus()
        self.builder.emit_edit(False)

    def _add_group_clicked(self) -> None:
        group = self.add_row(group=True)
        group.add_row()
        self.builder.emit_edit(False)

    def add_row(self, tree: Any = None, *, group: bool = False) -> QWidget:
        if group or is_group(tree):
            item: QWidget = GroupEditor(self.builder, self.nesting + 1, self)
            if tree is not None:
                item.load(tree)
        else:
            item = ConditionRow(self)
            if tree is not None:
                item.load(tree)
        self.items.append(item)
        self.rows.addWidget(item)
        self._sync_head()
        return item

    def remove_row(self, item: QWidget) -> None:
        self.items.remove(item)
        self.rows.removeWidget(item)
        item.hide()
        item.deleteLater()
        self._sync_head()
        self.builder.emit_edit(False)

    def clear(self) -> None:
        for item in self.items:
            self.rows.removeWidget(item)
            item.hide()
            item.deleteLater()
        self.items = []

    def problems(self) -> list[tuple[QWidget, str]]:
        out: list[tuple[QWidget, str]] = []
        if not self.items and (self.parent_group is not None or not self.builder.optional):
            out.append((self.add_test, "Add at least one condition"))
        for item in self.items:
            out.extend(item.problems())
        return out

    def tree(self) -> dict | None:
        return join_group(self.mode.data(), [item.tree() for item in self.items])

    def load(self, tree: Any) -> None:
        self.clear()
        if tree is None:
            self.mode.set_data("all")
        else:
            mode, items = split_group(tree)
            self.mode.set_data(mode)
            for item in items:
                self.add_row(item)
        self._sync_head()

    def all_widgets(self) -> list[QWidget]:
        """Every field that can carry a red frame, for clearing old ones."""
        out: list[QWidget] = [self.add_test]
        for item in self.items:
            if isinstance(item, GroupEditor):
                out.extend(item.all_widgets())
            else:
                out += [item.prop.name, item.prop.value]
                if item.event_test is not None:
                    out += [item.event_test.event_name.combo, item.event_test.window.number]
                    if item.event_test.where is not None:
                        out.extend(item.event_test.where.root.all_widgets())
        return out


class ConditionBuilder(ValueEditor):
    """The editor of a ``condition`` (or, with ``filter_only``, a ``filter``) field."""

    def __init__(self, events: EventNames, parent: QWidget | None = None, *, filter_only: bool = False,
                 optional: bool = False, nesting: int = 0) -> None:
        super().__init__(parent)
        self.events, self.filter_only, self.optional, self.nesting = events, filter_only, optional, nesting
        self.profile_hints = QStringListModel(list(conditions.DERIVED_FACTS), self)
        self.trigger_hints = QStringListModel(list(TRIGGER_PROPERTY_HINTS), self)
        self.root = GroupEditor(self, nesting)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.root)
        self._shown: Any = object()

    def rows_count(self) -> int:
        return len(self.root.items)

    def problem(self) -> str | None:
        problems = self.root.problems()
        if problems:
            return problems[0][1]
        tree = self.root.tree()
        if tree is None:
            return None
        found = conditions.check(tree, "where" if self.filter_only else "condition", filter_only=self.filter_only)
        return f"{found[0][0]}: {found[0][1]}" if found else None

    def refresh_problem(self) -> None:
        bad = {id(w): m for w, m in self.root.problems()}
        for widget in self.root.all_widgets():
            set_invalid(widget, bad.get(id(widget)))

    def value(self) -> dict | None:
        return None if self.root.problems() else self.root.tree()

    def set_value(self, value: Any) -> None:
        tree = value if isinstance(value, dict) else None
        if tree is not None and tree == self.value() and not self.root.problems():
            return
        if tree is None and not self.root.items:
            return
        with self.loading():
            self.root.load(tree)
        self.refresh_problem()
