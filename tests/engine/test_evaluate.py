"""Rules compiled ahead (property tests against a fixed value, 'did X since the flow started')
give exactly what the plain rules give, for any value a property can hold."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from designer.engine import evaluate
from designer.engine.history import History

VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 200), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "100", "99.5", "1e2", "abc", "true", "no", "nan", "inf", " 7 "]),
    st.lists(st.sampled_from([1, "1", 100, "x"]), max_size=3),
)
OPS = sorted(evaluate._TESTS)


@settings(max_examples=300)
@given(st.sampled_from(OPS), VALUES, VALUES, st.sampled_from(["price", "cart.price", "absent"]))
def test_property_test_agrees_with_the_plain_test(op, actual, expected, name):
    obj = {"price": actual, "cart": {"price": actual}}
    plain = evaluate.test_value(op, evaluate.lookup(obj, name), expected)
    assert evaluate.property_test(name, op, expected)(obj) == plain


def journey(names: list[str], entry: int, cursor: int):
    history = History([(n, i, "{}") for i, n in enumerate(names)])
    return SimpleNamespace(customer=SimpleNamespace(history=history), entry_index=entry, cursor=cursor, now=0)


@settings(max_examples=200)
@given(st.lists(st.sampled_from(["purchase", "view"]), max_size=8), st.data())
def test_did_since_flow_start_counts_events_between_entry_and_cursor(names, data):
    entry = data.draw(st.integers(-1, len(names)))
    cursor = data.draw(st.integers(0, len(names) + 1))
    count = sum(1 for i in range(entry + 1, cursor) if 0 <= i < len(names) and names[i] == "purchase")
    for test, expected in (({}, count >= 1), ({"count": {">=": 2}}, count >= 2), ({"count": {"=": 0}}, count == 0)):
        rule = evaluate.compile_condition({"event": "purchase", "since": "flow_start", **test})
        assert rule(journey(names, entry, cursor)) == expected, (test, names, entry, cursor)
