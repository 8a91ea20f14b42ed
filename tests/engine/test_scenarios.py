"""Hand-worked scenarios: one small store per rule, the expected numbers worked out in comments."""

from __future__ import annotations

import pytest

from designer.engine.simulate import SimulationError, simulate, simulate_together

from .tinystore import MINUTE, PLAIN, TinyStore, at, edge, flow, node

EMAIL = {"template": "t", "subject": "s"}


def run(f, store, **kw):
    kw.setdefault("save", False)
    return simulate(f, store.engine, **kw)


def balanced(result):
    for node_id, figures in result.nodes.items():
        assert figures.balance() == 0, (node_id, figures)
    return result


def trigger_email(settings=None, **trigger):
    """trigger -> email: the simplest flow, to look at entry rules and send gates."""
    return flow([node("n1", "trigger", **({"event": "add_to_cart"} | trigger)), node("n2", "send_email", **EMAIL)],
                [edge("n1", "n2")], {**PLAIN, **(settings or {})})


# -- entry ---------------------------------------------------------------------------
def reentry_store():
    # Customer a adds to cart on days 0, 1, 3 and 10 (09:00); cart ids x, x, y, z.
    s = TinyStore()
    for day, cart in ((0, "x"), (1, "x"), (3, "y"), (10, "z")):
        s.event("a", "add_to_cart", at(day, "09:00"), cart_id=cart)
    return s


def test_reentry_always_enters_on_every_event():
    # always: 4 events -> 4 journeys, 4 emails.
    r = balanced(run(trigger_email(), reentry_store()))
    assert (r.entered, r.sends, r.not_entered) == (4, 4, {})


def test_reentry_never_enters_once():
    # never: only day 0; the other 3 are refused for re-entry.
    r = balanced(run(trigger_email({"reentry": {"mode": "never"}}), reentry_store()))
    assert (r.entered, r.not_entered) == (1, {"reentry": 3})


def test_reentry_cooldown_counts_from_the_last_entry():
    # cooldown 2 days: day 0 enters; day 1 is 1 day after -> refused; day 3 is 3 days after day 0 -> enters;
    # day 10 is 7 days after day 3 -> enters. 3 entries, 1 refused.
    r = balanced(run(trigger_email({"reentry": {"mode": "cooldown", "cooldown": "P2D"}}), reentry_store()))
    assert (r.entered, r.not_entered) == (3, {"reentry": 1})


def test_entry_key_allows_one_journey_per_value():
    # always + key cart_id: x (day 0) enters, x (day 1) is a duplicate, y and z enter: 3 journeys.
    r = balanced(run(trigger_email(key="cart_id"), reentry_store()))
    assert (r.entered, r.not_entered) == (3, {"duplicate_key": 1})


def test_trigger_where_filters_events():
    # Only carts worth >= 100 start a journey: 2 of 3 events, for two customers.
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"), price=120, source="web")
    s.event("a", "add_to_cart", at(1, "09:00"), price=20, source="web")
    s.event("b", "add_to_cart", at(1, "09:00"), price=100.0, source="app")
    r = balanced(run(trigger_email(where={"property": "price", "op": ">=", "value": 100}), s))
    assert (r.entered, r.customers_entered, r.sends) == (2, 2, 2)


def test_trigger_text_filter_pushed_into_sql_gives_the_same_entries():
    # where source = "app": only b's event. The filter goes into SQL; events_read shows it:
    # a's two web events are not read at all, b's one app event is.
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"), source="web")
    s.event("a", "add_to_cart", at(1, "09:00"), source="web")
    s.event("b", "add_to_cart", at(1, "09:00"), source="app")
    f = trigger_email({"conversion": {"event": "refund", "window": "P1D"}},
                      where={"property": "source", "op": "=", "value": "app"})
    r = balanced(run(f, s))
    assert (r.entered, r.events_read) == (1, 1)


def test_window_limits_entries_and_history_before_it_is_not_an_entry():
    # Window days 2..5: only the day-3 event enters (re-entry never: day 0 and 1 are outside, so not "before").
    s = reentry_store()
    r = balanced(run(trigger_email({"reentry": {"mode": "never"}}), s, window=(at(2), at(5))))
    assert (r.entered, r.window_from, r.window_to) == (1, at(2), at(5))


# -- delay --------------------------------------------------------------------------
def delay_flow(**config):
    return flow([node("n1", "trigger", event="signup"), node("n2", "delay", **config), node("n3", "send_email", **EMAIL)],
                [edge("n1", "n2"), edge("n2", "n3")], PLAIN)


def sent_at(result):
    return [s.time for s in result.trace if s.what == "sent"]


