"""The condition builder: every tree shape it can build loads back into rows that build the
same tree, what it builds passes ``conditions.check``, and value text round-trips."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QCoreApplication, QEvent, Qt

from designer.model import conditions, durations
from designer.ui.document import Document
from designer.ui.inspector import Inspector
from designer.ui.inspector.base import is_invalid
from designer.ui.inspector.condition_builder import (COUNT_LABELS, MODES, ConditionBuilder, join_group,
                                                     split_group)
from designer.ui.inspector.event_combo import EventNames
from designer.ui.inspector.filter_builder import FilterBuilder
from designer.ui.inspector.values import (ValueTextError, format_scalar, format_value, parse_scalar,
                                          parse_value, split_list)


@pytest.fixture(autouse=True)
def _delete_closed_widgets():
    """Free the widgets each test let go (deleteLater needs an event loop the tests do not
    run), so they do not pile up and slow later tests that re-style every widget."""
    yield
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def choose(qtbot, combo, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not in {[combo.itemText(i) for i in range(combo.count())]}"
    combo.showPopup()
    combo.view().setCurrentIndex(combo.model().index(index, 0))
    qtbot.keyClick(combo.view(), Qt.Key.Key_Return)


# -- value text ------------------------------------------------------------------------------
scalars = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["", " a", "50", "1e5", "true", "null", '"q"', "a, b", '"', "x\ny", "nan"]),
    st.integers(-10**12, 10**12),
    # Numbers within the flow file's bound (designer/model/bounds.py: about 9.2e18).
    st.floats(min_value=-9e18, max_value=9e18, allow_nan=False, allow_infinity=False, width=64),
    st.booleans(),
    st.none(),
)


@settings(max_examples=150)
@given(scalars)
def test_scalar_text_round_trips(value):
    text = format_scalar(value)
    back = parse_scalar(text)
    assert back == value and type(back) is type(value)


@settings(max_examples=100)
@given(st.lists(scalars, min_size=1, max_size=5))
def test_list_text_round_trips(values):
    back = parse_value(format_value(values, "in"), "in")
    assert back == values and [type(v) for v in back] == [type(v) for v in values]


def test_value_text_reading():
    assert parse_scalar(" 50 ") == 50 and parse_scalar("2.5") == 2.5 and parse_scalar("gold") == "gold"
    assert parse_scalar('"50"') == "50" and parse_scalar("true") is True
    assert parse_value('a, "b, c", 3', "in") == ["a", "b, c", 3]
    assert split_list("a,,b") == ["a", "", "b"]
    for bad in ('"open', 'a, "b', '"a" x'):
        with pytest.raises(ValueTextError):
            parse_value(bad, "in")
    with pytest.raises(ValueTextError):
        parse_value("a,,b", "in")


# -- trees the builder can make ------------------------------------------------------------------
names = st.text("abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=10)
durations_iso = st.one_of(st.integers(1, 10**6).map(lambda s: durations.to_iso(s)),
                          st.integers(1, 2000).map(lambda m: durations.to_iso(m * 60)))


@st.composite
def property_test(draw, key: str):
    op = draw(st.sampled_from(list(conditions.OPERATORS)))
    out = {key: draw(names), "op": op}
    if conditions.OPERATORS[op]:
        if op in ("in", "not in"):
            out["value"] = draw(st.lists(scalars, min_size=1, max_size=4))
        else:
            out["value"] = draw(scalars)
    return out


def grouped(leaves, depth: int):
    """Trees made by the builder's groups: join_group of a mode and 1-3 items, nested."""
    if depth == 0:
        return leaves
    inner = grouped(leaves, depth - 1)
    return st.one_of(leaves, st.builds(join_group, st.sampled_from([m for m, _ in MODES]),
                                       st.lists(inner, min_size=1, max_size=3)))


filter_trees = grouped(property_test("property"), 2)


@st.composite
def event_test(draw):
    out = {"event": draw(names), "since": draw(st.one_of(st.sampled_from(["flow_start", "ever"]), durations_iso))}
    if draw(st.booleans()):
        out["where"] = draw(filter_trees)
    count = (draw(st.sampled_from([op for op, _ in COUNT_LABELS])), draw(st.integers(0, 1000)))
    if count != (">=", 1):
        out["count"] = {count[0]: count[1]}
    return out


condition_trees = grouped(st.one_of(property_test("property"), property_test("trigger"), event_test()), 3)


