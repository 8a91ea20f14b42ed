"""The send kinds (email, SMS, webhook): the gates a marketing message passes, and what a send counts.

A marketing send (email, SMS) inside quiet hours is held until they end,
then checked again (the exit rule may hold by then); without consent, or
within the smart-sending window of the customer's last message on the same
channel (any flow of the run), it is skipped and the journey goes on. A
webhook passes no gate: it is no marketing message, so it is counted only on
its own node and in ``messages_by_channel["webhook"]``, never in the flow's
messages, recipients or conversion rates, and it is no touch for attribution.

When the flows run as a programme with a frequency cap, a marketing send
that would be the N+1th within the cap's window (any flow) is skipped as
``frequency_cap``; a send another flow's message stopped is counted in the
programme's figures by (blocked flow, blocking flow, reason).

On every send node ``messages + sum(skipped) == exits["next"]``: a journey
leaves by ``next`` once, sent or skipped.
"""

from __future__ import annotations

from bisect import bisect_right

from designer.engine import clock
from designer.engine.evaluate import MISSING, is_true
from designer.engine.journey import QUIET_HOURS, Journey, Node, Step


def send(n: Node) -> Step:
    """The step of a send node."""
    if n.node.content_problem is not None:
        return _template_error(n)
    interp, plan, node, fig, park = n.interp, n.plan, n.node, n.fig, n.park
    result = interp.results[plan.index]
    per_day = interp.per_day[plan.index]
    node_id, channel, marketing = node.id, node.channel, node.marketing
    # The node's mark among the customer's recipients: text, whose hash Python keeps (a tuple's
    # it computes anew at every lookup); flows are marked by their index, so the two never meet.
    key = f"{node.key[0]}\x1f{node.key[1]}"
    per_hour = result.messages_per_hour
    smart_ms, consent = plan.smart_ms, node.consent_property
    timezone, flow_index, exit_rule = plan.timezone, plan.index, plan.exit_rule
    quiet = clock.QuietHours.of(*plan.quiet) if plan.quiet is not None and plan.quiet[0] != plan.quiet[1] else None
    quiet_minutes = quiet.minutes if quiet is not None else None
    trace, note, finish = interp.trace, interp.note, interp.finish
    tally = interp.tally
    counts, (next_n, after) = tally.counts, n.ports["next"]
    held, no_consent = tally.slot((fig.deferred, "quiet_hours")), tally.slot((fig.skipped, "no_consent"))
    too_soon = tally.slot((fig.skipped, "smart_sending"))
    programme = interp.programme
    cap = programme.cap if programme is not None and marketing else None
    capped = tally.slot((fig.skipped, "frequency_cap")) if cap is not None else 0
    if marketing:
        sent = tally.slot((fig, "messages"), (result, "sends"), (result.messages_by_channel, channel))
    else:
        sent = tally.slot((fig, "messages"), (result.messages_by_channel, channel))
    exited = tally.slot((fig, "exited"))
    DAY_MS, HOUR_MS = clock.DAY_MS, clock.HOUR_MS
    offset_ms, days_offsets = clock.offset_ms, clock.days_offsets
    consent_is_fact = consent in interp.uses_facts

    def step(j: Journey, retry: bool = False) -> None:
        cust, now = j.customer, j.now
        # The zone and the day's offset read straight from their caches, with a call only on a
        # miss or on a day the offset changes (two calls per send fewer: sends are most of a run).
        tz = cust.zones.get(timezone) or cust.zone(timezone)
        offsets = days_offsets.get((tz, now // DAY_MS))
        local = now + (offsets[0] if offsets is not None and offsets[1] is None else offset_ms(now, tz))
        if marketing:
            if quiet_minutes is not None and not retry and quiet_minutes[(local // 60_000) % 1440]:
                until = quiet.end_after(now, tz)  # QuietHours.until, its minute table read inline
                counts[held] += 1
                park(j, until, cust.history.cursor_at(until), released, QUIET_HOURS, until)
                return
            if consent is not None:
                value = MISSING if consent_is_fact else cust.profile.get(consent, MISSING)
                if value is MISSING:
                    value = cust.profile_value(consent, now, flow_index)
                if not (value is True or (value.__class__ is int and value == 1) or is_true(value)):
                    counts[no_consent] += 1
                    if trace is not None:
                        shown = "unknown" if value is MISSING or value is None else repr(value)
                        note(j, now, node_id, "skipped", f"no consent: {consent} is {shown}")
                    counts[next_n] += 1
                    after(j)
                    return
            if smart_ms is not None:
                last = cust.last_sent.get(channel)
                if last is not None and now - last < smart_ms:
                    counts[too_soon] += 1
                    if programme is not None and cust.last_flow[channel] != flow_index:
                        programme.add_suppressed(flow_index, cust.last_flow[channel], "smart_sending")
                    if trace is not None:
                        note(j, now, node_id, "skipped",
                             lambda: f"smart sending: last {channel} message at {clock.iso(last)}")
                    counts[next_n] += 1
                    after(j)
                    return
            if programme is not None:
                cap_times, cap_flows = cust.capped
                in_window = len(cap_times) - bisect_right(cap_times, now - cap[1]) if cap is not None else 0
                if cap is not None and in_window >= cap[0]:
                    counts[capped] += 1
                    # Named after the latest other flow whose message fills the window, if any.
                    for other in reversed(cap_flows[len(cap_flows) - in_window:]):
                        if other != flow_index:
                            programme.add_suppressed(flow_index, other, "frequency_cap")
                            break
                    if trace is not None:
                        note(j, now, node_id, "skipped",
                             lambda: f"frequency cap: {in_window} marketing messages in the cap window")
                    counts[next_n] += 1
                    after(j)
                    return
                cap_times.append(now)
                cap_flows.append(flow_index)
            cust.last_sent[channel] = now
            cust.last_flow[channel] = flow_index
            sends = cust.sends.get(flow_index)
            if sends is None:
                cust.sends[flow_index] = [(now, node_id, j.seq)]
            else:
                sends.append((now, node_id, j.seq))
            received = cust.received
            if key not in received:
                received.add(key)
                fig.recipients += 1
                if flow_index not in received:
                    received.add(flow_index)
                    result.recipients += 1
            if j.first_send is None:
                j.first_send = now
            # By the customer's own calendar day, as the hours are: one rule for both charts; the
            # charts show marketing messages, as the totals do.
            day = local // DAY_MS
            per_day[day] = per_day.get(day, 0) + 1
            per_hour[(local // HOUR_MS) % 24] += 1
        elif key not in cust.received:
            cust.received.add(key)
            fig.recipients += 1
        counts[sent] += 1
        if trace is not None:
            note(j, now, node_id, "sent", f"{channel} message" + (" (after quiet hours)" if retry else ""))
        counts[next_n] += 1
        after(j)

    def released(j: Journey) -> None:
        """A send held back by quiet hours is due: the exit rule may hold by now."""
        if exit_rule is not None and exit_rule(j):
            counts[exited] += 1
            finish(j, node_id, "exit condition", "the exit condition held when the send was due")
            return
        step(j, True)

    return step


def _template_error(n: Node) -> Step:
    """A send whose message cannot be made: each arrival is skipped as ``template_error`` and goes on."""
    interp, node, fig = n.interp, n.node, n.fig
    tally, problem, node_id, note = interp.tally, node.content_problem, node.id, interp.note
    counts, (next_n, after), failed = tally.counts, n.ports["next"], tally.slot((fig.skipped, "template_error"))
    trace = interp.trace

    def skip(j: Journey, retry: bool = False) -> None:
        counts[failed] += 1
        if trace is not None:
            note(j, j.now, node_id, "skipped", f"template error: {problem}")
        counts[next_n] += 1
        after(j)

    return skip