def test_delay_duration_moves_the_clock():
    s = TinyStore()
    s.event("a", "signup", at(0, "09:00"))
    s.event("a", "view", at(9, "09:00"))  # keeps the default window open past the send
    r = balanced(run(delay_flow(duration="PT90M"), s, trace_customer="a"))
    assert sent_at(r) == [at(0, "10:30")]


def test_delay_until_local_time_in_customer_zone():
    # Signup Monday 09:00 UTC = 18:00 in Tokyo (UTC+9). Wait 1 h (19:00 Tokyo), then until 10:00 local:
    # Tuesday 10:00 Tokyo = Tuesday 01:00 UTC.
    s = TinyStore()
    s.customer("a", timezone="Asia/Tokyo")
    s.event("a", "signup", at(0, "09:00"))
    s.event("a", "view", at(9, "09:00"))
    r = balanced(run(delay_flow(duration="PT1H", until={"time": "10:00"}), s, trace_customer="a"))
    assert sent_at(r) == [at(1, "01:00")]


def test_delay_until_uses_flow_zone_when_customer_has_none():
    # No customer zone; flow zone America/New_York (UTC-5 in January). Signup Monday 09:00 UTC = 04:00 NY.
    # Until 08:00 local -> Monday 13:00 UTC.
    s = TinyStore()
    s.customer("a", timezone=None)
    s.event("a", "signup", at(0, "09:00"))
    s.event("a", "view", at(9, "09:00"))
    f = delay_flow(until={"time": "08:00"})
    f.settings = f.settings.replace(timezone="America/New_York")
    assert sent_at(run(f, s, trace_customer="a")) == [at(0, "13:00")]


def test_delay_until_weekday():
    # Signup Monday (day 0) 09:00 UTC, until 10:00 on Saturday or Sunday -> Saturday (day 5) 10:00 UTC.
    s = TinyStore()
    s.event("a", "signup", at(0, "09:00"))
    s.event("a", "view", at(9, "09:00"))
    r = run(delay_flow(until={"time": "10:00", "weekdays": ["sat", "sun"]}), s, trace_customer="a")
    assert sent_at(r) == [at(5, "10:00")]


def test_delay_until_weekday_without_time_starts_that_day():
    # Signup Monday 09:00, until Wednesday (no time) -> Wednesday 00:00; on an allowed day, no wait.
    s = TinyStore()
    s.event("a", "signup", at(0, "09:00"))
    s.event("b", "signup", at(2, "09:00"))
    s.event("a", "view", at(9, "09:00"))
    f = delay_flow(until={"weekdays": ["wed"]})
    assert sent_at(run(f, s, trace_customer="a")) == [at(2, "00:00")]
    assert sent_at(run(f, s, trace_customer="b")) == [at(2, "09:00")]


# -- wait_for ------------------------------------------------------------------------
def wait_flow(**config):
    # trigger view -> wait_for(add_to_cart, 1 day) -> event: email, timeout: ends.
    return flow([node("n1", "trigger", event="view"), node("n2", "wait_for", **config, end_ports=["timeout"]),
                 node("n3", "send_email", **EMAIL)],
                [edge("n1", "n2"), edge("n2", "n3", "event")], PLAIN)


def test_wait_for_leaves_by_event_or_timeout():
    # a: view 09:00, cart 15:00 -> event at 15:00. b: view 09:00, cart next day 10:00 (25 h) -> timeout.
    # c: cart BEFORE the view -> not after arrival -> timeout. d: view late, window ends -> in progress.
    s = TinyStore()
    s.event("a", "view", at(0, "09:00"))
    s.event("a", "add_to_cart", at(0, "15:00"))
    s.event("b", "view", at(0, "09:00"))
    s.event("b", "add_to_cart", at(1, "10:00"))
    s.event("c", "add_to_cart", at(0, "08:00"))
    s.event("c", "view", at(0, "09:00"))
    s.event("d", "view", at(3, "12:00"))
    s.event("e", "signup", at(3, "18:00"))  # last event: the window ends at day 3 18:00 + 1 ms
    r = balanced(run(wait_flow(event="add_to_cart", timeout="P1D"), s))
    w = r.nodes["n2"]
    assert (w.entered, w.exits, w.in_progress) == (4, {"event": 1, "timeout": 2}, 1)
    assert r.nodes["n3"].messages == 1
    assert sent_at(run(wait_flow(event="add_to_cart", timeout="P1D"), s, trace_customer="a")) == [at(0, "15:00")]


