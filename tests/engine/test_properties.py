"""Properties that must hold on any history: generated stores, checked against the raw events.

Each example writes a small store (a few customers, a few days of carts, views
and purchases at random minutes), runs flows over it, and checks every
message and every split decision in the customers' traces against the events
themselves, computed independently of the engine.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.engine.simulate import simulate

from .tinystore import HOUR, MINUTE, TinyStore, at, edge, flow, node

EMAIL = {"template": "t", "subject": "s"}
SMART_H = 16

#: trigger cart -> delay 1 h -> split(view in the last 2 h) -> yes: email / no: email
#:   -> delay 2 h -> email -> wait_for(view, 3 h) -> event: sms
SETTINGS = {
    "reentry": {"mode": "always"},
    "exit_when": {"event": "purchase", "since": "flow_start"},
    "smart_sending": f"PT{SMART_H}H",
    "quiet_hours": {"start": "21:00", "end": "08:00"},
    "consent": {"property": "consent"},
    "conversion": {"event": "purchase", "value": "price", "window": "P1D"},
}


def the_flow():
    return flow(
        [node("n1", "trigger", event="add_to_cart"), node("n2", "delay", duration="PT1H"),
         node("n3", "split", condition={"event": "view", "since": "PT2H"}),
         node("n4", "send_email", **EMAIL), node("n5", "send_email", **EMAIL),
         node("n6", "delay", duration="PT2H"), node("n7", "send_email", **EMAIL),
         node("n8", "wait_for", event="view", timeout="PT3H", end_ports=["timeout"]),
         node("n9", "send_sms", body="hi")],
        [edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4", "yes"), edge("n3", "n5", "no"),
         edge("n4", "n6"), edge("n5", "n6"), edge("n6", "n7"), edge("n7", "n8"), edge("n8", "n9", "event")],
        SETTINGS)


event = st.tuples(st.sampled_from(["add_to_cart", "view", "purchase", "view"]),
                  st.integers(min_value=0, max_value=4 * 24 * 60))  # minute within 4 days
customer = st.fixed_dictionaries({
    "consent": st.sampled_from([1, 1, 0, None]),
    "timezone": st.sampled_from([None, "Europe/Paris", "America/New_York", "Asia/Tokyo"]),
    "events": st.lists(event, min_size=1, max_size=12),
})
histories = st.lists(customer, min_size=1, max_size=4)


def build(history):
    s = TinyStore()
    raw = {}
    for i, c in enumerate(history):
        ext = f"c{i}"
        s.customer(ext, consent=c["consent"], timezone=c["timezone"])
        evs = sorted(((at(0) + minute * MINUTE, name) for name, minute in c["events"]))
        for t, name in evs:
            s.event(ext, name, t, price=10)
        raw[ext] = evs
    return s, raw


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_sends_respect_smart_sending_consent_exit_and_splits_never_peek(history):
    store, raw = build(history)
    f = the_flow()
    total = simulate(f, store.engine, save=False)
    for node_id, figures in total.nodes.items():
        assert figures.balance() == 0, (node_id, figures.to_json())
        if figures.is_send:
            assert figures.messages == figures.exits.get("next", 0) - sum(figures.skipped.values())
    assert total.nodes["n1"].entered == total.entered
    messages = 0
    for i, c in enumerate(history):
        ext = f"c{i}"
        events = raw[ext]
        trace = simulate(f, store.engine, save=False, window=(total.window_from, total.window_to),
                         trace_customer=ext).trace
        entries = {s.journey: s.time for s in trace if s.what == "entered"}
        sent = [s for s in trace if s.what == "sent"]
        messages += len(sent)
        # Consent: only customers with consent 1 get anything.
        if c["consent"] != 1:
            assert not sent
        # Smart sending: two messages on one channel are at least the window apart.
        for channel, kinds in (("email", ("n4", "n5", "n7")), ("sms", ("n9",))):
            times = sorted(s.time for s in sent if s.node in kinds)
            for a, b in zip(times, times[1:]):
                assert b - a >= SMART_H * HOUR
        # Exit on purchase: no message after a purchase that followed the journey's entry.
        for s in sent:
            entry = entries[s.journey]
            assert not any(name == "purchase" and entry < t <= s.time for t, name in events), (s, events)
        # Quiet hours: no message between 21:00 and 08:00 local.
        # Splits: "view in the last 2 h" decided on the events up to the split's moment only.
        for s in trace:
            if s.what == "split" and s.node == "n3":
                seen = any(name == "view" and s.time - 2 * HOUR <= t <= s.time for t, name in events)
                assert s.detail == ("yes" if seen else "no"), (s, events)
    assert messages == total.sends


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_no_message_inside_quiet_hours(history):
    from datetime import datetime, timezone
    from zoneinfo import ZoneInfo

    store, _ = build(history)
    f = the_flow()
    for i, c in enumerate(history):
        tz = ZoneInfo(c["timezone"]) if c["timezone"] else timezone.utc
        for s in simulate(f, store.engine, save=False, trace_customer=f"c{i}").trace:
            if s.what == "sent":
                local = datetime.fromtimestamp(s.time / 1000, tz)
                assert 8 <= local.hour < 21, (s, local)


def channels_flow():
    """trigger -> email -> webhook -> delay 1 h -> sms, every gate on: the units of a mixed-channel flow."""
    return flow(
        [node("n1", "trigger", event="add_to_cart"), node("n2", "send_email", **EMAIL),
         node("n3", "webhook", url="https://x.example/h"), node("n4", "delay", duration="PT1H"),
         node("n5", "send_sms", body="hi")],
        [edge("n1", "n2"), edge("n2", "n3"), edge("n3", "n4"), edge("n4", "n5")], SETTINGS)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories)
def test_send_cards_agree_with_their_edges_and_webhooks_stay_out_of_messages(history):
    store, _ = build(history)
    r = simulate(channels_flow(), store.engine, save=False)
    for node_id in ("n2", "n3", "n5"):
        f = r.nodes[node_id]
        # The card (sent + skipped) and the edge below it (exits by next) count the same journeys.
        assert f.messages + sum(f.skipped.values()) == f.exits.get("next", 0), (node_id, f.to_json())
    assert r.messages_by_channel.get("email", 0) == r.nodes["n2"].messages
    assert r.messages_by_channel.get("sms", 0) == r.nodes["n5"].messages
    assert r.messages_by_channel.get("webhook", 0) == r.nodes["n3"].messages
    assert r.sends == r.nodes["n2"].messages + r.nodes["n5"].messages == sum(r.messages_per_hour)
    assert r.nodes["n3"].skipped == {} and r.nodes["n3"].conversions == 0  # no gate, no credit
    assert r.converting_recipients <= r.recipients
    assert r.conversions == r.nodes["n2"].conversions + r.nodes["n5"].conversions
