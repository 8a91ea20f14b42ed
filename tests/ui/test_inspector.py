"""The inspector against a real Document: edits reach the model as undo steps, and the
model's changes (undo, redo, other panels) come back into the form."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QComboBox

from designer import EXAMPLE_FLOWS
from designer.model import io
from designer.model.kinds import CANONICAL_EVENTS, check_config
from designer.model.settings import QuietHours
from designer.ui.document import Document
from designer.ui.inspector import Inspector
from designer.ui.inspector.base import is_invalid
from designer.ui.inspector.form import NodeForm
from designer.ui.inspector.settings_form import DEFAULT_EXIT, SettingsForm


@pytest.fixture(autouse=True)
def _delete_closed_widgets():
    """Free the widgets each test let go (deleteLater needs an event loop the tests do not
    run), so they do not pile up and slow later tests that re-style every widget."""
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def choose(qtbot, combo: QComboBox, text: str) -> None:
    """Pick an item the way a user does: open the list, move to it, press Enter."""
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not in {[combo.itemText(i) for i in range(combo.count())]}"
    combo.showPopup()
    combo.view().setCurrentIndex(combo.model().index(index, 0))
    qtbot.keyClick(combo.view(), Qt.Key.Key_Return)
    assert combo.currentIndex() == index


def retype(qtbot, widget, text: str) -> None:
    """Select everything in a line edit and type over it, one key at a time."""
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


@pytest.fixture
def doc():
    return Document(io.load(EXAMPLE_FLOWS / "abandoned_cart.json"))


@pytest.fixture
def inspector(qtbot, doc):
    widget = Inspector(doc)
    qtbot.addWidget(widget)
    widget.resize(380, 900)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def config(doc, node_id):
    return doc.flow.nodes[node_id].config


# -- delay and durations -------------------------------------------------------------------
def test_typing_a_delay_is_one_undo_step_and_undo_updates_the_form(qtbot, doc, inspector):
    inspector.show_node("n2")
    delay = inspector.form.editors["duration"]
    before = doc.undo_stack.count()
    retype(qtbot, delay.duration.number, "36")
    assert config(doc, "n2") == {"duration": "P1DT12H"}
    assert doc.undo_stack.count() == before + 1, "typing two digits must merge into one step"
    choose(qtbot, delay.duration.unit, "days")
    assert config(doc, "n2") == {"duration": "P36D"}
    assert doc.undo_stack.count() == before + 2, "choosing a unit is a step of its own"

    doc.undo_stack.undo()
    assert config(doc, "n2") == {"duration": "P1DT12H"}
    assert delay.duration.unit.currentText() == "hours"
    doc.undo_stack.undo()
    assert config(doc, "n2") == {"duration": "PT1H"}
    assert (delay.duration.number.text(), delay.duration.unit.currentText()) == ("1", "hours")
    doc.undo_stack.redo()
    assert delay.duration.number.text() == "36"


def test_half_typed_duration_is_shown_red_and_not_committed(qtbot, doc, inspector):
    inspector.show_node("n2")
    number = inspector.form.editors["duration"].duration.number
    retype(qtbot, number, "2.")
    assert config(doc, "n2") == {"duration": "PT2H"}, "'2' was committed, '2.' not"
    assert number.text() == "2."
    assert is_invalid(number) and "not a number" in number.toolTip()
    qtbot.keyClicks(number, "5")
    assert config(doc, "n2") == {"duration": "PT2H30M"}
    assert not is_invalid(number)


def test_own_edit_keeps_the_editor_focus_and_caret(qtbot, doc, inspector):
    inspector.show_node("n5")
    form = inspector.form
    subject = form.editors["subject"].edit
    inspector.activateWindow()
    subject.setFocus()
    subject.setCursorPosition(0)
    qtbot.keyClicks(subject, "Psst: ")
    assert config(doc, "n5")["subject"].startswith("Psst: {{ first_name")
    assert inspector.form is form and form.editors["subject"].edit is subject, "no rebuild on own edits"
    assert subject.cursorPosition() == len("Psst: ")


def test_half_typed_input_survives_edits_of_other_fields(qtbot, doc, inspector):
    node = doc.add_node("wait_for", 0, 0)
    inspector.show_node(node)
    timeout = inspector.form.editors["timeout"].number
    retype(qtbot, timeout, "3.")
    retype(qtbot, inspector.form.editors["event"].combo.lineEdit(), "checkout_started")
    assert config(doc, node) == {"event": "checkout_started", "timeout": "P3D"}
    assert timeout.text() == "3." and is_invalid(timeout)

    inspector.show_node(None)
    cooldown = inspector.form.cooldown.number
    retype(qtbot, cooldown, "1.")
    retype(qtbot, inspector.form.name, "Cart")
    assert doc.flow.name == "Cart" and doc.flow.settings.reentry.cooldown == "P1D"
    assert cooldown.text() == "1."


def test_typing_in_a_text_field_merges_and_other_fields_are_separate_steps(qtbot, doc, inspector):
    inspector.show_node("n5")
    before = doc.undo_stack.count()
    retype(qtbot, inspector.form.editors["template"].edit, "cart_v2")
    retype(qtbot, inspector.form.editors["from_name"].edit, "Shop")
    assert doc.undo_stack.count() == before + 2
    assert config(doc, "n5")["template"] == "cart_v2" and config(doc, "n5")["from_name"] == "Shop"
    doc.undo_stack.undo()
    assert "from_name" not in config(doc, "n5")
    assert inspector.form.editors["from_name"].edit.text() == ""


def test_changes_from_elsewhere_are_shown(doc, inspector):
    inspector.show_node("n5")
    form = inspector.form
    doc.set_config("n5", {**config(doc, "n5"), "subject": "Changed on the canvas"})
    assert inspector.form is form
    assert form.editors["subject"].edit.text() == "Changed on the canvas"


def test_delay_until_a_time_and_weekdays(qtbot, doc, inspector):
    inspector.show_node("n2")
    wait, until = inspector.form.editors["duration"], inspector.form.editors["until"]
    qtbot.mouseClick(until.on, Qt.MouseButton.LeftButton)
    assert config(doc, "n2") == {"duration": "PT1H", "until": {"time": "09:00"}}
    qtbot.mouseClick(wait.on, Qt.MouseButton.LeftButton)
    assert config(doc, "n2") == {"until": {"time": "09:00"}}
    qtbot.mouseClick(until.days["sat"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(until.days["mon"], Qt.MouseButton.LeftButton)
    assert config(doc, "n2") == {"until": {"time": "09:00", "weekdays": ["mon", "sat"]}}
    qtbot.mouseClick(until.at, Qt.MouseButton.LeftButton)
    assert config(doc, "n2") == {"until": {"weekdays": ["mon", "sat"]}}
    assert check_config("delay", config(doc, "n2")) == []
    qtbot.mouseClick(until.days["sat"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(until.days["mon"], Qt.MouseButton.LeftButton)
    # Neither a time nor a day: shown as a problem, the model keeps the last usable delay.
    assert config(doc, "n2") == {"until": {"weekdays": ["mon"]}}
    assert is_invalid(until.days_box)
    assert until.until_error.isVisibleTo(until) and "weekdays" in until.until_error.text()
    qtbot.mouseClick(until.on, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wait.on, Qt.MouseButton.LeftButton)
    assert config(doc, "n2") == {"duration": "PT1H"}
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert until.on.isChecked() and until.days["mon"].isChecked() and not until.at.isChecked()


def test_time_of_day_edit_is_committed(qtbot, doc, inspector):
    inspector.show_node("n2")
    until = inspector.form.editors["until"]
    qtbot.mouseClick(until.on, Qt.MouseButton.LeftButton)
    until.time.setFocus()
    qtbot.keyClick(until.time, Qt.Key.Key_Up)  # hours section: 09 -> 10
    assert config(doc, "n2")["until"]["time"] == "10:00"
    assert config(doc, "n2")["duration"] == "PT1H"


def test_welcome_delay_keeps_its_wait_when_a_weekday_is_clicked(qtbot):
    """The welcome series' n7 waits 3 days, then until 10:00: its card says both, and a weekday
    clicked in the inspector keeps the 3 days (it used to save the node without them)."""
    doc = Document(io.load(EXAMPLE_FLOWS / "welcome_series.json"))
    widget = Inspector(doc)
    qtbot.addWidget(widget)
    widget.show()
    assert config(doc, "n7") == {"duration": "P3D", "until": {"time": "10:00"}}
    assert doc.flow.nodes["n7"].summary() == "wait 3 d, then until 10:00"
    widget.show_node("n7")
    until = widget.form.editors["until"]
    assert widget.form.editors["duration"].on.isChecked() and until.on.isChecked()
    qtbot.mouseClick(until.days["tue"], Qt.MouseButton.LeftButton)
    assert config(doc, "n7") == {"duration": "P3D", "until": {"time": "10:00", "weekdays": ["tue"]}}
    assert doc.flow.nodes["n7"].summary() == "wait 3 d, then until 10:00 tue"


# -- events ---------------------------------------------------------------------------------
def test_event_combo_offers_canonical_and_store_events(qtbot, doc, inspector):
    inspector.show_node("n1")
    combo = inspector.form.editors["event"].combo
    assert [combo.itemText(i) for i in range(len(CANONICAL_EVENTS))] == list(CANONICAL_EVENTS)
    inspector.set_known_events(["pv", "cart", "purchase"])
    items = [combo.itemText(i) for i in range(combo.count())]
    assert items == list(CANONICAL_EVENTS) + ["cart", "pv"]
    choose(qtbot, combo, "pv")
    assert config(doc, "n1")["event"] == "pv"
    retype(qtbot, combo.lineEdit(), "custom_evt")
    assert config(doc, "n1")["event"] == "custom_evt"
    # New names from the store do not disturb what is being typed.
    inspector.set_known_events(["pv", "cart", "fav"])
    assert combo.currentText() == "custom_evt"


def test_empty_event_is_flagged(qtbot, doc, inspector):
    inspector.show_node("n1")
    combo = inspector.form.editors["event"].combo
    combo.lineEdit().setFocus()
    combo.lineEdit().selectAll()
    qtbot.keyClick(combo.lineEdit(), Qt.Key.Key_Backspace)
    assert is_invalid(combo)
    doc.validate_now()
    note = inspector.form.notes["event"]
    assert not note.isHidden() and "required" in note.text() and note.property("role") == "error"


def test_trigger_filter_and_entry_key(qtbot, doc, inspector):
    inspector.show_node("n1")
    where = inspector.form.editors["where"]
    qtbot.mouseClick(where.root.add_test, Qt.MouseButton.LeftButton)
    assert "where" not in config(doc, "n1"), "an incomplete row is not committed"
    row = where.root.items[0]
    qtbot.keyClicks(row.prop.name, "price")
    choose(qtbot, row.prop.op, "\u2265")
    qtbot.keyClicks(row.prop.value, "50")
    assert config(doc, "n1")["where"] == {"property": "price", "op": ">=", "value": 50}
    qtbot.mouseClick(row.remove, Qt.MouseButton.LeftButton)
    assert "where" not in config(doc, "n1")
    retype(qtbot, inspector.form.editors["key"].edit, "")
    qtbot.keyClick(inspector.form.editors["key"].edit, Qt.Key.Key_Backspace)
    assert "key" not in config(doc, "n1")


# -- A/B variants ------------------------------------------------------------------------
def test_variants_flag_a_sum_other_than_100(qtbot, doc, inspector):
    node = doc.add_node("ab_split", 0, 0)
    inspector.show_node(node)
    variants = inspector.form.editors["variants"]
    assert variants.sum_ok() and variants.total.property("role") == "ok"
    retype(qtbot, variants.rows[0].fields[1].lineEdit(), "70")
    assert [v["percent"] for v in config(doc, node)["variants"]] == [70, 50]
    assert not variants.sum_ok()
    assert variants.total.property("role") == "error" and "120" in variants.total.text()
    assert ("variants", "percentages add up to 120, not 100") in check_config("ab_split", config(doc, node))

    qtbot.mouseClick(variants.add_button, Qt.MouseButton.LeftButton)
    assert [v["name"] for v in config(doc, node)["variants"]] == ["A", "B", "C"]
    qtbot.mouseClick(variants.even, Qt.MouseButton.LeftButton)
    assert [v["percent"] for v in config(doc, node)["variants"]] == [34, 33, 33]
    assert variants.sum_ok() and check_config("ab_split", config(doc, node)) == []


def test_variant_names_must_be_filled_and_distinct(qtbot, doc, inspector):
    node = doc.add_node("ab_split", 0, 0)
    inspector.show_node(node)
    variants = inspector.form.editors["variants"]
    name = variants.rows[1].fields[0]
    retype(qtbot, name, "A")
    assert is_invalid(name) and "twice" in name.toolTip()
    assert [v["name"] for v in config(doc, node)["variants"]] == ["A", "B"]
    retype(qtbot, name, "Control")
    assert [v["name"] for v in config(doc, node)["variants"]] == ["A", "Control"]
    assert not variants.rows[0].remove.isEnabled(), "two variants is the least"


def test_renaming_a_connected_variant_keeps_its_branch_and_undo_restores_it(qtbot, doc, inspector):
    node = doc.add_node("ab_split", 0, 0)
    target = doc.add_node("exit", 0, 200)
    assert doc.connect(node, "B", target) is None
    inspector.show_node(node)
    name = inspector.form.editors["variants"].rows[1].fields[0]
    retype(qtbot, name, "Control")
    assert doc.flow.successor(node, "Control") == target and doc.flow.successor(node, "B") is None
    assert not [p for p in doc.validate_now() if p.node == node and p.code == "unknown-port"]
    doc.undo_stack.undo()
    assert doc.flow.successor(node, "B") == target
    assert [v["name"] for v in config(doc, node)["variants"]] == ["A", "B"]


# -- profile updates and other fields ----------------------------------------------------------
def test_properties_and_names_editors(qtbot, doc, inspector):
    node = doc.add_node("update_profile", 0, 0)
    inspector.show_node(node)
    props = inspector.form.editors["set"]
    qtbot.mouseClick(props.add_button, Qt.MouseButton.LeftButton)
    name, value = props.rows[0].fields
    qtbot.keyClicks(name, "vip")
    qtbot.keyClicks(value, "true")
    assert config(doc, node)["set"] == {"vip": True}
    qtbot.mouseClick(props.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(props.rows[1].fields[0], "tier")
    qtbot.keyClicks(props.rows[1].fields[1], '"2"')
    assert config(doc, node)["set"] == {"vip": True, "tier": "2"}

    names = inspector.form.editors["unset"]
    qtbot.mouseClick(names.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(names.rows[0].fields[0], "cart_id")
    assert config(doc, node)["unset"] == ["cart_id"]
    qtbot.mouseClick(names.rows[0].remove, Qt.MouseButton.LeftButton)
    assert "unset" not in config(doc, node)
    assert check_config("update_profile", config(doc, node)) == []

    doc.undo_stack.undo()
    assert [r.fields[0].text() for r in names.rows] == ["cart_id"]


def test_url_is_committed_but_marked_until_it_is_a_url(qtbot, doc, inspector):
    node = doc.add_node("webhook", 0, 0)
    inspector.show_node(node)
    url = inspector.form.editors["url"].edit
    retype(qtbot, url, "example.com")
    assert config(doc, node)["url"] == "example.com" and is_invalid(url)
    retype(qtbot, url, "https://example.com/hook")
    assert config(doc, node)["url"] == "https://example.com/hook" and not is_invalid(url)
    body = inspector.form.editors["body"].edit
    body.setFocus()
    qtbot.keyClicks(body, "{}")
    assert config(doc, node)["body"] == "{}"


def test_every_kind_gets_a_form_with_an_editor_per_field(doc, inspector):
    from designer.model.kinds import KINDS

    for kind, spec in KINDS.items():
        node = doc.flow.trigger().id if kind == "trigger" else doc.add_node(kind, 0, 0)
        inspector.show_node(node)
        assert isinstance(inspector.form, NodeForm) and inspector.form.kind == kind
        assert list(inspector.form.editors) == [f.name for f in spec.fields]
        assert inspector.title.text() == spec.label


# -- selection and the settings form -------------------------------------------------------
def test_removed_node_falls_back_to_settings_and_reselect_keeps_form(doc, inspector):
    inspector.show_node("n11")
    form = inspector.form
    inspector.show_node("n11")
    assert inspector.form is form
    doc.remove_nodes(["n11"])
    assert inspector.node_id() is None and isinstance(inspector.form, SettingsForm)
    doc.undo_stack.undo()
    inspector.show_node("n11")
    assert inspector.node_id() == "n11"
    inspector.show_node("nope")
    assert isinstance(inspector.form, SettingsForm)


def test_settings_form_edits_each_part(qtbot, doc, inspector):
    inspector.show_node(None)
    form = inspector.form
    assert isinstance(form, SettingsForm)

    choose(qtbot, form.reentry_mode, "Only once, ever")
    assert doc.flow.settings.reentry.mode == "never" and doc.flow.settings.reentry.cooldown is None
    assert form.cooldown_row.isHidden()
    choose(qtbot, form.reentry_mode, "Again after a cooldown")
    retype(qtbot, form.cooldown.number, "14")
    assert doc.flow.settings.reentry.cooldown == "P14D"

    qtbot.mouseClick(form.quiet_on, Qt.MouseButton.LeftButton)
    assert doc.flow.settings.quiet_hours is None
    qtbot.mouseClick(form.quiet_on, Qt.MouseButton.LeftButton)
    assert doc.flow.settings.quiet_hours == QuietHours("21:00", "08:00")
    form.quiet_end.setFocus()
    qtbot.keyClick(form.quiet_end, Qt.Key.Key_Up)
    assert doc.flow.settings.quiet_hours == QuietHours("21:00", "09:00")

    qtbot.mouseClick(form.smart_on, Qt.MouseButton.LeftButton)
    assert doc.flow.settings.smart_sending is None
    qtbot.mouseClick(form.smart_on, Qt.MouseButton.LeftButton)
    retype(qtbot, form.smart_window.number, "24")
    assert doc.flow.settings.smart_sending == "P1D"

    qtbot.mouseClick(form.exit_on, Qt.MouseButton.LeftButton)
    assert doc.flow.settings.exit_when == DEFAULT_EXIT
    row = form.exit_when.root.items[0]
    choose(qtbot, row.event_test.since, "ever")
    assert doc.flow.settings.exit_when == {"event": "purchase", "since": "ever"}

    retype(qtbot, form.goal_value, "")
    qtbot.keyClick(form.goal_value, Qt.Key.Key_Backspace)
    assert doc.flow.settings.conversion.value is None
    retype(qtbot, form.goal_window.number, "7")
    assert doc.flow.settings.conversion.window == "P7D"

    retype(qtbot, form.consent_property, "email_ok")
    assert doc.flow.settings.consent.property == "email_ok"
    qtbot.mouseClick(form.consent_on, Qt.MouseButton.LeftButton)
    assert doc.flow.settings.consent is None
    doc.validate_now()
    note = form.notes["consent"]
    assert note.isVisibleTo(form) and "consent" in note.text() and note.property("role") == "warning"

    edit = form.timezone.lineEdit()
    retype(qtbot, edit, "Europe/Berl")
    assert doc.flow.settings.timezone == "UTC" and is_invalid(form.timezone)
    qtbot.keyClicks(edit, "in")
    assert doc.flow.settings.timezone == "Europe/Berlin" and not is_invalid(form.timezone)

    # Every part went through the document: undo walks them back to the file's settings.
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    original = io.load(EXAMPLE_FLOWS / "abandoned_cart.json").settings
    assert doc.flow.settings == original
    assert form.timezone.currentText() == "UTC" and form.consent_on.isChecked()
    assert form.reentry_mode.currentData() == "cooldown" and form.cooldown.number.text() == "7"


def test_flow_name_typing_merges_and_empty_name_is_not_committed(qtbot, doc, inspector):
    inspector.show_node(None)
    form = inspector.form
    before = doc.undo_stack.count()
    retype(qtbot, form.name, "Cart rescue")
    assert doc.flow.name == "Cart rescue" and doc.undo_stack.count() == before + 1
    assert inspector.subtitle.text() == "Cart rescue"
    qtbot.keyClick(form.name, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(form.name, Qt.Key.Key_Backspace)
    assert doc.flow.name == "Cart rescue" and is_invalid(form.name)
    doc.undo_stack.undo()
    assert form.name.text() == "Abandoned cart, 1 hour"