def test_wait_for_filter_and_event_exactly_at_timeout():
    # a: a cart of 5 at 10:00 fails the filter, a cart of 50 at exactly the 1-day timeout counts -> event.
    s = TinyStore()
    s.event("a", "view", at(0, "09:00"))
    s.event("a", "add_to_cart", at(0, "10:00"), price=5)
    s.event("a", "add_to_cart", at(1, "09:00"), price=50)
    s.event("z", "signup", at(5))
    f = wait_flow(event="add_to_cart", where={"property": "price", "op": ">", "value": 10}, timeout="P1D")
    r = balanced(run(f, s, trace_customer="a"))
    assert r.nodes["n2"].exits == {"event": 1}
    assert sent_at(r) == [at(1, "09:00")]


# -- split ----------------------------------------------------------------------------------
def split_flow(condition, trigger="add_to_cart", delay="PT1H", settings=None):
    # trigger -> delay -> split -> yes: email n4 / no: email n5
    return flow([node("n1", "trigger", event=trigger), node("n2", "delay", duration=delay),
                 node("n3", "split", condition=condition), node("n4", "send_email", **EMAIL),
                 node("n5", "send_email", **EMAIL)],
                [edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4", "yes"), edge("n3", "n5", "no")],
                {**PLAIN, **(settings or {})})


def test_split_on_history_since_flow_start_sees_only_the_past():
    # Split at cart + 1 h. a buys 30 min after the cart -> yes. b buys 2 h after (after the split) -> no.
    # c bought the day before the cart: not since flow start -> no.
    s = TinyStore()
    s.event("a", "add_to_cart", at(1, "09:00"))
    s.event("a", "purchase", at(1, "09:30"))
    s.event("b", "add_to_cart", at(1, "09:00"))
    s.event("b", "purchase", at(1, "11:00"))
    s.event("c", "purchase", at(0, "09:00"))
    s.event("c", "add_to_cart", at(1, "09:00"))
    r = balanced(run(split_flow({"event": "purchase", "since": "flow_start"}), s))
    assert r.nodes["n3"].exits == {"yes": 1, "no": 2}


def test_since_flow_start_does_not_count_the_trigger_event_itself():
    # Trigger purchase, split "purchase since flow start": the trigger purchase is not counted -> no.
    s = TinyStore()
    s.event("a", "purchase", at(0, "09:00"))
    s.event("z", "signup", at(2))
    r = balanced(run(split_flow({"event": "purchase"}, trigger="purchase"), s))
    assert r.nodes["n3"].exits == {"no": 1}


def test_split_ever_and_last_duration_and_count_and_where():
    # Carts on day 3 09:00, split at 10:00.
    # a: purchases day 0 (price 20) and day 3 08:00 (price 80).
    #   ever >= 2 -> yes; in last PT12H -> only 08:00 one; where price > 50 in last PT12H -> yes.
    # b: one purchase day 0 (price 200): ever >= 2 -> no; last PT12H -> no.
    s = TinyStore()
    s.event("a", "purchase", at(0, "09:00"), price=20)
    s.event("a", "purchase", at(3, "08:00"), price=80)
    s.event("a", "add_to_cart", at(3, "09:00"))
    s.event("b", "purchase", at(0, "09:00"), price=200)
    s.event("b", "add_to_cart", at(3, "09:00"))
    window = (at(3), at(4))  # history before the window is still read for "ever" and "last 12 h"
    ever2 = run(split_flow({"event": "purchase", "since": "ever", "count": {">=": 2}}), s, window=window)
    assert ever2.nodes["n3"].exits == {"yes": 1, "no": 1}
    recent = run(split_flow({"event": "purchase", "since": "PT12H", "where": {"property": "price", "op": ">",
                                                                            "value": 50}}), s, window=window)
    assert recent.nodes["n3"].exits == {"yes": 1, "no": 1}
    none_recent = run(split_flow({"event": "purchase", "since": "PT12H", "count": {"=": 0}}), s, window=window)
    assert none_recent.nodes["n3"].exits == {"yes": 1, "no": 1}  # b has none in the last 12 h


def test_split_on_profile_and_trigger_properties():
    # any(loyalty_tier in [gold, silver], trigger price >= 100):
    # a gold/price 10 -> yes; b bronze/price 150 -> yes; c no tier/price 10 -> no.
    s = TinyStore()
    s.customer("a", loyalty_tier="gold")
    s.customer("b", loyalty_tier="bronze")
    s.customer("c")
    s.event("a", "add_to_cart", at(0, "09:00"), price=10)
    s.event("b", "add_to_cart", at(0, "09:00"), price=150)
    s.event("c", "add_to_cart", at(0, "09:00"), price=10)
    s.event("z", "signup", at(2))
    cond = {"any": [{"property": "loyalty_tier", "op": "in", "value": ["gold", "silver"]},
                    {"trigger": "price", "op": ">=", "value": 100}]}
    r = balanced(run(split_flow(cond), s))
    assert r.nodes["n3"].exits == {"yes": 2, "no": 1}


# -- ab_split ---------------------------------------------------------------------------
def test_ab_split_is_reproducible_and_holds_percentages():
    # 400 customers, 25/75 split. The assignment is a hash, so two runs agree exactly and
    # the share of A is near 25% (binomial sd ~2.2%: 15-35% is far outside chance).
    s = TinyStore()
    for i in range(400):
        s.event(f"c{i}", "signup", at(0, "09:00") + i * MINUTE)
    f = flow([node("n1", "trigger", event="signup"),
              node("n2", "ab_split", variants=[{"name": "A", "percent": 25}, {"name": "B", "percent": 75}]),
              node("n3", "send_email", **EMAIL), node("n4", "send_email", **EMAIL)],
             [edge("n1", "n2"), edge("n2", "n3", "A"), edge("n2", "n4", "B")], PLAIN)
    first, second = balanced(run(f, s)), run(f, s)
    a = first.nodes["n2"].exits["A"]
    assert first.nodes["n2"].exits == second.nodes["n2"].exits
    assert a + first.nodes["n2"].exits["B"] == 400
    assert 60 <= a <= 140


# -- sends: consent, smart sending, quiet hours --------------------------------------------
def test_consent_column_and_property_and_sms_property():
    # Email gated by the consent column: a (1) gets it, b (0) and c (unknown) are skipped.
    s = TinyStore()
    s.customer("a", consent=1, sms_ok=True)
    s.customer("b", consent=0, sms_ok="yes")
    s.customer("c", consent=None)
    for c in "abc":
        s.event(c, "add_to_cart", at(0, "09:00"))
    r = balanced(run(trigger_email({"consent": {"property": "consent"}}), s))
    assert (r.nodes["n2"].messages, r.nodes["n2"].skipped, r.nodes["n2"].exits) == (1, {"no_consent": 2}, {"next": 3})
    # SMS gated by its own property: a and b have sms_ok true, c has none.
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "send_sms", body="hi")], [edge("n1", "n2")],
             {**PLAIN, "consent": {"property": "consent", "sms_property": "sms_ok"}})
    r = balanced(run(f, s))
    assert (r.nodes["n2"].messages, r.nodes["n2"].skipped) == (2, {"no_consent": 1})