@pytest.fixture(scope="module")
def builder():
    widget = ConditionBuilder(EventNames())
    yield widget
    widget.deleteLater()


@pytest.fixture(scope="module")
def filter_builder():
    widget = FilterBuilder(EventNames())
    yield widget
    widget.deleteLater()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(condition_trees)
def test_every_condition_shape_round_trips(qtbot, builder, tree):
    builder.set_value(tree)
    assert builder.problem() is None
    assert builder.value() == tree
    assert conditions.check(tree, "condition") == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filter_trees)
def test_every_filter_shape_round_trips(qtbot, filter_builder, tree):
    filter_builder.set_value(tree)
    assert filter_builder.value() == tree
    assert conditions.check(tree, "where", filter_only=True) == []


@pytest.mark.parametrize("tree", [
    {"event": "purchase", "since": "flow_start"},
    {"event": "purchase", "since": "P2D", "count": {"=": 0}},
    {"event": "purchase", "since": "PT1H30M", "count": {">": 3}},
    {"not": {"property": "vip", "op": "is set"}},
    {"not": {"not": {"trigger": "price", "op": ">", "value": 9.5}}},
    {"not": {"all": [{"property": "a", "op": "=", "value": 1}, {"property": "b", "op": "in", "value": [1, "x"]}]}},
    {"not": {"any": [{"property": "a", "op": "=", "value": "1"}, {"event": "view", "since": "ever"}]}},
    {"any": [{"all": [{"property": "a", "op": "=", "value": True},
                      {"property": "b", "op": "!=", "value": None}]},
             {"event": "purchase", "since": "P7D", "where": {"any": [{"property": "price", "op": ">", "value": 50},
                                                                  {"property": "brand", "op": "=", "value": ""}]}}]},
])
def test_named_shapes_round_trip(qtbot, tree):
    widget = ConditionBuilder(EventNames())
    qtbot.addWidget(widget)
    widget.set_value(tree)
    assert widget.value() == tree


def test_split_and_join_are_inverse_for_groups():
    a, b = {"property": "a", "op": "is set"}, {"property": "b", "op": "is set"}
    for mode, _label in MODES:
        for items in ([a], [a, b]):
            tree = join_group(mode, items)
            assert join_group(*split_group(tree)) == tree
    assert join_group("all", []) is None


# -- building with the widgets ---------------------------------------------------------------
@pytest.fixture
def split_node(qtbot):
    doc = Document()
    node = doc.add_node("split", 0, 100)
    inspector = Inspector(doc)
    qtbot.addWidget(inspector)
    inspector.resize(380, 900)
    inspector.show()
    inspector.show_node(node)
    return doc, node, inspector


def test_building_a_condition_by_hand(qtbot, split_node):
    doc, node, inspector = split_node
    builder = inspector.form.editors["condition"]
    cond = lambda: doc.flow.nodes[node].config["condition"]  # noqa: E731
    first = builder.root.items[0]
    assert cond() == {"event": "purchase", "since": "flow_start"}

    # did purchase at least 2 times in the last 48 hours
    first.event_test.count.selectAll()
    qtbot.keyClicks(first.event_test.count, "2")
    choose(qtbot, first.event_test.since, "in the last")
    assert cond() == {"event": "purchase", "since": "P2D", "count": {">=": 2}}
    choose(qtbot, first.event_test.count_op, "fewer than")
    assert cond()["count"] == {"<": 2}

    # ... where price > 50
    qtbot.mouseClick(first.event_test.use_where, Qt.MouseButton.LeftButton)
    where_row = first.event_test.where.root.items[0]
    qtbot.keyClicks(where_row.prop.name, "price")
    choose(qtbot, where_row.prop.op, ">")
    qtbot.keyClicks(where_row.prop.value, "50")
    assert cond()["where"] == {"property": "price", "op": ">", "value": 50}

    # second row: profile property loyalty_tier in gold, silver
    qtbot.mouseClick(builder.root.add_test, Qt.MouseButton.LeftButton)
    second = builder.root.items[1]
    assert is_invalid(second.prop.name), "an empty row is marked and not committed"
    assert "all" not in cond()
    qtbot.keyClicks(second.prop.name, "loyalty_tier")
    choose(qtbot, second.prop.op, "is one of")
    qtbot.keyClicks(second.prop.value, "gold, silver")
    choose(qtbot, builder.root.mode, "any of")

    # third: a nested group with a trigger property that is set
    qtbot.mouseClick(builder.root.add_group, Qt.MouseButton.LeftButton)
    group = builder.root.items[2]
    inner = group.items[0]
    choose(qtbot, inner.kind, "Trigger property")
    qtbot.keyClicks(inner.prop.name, "coupon")
    choose(qtbot, inner.prop.op, "is set")
    assert not inner.prop.value.isVisibleTo(inner)
    choose(qtbot, group.mode, "none of")

    tree = cond()
    assert tree == {"any": [
        {"event": "purchase", "since": "P2D", "where": {"property": "price", "op": ">", "value": 50},
         "count": {"<": 2}},
        {"property": "loyalty_tier", "op": "in", "value": ["gold", "silver"]},
        {"not": {"trigger": "coupon", "op": "is set"}},
    ]}
    assert conditions.check(tree, "condition") == []

    # Undo takes the rows back; the builder shows the model's tree each time.
    doc.undo_stack.undo()
    assert builder.value() == cond()
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert node not in doc.flow.nodes
    doc.undo_stack.redo()
    assert inspector.node_id() is None, "the removed node's form gave way to the settings"
    inspector.show_node(node)
    assert inspector.form.editors["condition"].value() == {"event": "purchase", "since": "flow_start"}


