"""Every config field survives every inspector edit, for every kind.

Hypothesis loads a flow whose nodes have every field of their kind set,
picks a node and one of its form's fields, and edits that field through the
real widgets (typing over a text box, clicking a check box, a weekday, a
button); the saved file then has every *other* config key exactly as before.
This is how the delay's weekday click that dropped its ``P3D`` was found.
"""

from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings, strategies as st
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QLineEdit, QPlainTextEdit, QPushButton, QWidget

from designer.model import io
from designer.model.kinds import KINDS
from designer.ui.document import Document
from designer.ui.inspector import Inspector

#: A config per kind with every field the kind has, each set to something other than its start value.
FULL = {
    "trigger": {"event": "add_to_cart", "where": {"property": "price", "op": ">", "value": 20}, "key": "cart_id"},
    "delay": {"duration": "P3D", "until": {"time": "10:00", "weekdays": ["mon", "thu"]}},
    "wait_for": {"event": "purchase", "where": {"property": "total", "op": ">=", "value": 5}, "timeout": "P2D"},
    "split": {"condition": {"all": [{"event": "view", "since": "PT48H"},
                                    {"property": "tier", "op": "=", "value": "gold"}]}},
    "ab_split": {"variants": [{"name": "A", "percent": 30}, {"name": "B", "percent": 70}]},
    "send_email": {"template": "cart", "subject": "Left something?", "preview_text": "Still there",
                   "from_email": "shop@example.com", "from_name": "Shop", "klaviyo_template_id": "T1"},
    "send_sms": {"body": "Your cart misses you"},
    "webhook": {"url": "https://example.com/hook", "method": "PUT", "body": "{\"a\": 1}"},
    "update_profile": {"set": {"tier": "silver", "score": 3}, "unset": ["old"], "add_to_list": "Cart",
                       "remove_from_list": "Browsers"},
    "exit": {},
}


def test_full_configs_use_every_field_and_are_sound():
    for name, spec in KINDS.items():
        assert set(FULL[name]) == {f.name for f in spec.fields}, name
        assert spec.parse(FULL[name]).config is not None, spec.parse(FULL[name]).problems


def full_flow() -> dict:
    kinds = [k for k in KINDS if k != "trigger"]
    nodes = [{"id": "n1", "kind": "trigger", "x": 0, "y": 0, "config": FULL["trigger"]}]
    nodes += [{"id": f"n{i}", "kind": k, "x": 0, "y": 100 * i, "config": FULL[k]} for i, k in enumerate(kinds, 2)]
    return {"format": "trigger-flow", "version": 1, "id": "all", "name": "All kinds", "nodes": nodes, "edges": []}


def editable(widget) -> list:
    """The widgets a user can change inside a field's editor, in a stable order."""
    out = []
    for child in widget.findChildren(QWidget):
        if not isinstance(child, (QLineEdit, QPlainTextEdit, QAbstractButton, QAbstractSpinBox)):
            continue
        if not child.isVisibleTo(widget) or not child.isEnabled():
            continue
        if isinstance(child, QLineEdit) and (child.isReadOnly() or isinstance(child.parent(), QAbstractSpinBox)):
            continue
        if isinstance(child, QAbstractButton) and not (child.isCheckable() or isinstance(child, QPushButton)):
            continue
        out.append(child)
    return out


def act(qtbot, target, text: str) -> None:
    """One user gesture on ``target``: type over its text, or click it."""
    if isinstance(target, QAbstractSpinBox):
        target.setFocus()
        target.selectAll()
        qtbot.keyClicks(target, text[:2] or "5")
    elif isinstance(target, (QLineEdit, QPlainTextEdit)):
        target.setFocus()
        target.selectAll()
        qtbot.keyClicks(target, text)
    else:
        qtbot.mouseClick(target, Qt.MouseButton.LeftButton)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_editing_one_field_keeps_every_other_field(qtbot, data):
    doc = Document(io.from_json(full_flow()))
    before = io.to_json(doc.flow)
    inspector = Inspector(doc)
    qtbot.addWidget(inspector)
    inspector.resize(400, 1400)
    inspector.show()
    try:
        node_id = data.draw(st.sampled_from([n for n in doc.flow.nodes if doc.flow.nodes[n].kind != "exit"]))
        inspector.show_node(node_id)
        form = inspector.form
        field = data.draw(st.sampled_from(sorted(form.editors)), label="field")
        targets = editable(form.editors[field])
        assert targets, f"{field} has nothing to edit"
        for _ in range(data.draw(st.integers(1, 3), label="gestures")):
            targets = editable(form.editors[field]) or targets
            target = data.draw(st.sampled_from(targets), label="widget")
            act(qtbot, target, data.draw(st.text("abc019 .:", max_size=6), label="typed"))
        saved = json.loads(io.dumps(doc.flow))
    finally:
        inspector.close()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    index = next(i for i, n in enumerate(before["nodes"]) if n["id"] == node_id)
    old, new = before["nodes"][index]["config"], saved["nodes"][index]["config"]
    for key in set(old) | set(new):
        if key != field:
            assert new.get(key, "<missing>") == old.get(key, "<missing>"), (node_id, field, key)
    # Every other node, the settings and the edges are untouched too.
    others = copy.deepcopy(saved)
    others["nodes"][index] = before["nodes"][index]
    assert others == before