def test_webhook_is_not_gated_by_consent():
    s = TinyStore()
    s.customer("b", consent=0)
    s.event("b", "add_to_cart", at(0, "09:00"))
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "webhook", url="https://x.example/h")],
             [edge("n1", "n2")], {**PLAIN, "consent": {"property": "consent"}})
    assert run(f, s).nodes["n2"].messages == 1


def test_skipped_send_goes_on_to_the_next_node():
    # trigger -> email (no consent: skipped) -> update_profile: the journey still reaches n3.
    s = TinyStore()
    s.customer("b", consent=0)
    s.event("b", "add_to_cart", at(0, "09:00"))
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "send_email", **EMAIL),
              node("n3", "update_profile", add_to_list="Reached")],
             [edge("n1", "n2"), edge("n2", "n3")], {**PLAIN, "consent": {"property": "consent"}})
    r = balanced(run(f, s))
    assert (r.nodes["n2"].skipped, r.nodes["n3"].entered) == ({"no_consent": 1}, 1)


def test_smart_sending_skips_messages_inside_the_window_per_channel():
    # Smart sending 16 h, re-entry always. Carts at 09:00, 12:00 (3 h later: skipped), next day 02:00
    # (17 h after the 09:00 email: sent). 3 entries, 2 emails, 1 skip. An SMS node after the email is
    # on its own channel: SMS at 09:00 sent, 12:00 skipped, 02:00 sent.
    s = TinyStore()
    for t in (at(0, "09:00"), at(0, "12:00"), at(1, "02:00")):
        s.event("a", "add_to_cart", t)
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "send_email", **EMAIL),
              node("n3", "send_sms", body="hi")], [edge("n1", "n2"), edge("n2", "n3")],
             {**PLAIN, "smart_sending": "PT16H"})
    r = balanced(run(f, s))
    assert (r.nodes["n2"].messages, r.nodes["n2"].skipped) == (2, {"smart_sending": 1})
    assert (r.nodes["n3"].messages, r.nodes["n3"].skipped) == (2, {"smart_sending": 1})


def test_smart_sending_across_flows_simulated_together():
    # Flow A emails on signup (09:00); flow B emails on add_to_cart (10:00). Together, B's email is one
    # hour after A's: skipped by B's 16 h smart sending. Alone, B sends it.
    s = TinyStore()
    s.event("a", "signup", at(0, "09:00"))
    s.event("a", "add_to_cart", at(0, "10:00"))
    fa = flow([node("n1", "trigger", event="signup"), node("n2", "send_email", **EMAIL)], [edge("n1", "n2")],
              PLAIN, flow_id="a")
    fb = trigger_email({"smart_sending": "PT16H"})
    ra, rb = simulate_together([fa, fb], s.engine, save=False)
    assert (ra.sends, rb.sends, rb.nodes["n2"].skipped) == (1, 0, {"smart_sending": 1})
    assert run(fb, s).sends == 1


