"""A version of a flow is validated once, however often it is compiled or simulated."""

from __future__ import annotations

import pytest

from designer.engine import versions
from designer.engine.simulate import SimulationError, flow_hash, simulate

from .tinystore import PLAIN, TinyStore, at, edge, flow, node


def counting(monkeypatch):
    calls = []
    real = versions.validate

    def validate(f):
        calls.append(flow_hash(f))
        return real(f)
    monkeypatch.setattr(versions, "validate", validate)
    monkeypatch.setattr(versions, "_problems", versions.OrderedDict())
    return calls


def test_runs_of_one_version_validate_it_once_and_an_edit_validates_again(monkeypatch):
    calls = counting(monkeypatch)
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    f = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "send_email", template="t", subject="s")],
             [edge("n1", "n2")], PLAIN)
    first = simulate(f, s.engine, save=False)
    simulate(f, s.engine, save=False)
    simulate(f, s.engine, save=False, trace_customer="a")
    assert len(calls) == 1 and first.flow_hash == calls[0]
    f.move_node("n2", 10, 300)  # the canvas position is no part of the version
    simulate(f, s.engine, save=False)
    assert len(calls) == 1
    f.set_config("n2", {"template": "t", "subject": "another"})
    edited = simulate(f, s.engine, save=False)
    assert len(calls) == 2 and edited.flow_hash == calls[1] != calls[0]


def test_a_version_with_errors_is_refused_every_time_from_the_kept_problems(monkeypatch):
    calls = counting(monkeypatch)
    s = TinyStore()
    s.event("a", "add_to_cart", at(0, "09:00"))
    broken = flow([node("n1", "trigger", event="add_to_cart"), node("n2", "send_email", template="t", subject="s")],
                  [], PLAIN)  # n2 unreachable
    for _ in range(2):
        with pytest.raises(SimulationError, match="n2"):
            simulate(broken, s.engine, save=False)
    assert len(calls) == 1
