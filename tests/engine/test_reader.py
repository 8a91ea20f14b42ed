"""The reader: time bounds every stored event meets stay out of the SQL, and rows the history
gained after its span was read are still held to the window."""

from __future__ import annotations

from designer.engine import reader
from designer.engine.plan import compile_flow
from designer.engine.simulate import history_span, simulate

from .tinystore import PLAIN, TinyStore, at, edge, flow, node


def cart_email():
    return flow([node("n1", "trigger", event="add_to_cart"), node("n2", "send_email", template="t", subject="s")],
                [edge("n1", "n2")], PLAIN)


def store():
    s = TinyStore()
    for day in (1, 2, 3):
        s.event("a", "add_to_cart", at(day, "09:00"))
    s.event("b", "add_to_cart", at(2, "10:00"))
    return s


def spec_for(s, window_from, window_to, span):
    return reader.read_spec([compile_flow(cart_email())], window_from, window_to, span)


def read_all(s, spec):
    stats = reader.ReadStats()
    with reader.reading(s.engine) as conn:
        rows = [r for _, group in reader.stream(conn, s.engine, spec, stats) for r in group]
    return rows, stats


def test_whole_history_needs_no_time_bounds_in_sql():
    s = store()
    span = history_span(s.engine)
    assert span == (at(1, "09:00"), at(3, "09:00"))
    whole = spec_for(s, span[0], span[1] + 1, span)
    assert reader.sql_time_bounds(whole) == (None, None)
    assert "time" not in str(reader.events_query(s.engine, whole).whereclause)
    # A window inside the history states both ends.
    inside = spec_for(s, at(2), at(3), span)
    assert reader.sql_time_bounds(inside) == (at(2), at(3))


def test_events_added_after_the_span_was_read_stay_outside_the_window():
    # The span says the history ends day 3 09:00, so the SQL leaves out "time < to"; an event
    # imported since (day 5) must still not be read into a run whose window ends day 3 09:00:01.
    s = store()
    span = history_span(s.engine)
    spec = spec_for(s, span[0], span[1] + 1, span)
    s.event("a", "add_to_cart", at(5, "09:00"))
    s.event("c", "add_to_cart", at(0, "08:00"))  # and one before the window's start
    rows, stats = read_all(s, spec)
    assert sorted(r[2] for r in rows) == [at(1, "09:00"), at(2, "09:00"), at(2, "10:00"), at(3, "09:00")]
    assert (stats.rows, stats.customers) == (4, 2)


def test_whole_history_run_gives_the_same_figures_as_an_explicit_window():
    s = store()
    whole = simulate(cart_email(), s.engine, save=False)
    explicit = simulate(cart_email(), s.engine, window=(at(0), at(10)), save=False)
    assert (whole.entered, whole.sends, whole.events_read) == (explicit.entered, explicit.sends,
                                                               explicit.events_read) == (4, 4, 4)