def test_quiet_hours_defer_to_the_end_in_local_time():
    # Quiet 21:00-08:00. a (Europe/Paris, UTC+1): cart 21:30 UTC = 22:30 Paris -> held until 08:00 Paris
    # = 07:00 UTC next day. b (UTC): cart 12:00 -> sent at once.
    s = TinyStore()
    s.customer("a", timezone="Europe/Paris")
    s.customer("b")
    s.event("a", "add_to_cart", at(0, "21:30"))
    s.event("b", "add_to_cart", at(0, "12:00"))
    s.event("z", "signup", at(3))
    f = trigger_email({"quiet_hours": {"start": "21:00", "end": "08:00"}})
    r = balanced(run(f, s))
    assert (r.nodes["n2"].messages, r.nodes["n2"].deferred) == (2, {"quiet_hours": 1})
    assert sent_at(run(f, s, trace_customer="a")) == [at(1, "07:00")]
    assert r.messages_per_hour[8] == 1 and r.messages_per_hour[12] == 1  # local hours 08 (Paris) and 12 (UTC)


def test_quiet_hours_recheck_exit_condition_when_released():
    # Cart 22:00 UTC (quiet), purchase 23:00: at 08:00 the exit condition holds -> exited at the send.
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "22:00"))
    s.event("a", "purchase", at(0, "23:00"))
    s.event("z", "signup", at(3))
    f = trigger_email({"quiet_hours": {"start": "21:00", "end": "08:00"}, "exit_when": {"event": "purchase"}})
    r = balanced(run(f, s))
    assert (r.sends, r.nodes["n2"].exited, r.nodes["n2"].deferred) == (0, 1, {"quiet_hours": 1})


def test_send_held_past_the_window_is_in_progress():
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "22:00"))
    r = balanced(run(trigger_email({"quiet_hours": {"start": "21:00", "end": "08:00"}}), s))
    assert (r.sends, r.nodes["n2"].in_progress) == (0, 1)


# -- exit condition ----------------------------------------------------------------------
def test_exit_condition_ends_the_journey_before_the_next_step():
    # Abandoned cart shape: cart, delay 1 h, email. a buys after 20 min -> exited at the email (no send);
    # b buys after 2 h -> already emailed at 1 h, then exits at the next node (delay -> none here: ends).
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    s.event("a", "purchase", at(0, "09:20"))
    s.event("b", "add_to_cart", at(0, "09:00"))
    s.event("b", "purchase", at(0, "11:00"))
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "delay", duration="PT1H"),
              node("n3", "send_email", **EMAIL), node("n4", "delay", duration="PT3H"),
              node("n5", "send_email", **EMAIL)],
             [edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4"), edge("n4", "n5")],
             {**PLAIN, "exit_when": {"event": "purchase"}})
    s.event("z", "signup", at(2))
    r = balanced(run(f, s))
    assert (r.nodes["n3"].exited, r.nodes["n3"].messages) == (1, 1)
    assert (r.nodes["n5"].exited, r.nodes["n5"].messages) == (1, 0)