def test_removing_rows_and_an_empty_condition(qtbot, split_node):
    doc, node, inspector = split_node
    builder = inspector.form.editors["condition"]
    qtbot.mouseClick(builder.root.items[0].remove, Qt.MouseButton.LeftButton)
    assert not builder.root.items
    assert builder.problem() == "Add at least one condition" and is_invalid(builder.root.add_test)
    assert doc.flow.nodes[node].config["condition"] == {"event": "purchase", "since": "flow_start"}


def test_bad_list_value_is_marked(qtbot, split_node):
    doc, node, inspector = split_node
    builder = inspector.form.editors["condition"]
    row = builder.root.items[0]
    choose(qtbot, row.kind, "Profile property")
    qtbot.keyClicks(row.prop.name, "city")
    choose(qtbot, row.prop.op, "is one of")
    qtbot.keyClicks(row.prop.value, 'Paris, "Rome')
    assert is_invalid(row.prop.value) and "not closed" in row.prop.value.toolTip()
    # Each keystroke that made a usable list was committed; the unclosed quote was not.
    assert doc.flow.nodes[node].config["condition"] == {"property": "city", "op": "in", "value": ["Paris"]}
    qtbot.keyClicks(row.prop.value, '"')
    assert doc.flow.nodes[node].config["condition"] == {"property": "city", "op": "in", "value": ["Paris", "Rome"]}


def test_filter_builder_offers_only_event_properties(qtbot):
    widget = FilterBuilder(EventNames())
    qtbot.addWidget(widget)
    assert widget.value() is None and widget.problem() is None, "an empty filter means no filter"
    qtbot.mouseClick(widget.root.add_test, Qt.MouseButton.LeftButton)
    row = widget.root.items[0]
    assert row.event_test is None and row.kind.count() == 1
    qtbot.keyClicks(row.prop.name, "brand")
    qtbot.keyClicks(row.prop.value, "acme")
    assert widget.value() == {"property": "brand", "op": "=", "value": "acme"}


def test_a_score_test_says_its_model_learns_from_past_data_only(qtbot, split_node):
    doc, node, inspector = split_node
    builder = inspector.form.editors["condition"]
    row = builder.root.items[0]
    choose(qtbot, row.kind, "Profile property")
    note = row.prop.score_note
    qtbot.keyClicks(row.prop.name, "order_count")
    assert not note.isVisibleTo(builder)
    row.prop.name.clear()
    qtbot.keyClicks(row.prop.name, "purchase_score")
    choose(qtbot, row.prop.op, "≥")
    qtbot.keyClicks(row.prop.value, "0.6")
    assert note.isVisibleTo(builder) and "past data only" in note.text()
    assert doc.flow.nodes[node].config["condition"] == {"property": "purchase_score", "op": ">=", "value": 0.6}
    assert "purchase_score" in builder.profile_hints.stringList()
    choose(qtbot, row.kind, "Trigger property")  # an event's own property of that name is no score
    assert not note.isVisibleTo(builder)
