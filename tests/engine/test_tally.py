"""Counters kept as list slots reach the figures they were made for, once, at the end."""

from __future__ import annotations

from designer.engine.figures import NodeFigures, Tally


def test_a_slot_adds_to_every_place_it_was_made_for():
    source, target = NodeFigures("split"), NodeFigures("send_email")
    tally = Tally()
    edge = tally.slot((source.exits, "yes"), (target, "entered"))
    unused = tally.slot((source.exits, "no"))
    tally.counts[edge] += 3
    tally.add_to_figures()
    assert (source.exits, target.entered) == ({"yes": 3}, 3)
    assert "no" not in source.exits and tally.counts[unused] == 0  # a port never taken adds no key


def test_counts_start_again_after_being_added():
    fig = NodeFigures("exit")
    tally = Tally()
    ended = tally.slot((fig, "ended"))
    tally.counts[ended] += 2
    tally.add_to_figures()
    tally.counts[ended] += 1
    tally.add_to_figures()
    tally.add_to_figures()
    assert fig.ended == 3