def test_exit_node_ends_and_unconnected_port_ends():
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    s.event("a", "purchase", at(0, "09:30"))
    s.event("b", "add_to_cart", at(0, "09:00"))
    s.event("z", "signup", at(2))
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "delay", duration="PT1H"),
              node("n3", "split", condition={"event": "purchase"}, end_ports=["no"]), node("n4", "exit")],
             [edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4", "yes")], PLAIN)
    r = balanced(run(f, s))
    assert r.nodes["n3"].exits == {"yes": 1, "no": 1}
    assert r.nodes["n4"].ended == 1


# -- update_profile ---------------------------------------------------------------------------
def test_update_profile_is_seen_by_later_journeys_and_lists_are_tracked():
    # Each cart: split on "vip is set": first journey sees no vip -> no -> sets vip, adds to list "Tagged".
    # Second journey (day 2) sees vip -> yes -> removes from list. Segment: +1 on day 0, -1 on day 2.
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    s.event("a", "add_to_cart", at(2, "09:00"))
    s.event("b", "add_to_cart", at(1, "09:00"))
    s.event("z", "signup", at(4))
    f = flow([node("n1", "trigger", event="add_to_cart"),
              node("n2", "split", condition={"property": "vip", "op": "is set"}),
              node("n3", "update_profile", set={"vip": True}, add_to_list="Tagged"),
              node("n4", "update_profile", unset=["vip"], remove_from_list="Tagged")],
             [edge("n1", "n2"), edge("n2", "n4", "yes"), edge("n2", "n3", "no")], PLAIN)
    r = balanced(run(f, s))
    assert r.nodes["n2"].exits == {"yes": 1, "no": 2}
    sizes = r.segment_sizes()["Tagged"]
    assert sizes == [("2025-01-06", 1), ("2025-01-07", 2), ("2025-01-08", 1)]


# -- conversions ------------------------------------------------------------------------------------
def test_conversion_last_touch_within_window_with_value():
    # Emails at cart time (re-entry always): day 0 09:00 (n2) and day 1 09:00 (n2).
    # Purchase day 1 12:00 (price 40) -> last touch is day 1's email. Purchase day 5 (price 10): 4 days
    # after the last email, outside the 2-day window -> not attributed. One conversion, revenue 40.
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    s.event("a", "add_to_cart", at(1, "09:00"))
    s.event("a", "purchase", at(1, "12:00"), price=40)
    s.event("a", "purchase", at(5, "12:00"), price=10)
    r = run(trigger_email({"conversion": {"event": "purchase", "value": "price", "window": "P2D"}}), s)
    assert (r.conversions, r.revenue, r.nodes["n2"].conversions) == (1, 40.0, 1)


def test_conversion_value_summed_over_items():
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    s.event("a", "purchase", at(0, "10:00"), items=[{"price": 10, "quantity": 2}, {"price": 5}])
    r = run(trigger_email({"conversion": {"event": "purchase", "value": "items", "window": "P1D"}}), s)
    assert (r.conversions, r.revenue) == (1, 25.0)


def test_converted_before_any_send():
    # Cart, delay 1 h, split purchase? yes -> exit / no -> email.
    # a buys 10 min after the cart: before any send (1). b buys after the 1 h email: not counted.
    # c never buys: not counted.
    s = TinyStore()
    for c in "abc":
        s.event(c, "add_to_cart", at(0, "09:00"))
    s.event("a", "purchase", at(0, "09:10"))
    s.event("b", "purchase", at(0, "12:00"))
    s.event("z", "signup", at(2))
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "delay", duration="PT1H"),
              node("n3", "split", condition={"event": "purchase"}), node("n4", "exit"),
              node("n5", "send_email", **EMAIL)],
             [edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4", "yes"), edge("n3", "n5", "no")], PLAIN)
    r = balanced(run(f, s))
    assert (r.bought_before_message, r.conversions, r.sends) == (1, 1, 2)


# -- horizon, errors -----------------------------------------------------------------------------------
def test_journeys_waiting_at_the_end_are_in_progress():
    # Window ends day 1 00:00: the cart at day 0 20:00 + 6 h delay is still waiting.
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    s.event("b", "add_to_cart", at(0, "20:00"))
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "delay", duration="PT6H"),
              node("n3", "send_email", **EMAIL)], [edge("n1", "n2"), edge("n2", "n3")], PLAIN)
    r = balanced(run(f, s, window=(at(0), at(1))))
    assert (r.sends, r.nodes["n2"].in_progress, r.in_progress) == (1, 1, 1)


def test_flow_with_errors_is_refused_with_the_node_named():
    s = TinyStore()
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "split", condition={"event": "purchase"})],
             [edge("n1", "n2")], PLAIN)
    with pytest.raises(SimulationError, match="n2"):
        run(f, s)


def test_trace_of_unknown_customer_is_an_error():
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    with pytest.raises(SimulationError, match="nobody"):
        run(trigger_email(), s, trace_customer="nobody")


