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


def greet_by_name():
    """Sends only to customers whose first name is stored, and whose stored email is theirs."""
    return flow([node("n1", "trigger", event="add_to_cart"),
                 node("n2", "split", condition={"all": [{"property": "first_name", "op": "is set"},
                                                        {"not": {"property": "email", "op": "=",
                                                                 "value": "nobody@example.com"}}]}),
                 node("n3", "send_email", template="t", subject="s"), node("n4", "exit")],
                [edge("n1", "n2"), edge("n2", "n3", "yes"), edge("n2", "n4", "no")], PLAIN)


def test_profile_columns_are_fetched_only_when_a_rule_reads_them():
    s = TinyStore()
    s.customer("ann", first_name="Ann")
    s.customer("bob", first_name=None)
    s.customer("cy", first_name="Cy", email="nobody@example.com")
    for who in ("ann", "bob", "cy"):
        s.event(who, "add_to_cart", at(1, "09:00"))
    plain = reader.read_spec([compile_flow(cart_email())], at(0), at(5))
    assert plain.profile_names == {"timezone"}  # no rule, no consent setting: only the zone
    with reader.reading(s.engine) as conn:
        ann = s.ids["ann"]
        assert reader.profiles(conn, [ann], plain.profile_names)[ann][0] == {"external_id": "ann"}
        assert reader.profiles(conn, [ann])[ann][0] == {
            "email": "ann@example.com", "first_name": "Ann", "consent": 1, "external_id": "ann"}
    # A flow that tests the name and the email reads both columns: only Ann passes.
    named = reader.read_spec([compile_flow(greet_by_name())], at(0), at(5))
    assert {"email", "first_name", "timezone"} <= named.profile_names
    result = simulate(greet_by_name(), s.engine, save=False)
    assert (result.entered, result.sends) == (3, 1)


def test_properties_come_only_for_the_events_whose_properties_a_rule_reads(tmp_path, monkeypatch):
    """The example flows read the properties of carts (entry key, price test) and purchases (order
    value) only: views and signups come without theirs, and the programme's figures are those of a
    run that fetches every property."""
    from pathlib import Path

    from designer.engine import simulate as simulation
    from designer.model import documents, io
    from designer.model.programme import Programme, parse_cap
    from designer.store.sample import generate

    flows = [io.load(p) for p in documents.flow_files(Path(__file__).resolve().parents[2] / "flows")]
    plans = [compile_flow(f, i) for i, f in enumerate(flows)]
    spec = reader.read_spec(plans, 0, 10**13)
    assert spec.props_names == {"add_to_cart", "purchase"} and {"view", "signup"} <= spec.names
    db = tmp_path / "shop.db"
    generate(db, customers=400, days=30, seed=3)
    with reader.reading(simulation.open_store(db)) as conn:
        rows = [r for _, group in reader.stream(conn, conn.engine, spec, reader.ReadStats()) for r in group]
    assert {r[1] for r in rows if r[3] is not None} == {"add_to_cart", "purchase"}
    assert any(r[1] == "view" for r in rows)

    def run():
        results = simulation.simulate_together(flows, db, save=False, workers=1,
                                               programme=Programme(parse_cap("2/P7D")))
        out = [r.to_json() for r in results]
        for data in out:
            data.pop("seconds")
        return out

    pruned = run()
    real, asked = reader.read_spec, []

    def every_property(*args, **kwargs):
        asked.append(1)
        return reader.ReadSpec(**{**real(*args, **kwargs).__dict__, "props_names": None})

    monkeypatch.setattr(simulation, "read_spec", every_property)
    assert run() == pruned and asked