def test_progress_and_cancel():
    import threading

    from designer.engine import simulate as sim_module

    s = TinyStore()
    for i in range(30):
        s.event(f"c{i}", "add_to_cart", at(0, "09:00"))
    seen = []
    run(trigger_email(), s, progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    old = sim_module.PROGRESS_EVERY
    sim_module.PROGRESS_EVERY = 5
    try:
        stop = threading.Event()
        stop.set()
        with pytest.raises(sim_module.SimulationCancelled):
            run(trigger_email(), s, cancel=stop)
        with pytest.raises(sim_module.SimulationCancelled):
            run(trigger_email(), s, cancel=lambda: True)
    finally:
        sim_module.PROGRESS_EVERY = old


# -- derived facts -------------------------------------------------------------------------------------
def test_split_on_derived_facts_counts_only_orders_before_the_clock():
    # order_count >= 2 at the split (cart + 1 h). a: orders on day 0 and day 1 08:00 -> 2 -> yes.
    # b: one order on day 0 and one 2 h after the cart (after the split) -> 1 -> no.
    # last_seen > 0 needs every event name (a view is enough); c has only the cart -> yes as well.
    s = TinyStore()
    for c in "ab":
        s.event(c, "purchase", at(0, "09:00"), price=10)
    s.event("a", "purchase", at(1, "08:00"), price=30)
    s.event("a", "add_to_cart", at(1, "09:00"))
    s.event("b", "add_to_cart", at(1, "09:00"))
    s.event("b", "purchase", at(1, "11:00"), price=30)
    s.event("z", "signup", at(3))
    window = (at(1), at(3))
    r = balanced(run(split_flow({"property": "order_count", "op": ">=", "value": 2}), s, window=window))
    assert r.nodes["n3"].exits == {"yes": 1, "no": 1}
    spent = run(split_flow({"property": "total_spent", "op": ">", "value": 35}), s, window=window)
    assert spent.nodes["n3"].exits == {"yes": 1, "no": 1}  # a spent 40 by then, b only 10
    recent = run(split_flow({"property": "days_since_last_order", "op": "<", "value": 0.1}), s, window=window)
    assert recent.nodes["n3"].exits == {"yes": 1, "no": 1}  # a's last order 2 h before the split
    s.event("c", "view", at(1, "08:00"))
    s.event("c", "add_to_cart", at(1, "09:00"))
    seen = run(split_flow({"property": "first_seen", "op": "<", "value": at(1, "08:30")}), s, window=window)
    assert seen.nodes["n3"].exits == {"yes": 3}  # a, b from day 0; c from the 08:00 view


def test_facts_follow_the_flows_conversion_settings_and_read_numeric_text():
    # The flow's orders are "order" events valued by "amount" (not purchase/price). At the split
    # (day 1 09:00) a has two orders worth "12.5" (numeric text) and 2 x 10 in items -> total 32.5;
    # the purchase events (price 100) are no orders for this flow.
    s = TinyStore()
    s.event("a", "order", at(0, "09:00"), amount="12.5")
    s.event("a", "order", at(0, "10:00"), amount=[{"price": 10, "quantity": 2}])
    s.event("a", "purchase", at(0, "11:00"), price=100)
    s.event("a", "add_to_cart", at(1, "08:00"))
    s.event("z", "signup", at(3))
    conversion = {"conversion": {"event": "order", "value": "amount", "window": "P1D"}}
    window = (at(1), at(3))

    def exits(condition):
        return balanced(run(split_flow(condition, settings=conversion), s, window=window)).nodes["n3"].exits

    assert exits({"property": "order_count", "op": "=", "value": 2}) == {"yes": 1}
    assert exits({"property": "total_spent", "op": "=", "value": 32.5}) == {"yes": 1}
    assert exits({"property": "total_spent", "op": "=", "value": 132.5}) == {"no": 1}


def test_days_since_first_seen_is_tenure_in_days():
    # First event day 0 09:00; the split runs day 10 10:00 (cart 09:00 + 1 h): 10 days and 1 hour.
    s = TinyStore()
    s.event("a", "view", at(0, "09:00"))
    s.event("a", "add_to_cart", at(10, "09:00"))
    s.event("b", "add_to_cart", at(10, "09:00"))  # b is new: 1 hour of tenure
    s.event("z", "signup", at(12))
    window = (at(10), at(12))
    older = run(split_flow({"property": "days_since_first_seen", "op": ">", "value": 10.04}), s, window=window)
    assert older.nodes["n3"].exits == {"yes": 1, "no": 1}
    exact = run(split_flow({"property": "days_since_first_seen", "op": "<", "value": 10.05}), s, window=window)
    assert exact.nodes["n3"].exits == {"yes": 2}


# -- attribution -------------------------------------------------------------------------------------
def keyed_flow(**settings):
    """cart (key cart_id) -> email at once; purchases within 5 days convert."""
    return flow([node("n1", "trigger", event="add_to_cart", key="cart_id"), node("n2", "send_email", **EMAIL)],
                [edge("n1", "n2")],
                {**PLAIN, "conversion": {"event": "purchase", "value": "price", "window": "P5D"}, **settings})


def test_conversion_credited_only_to_the_message_about_the_same_cart():
    # The sample store's c000201 case. A reminder about cart A on day 0; A bought on day 1 (281.91):
    # credited. Cart B bought on day 1 (60.43) before B had a journey: nobody's (the old rule gave it
    # to A's reminder). B's reminder on day 4 10:00, B bought 11:00 (24.42): B's reminder. A purchase
    # without a cart_id belongs to no journey. 2 conversions, 281.91 + 24.42 = 306.33.
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"), cart_id="A")
    s.event("a", "purchase", at(1, "09:00"), cart_id="A", price=281.91)
    s.event("a", "purchase", at(1, "12:00"), cart_id="B", price=60.43)  # B has no journey yet: nobody's
    s.event("a", "add_to_cart", at(4, "10:00"), cart_id="B")
    s.event("a", "purchase", at(4, "11:00"), cart_id="B", price=24.42)
    s.event("a", "purchase", at(4, "12:00"), price=5.0)
    r = balanced(run(keyed_flow(), s))
    assert (r.sends, r.conversions, round(r.revenue, 2)) == (2, 2, 306.33)
    assert (r.recipients, r.converting_recipients, r.conversion_rate) == (1, 1, 1.0)
    # Without a key the last touch takes everything in the window (the old, cross-cart rule).
    unkeyed = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "send_email", **EMAIL)],
                   [edge("n1", "n2")], {**PLAIN, "conversion": {"event": "purchase", "value": "price", "window": "P5D"}})
    u = run(unkeyed, s)
    assert (u.conversions, round(u.revenue, 2)) == (4, 371.76)


def test_each_purchase_counts_once_across_the_flows_messages():
    # Two emails (n2 at once, n4 after a day) before one purchase on day 2: credited once, to n4
    # (the last touch); n2 gets nothing. Two customers got messages, one converted: rate 1/2.
    s = TinyStore()
    for c in "ab":
        s.event(c, "add_to_cart", at(0, "09:00"), cart_id=f"{c}1")
    s.event("a", "purchase", at(2, "09:00"), cart_id="a1", price=10)
    s.event("z", "signup", at(9))
    f = flow([node("n1", "trigger", event="add_to_cart", key="cart_id"), node("n2", "send_email", **EMAIL),
              node("n3", "delay", duration="P1D"), node("n4", "send_email", **EMAIL)],
             [edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4")],
             {**PLAIN, "conversion": {"event": "purchase", "value": "price", "window": "P5D"}})
    r = balanced(run(f, s))
    assert (r.sends, r.recipients, r.conversions, r.revenue) == (4, 2, 1, 10.0)
    assert (r.nodes["n2"].conversions, r.nodes["n4"].conversions) == (0, 1)
    assert (r.nodes["n2"].converting_recipients, r.nodes["n4"].converting_recipients) == (0, 1)
    assert (r.converting_recipients, r.conversion_rate) == (1, 0.5)


def test_bought_before_any_message_counts_journeys_whatever_was_bought():
    # Cart A (day 0 09:00) waits 1 h before its email; the customer buys cart B at 09:30, before it: 1.
    # Cart C bought at 09:40 before its 10:00 email: 1. Both are journeys, the unit of entries.
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"), cart_id="A")
    s.event("a", "purchase", at(0, "09:30"), cart_id="B", price=5)
    s.event("b", "add_to_cart", at(0, "09:00"), cart_id="C")
    s.event("b", "purchase", at(0, "09:40"), cart_id="C", price=5)
    s.event("z", "signup", at(3))
    f = flow([node("n1", "trigger", event="add_to_cart", key="cart_id"), node("n2", "delay", duration="PT1H"),
              node("n3", "send_email", **EMAIL)], [edge("n1", "n2"), edge("n2", "n3")],
             {**PLAIN, "conversion": {"event": "purchase", "value": "price", "window": "P5D"}})
    r = balanced(run(f, s))
    assert (r.entered, r.bought_before_message, r.sends) == (2, 2, 2)
    assert r.bought_before_message_share == 1.0


def test_webhooks_are_counted_per_channel_not_as_messages():
    # trigger -> email -> webhook -> SMS for two customers: 2 emails, 2 SMS, 2 webhook calls.
    # Messages and recipients count email and SMS only; the webhook node counts its own calls.
    s = TinyStore()
    for c in "ab":
        s.event(c, "add_to_cart", at(0, "09:00"))
    s.event("a", "purchase", at(0, "12:00"), price=7)
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "send_email", **EMAIL),
              node("n3", "webhook", url="https://x.example/h"), node("n4", "send_sms", body="b")],
             [edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4")],
             {**PLAIN, "conversion": {"event": "purchase", "value": "price", "window": "P1D"}})
    r = balanced(run(f, s))
    assert r.messages_by_channel == {"email": 2, "sms": 2, "webhook": 2}
    assert (r.sends, r.recipients, r.nodes["n3"].messages, r.nodes["n3"].recipients) == (4, 2, 2, 2)
    # a's purchase is credited to the SMS (the last marketing message), never to the webhook.
    assert (r.nodes["n3"].conversions, r.nodes["n4"].conversions, r.conversion_rate) == (0, 1, 0.5)
    assert sum(r.messages_per_hour) == 4
