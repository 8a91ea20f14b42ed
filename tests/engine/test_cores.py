"""Helper processes are started on cores other programs leave free, judged from several looks."""

from __future__ import annotations

import pytest

from designer.engine import cores


def sampler(monkeypatch, looks, total=2):
    seen = iter(looks)
    monkeypatch.setattr(cores, "runnable_tasks", lambda: next(seen))
    monkeypatch.setattr(cores, "cores", lambda: total)
    s = cores.CoreSampler()
    for _ in looks[1:]:
        s.sample()
    return s


@pytest.mark.parametrize("looks, free", [
    ([1, 1, 1, 1], 2),      # only this process runs: both cores free
    ([1, 2, 1, 1], 2),      # a task passing by at one look does not count
    ([1, 3, 2, 1], 2),      # nor at two of four
    ([2, 2, 3, 2], 1),      # another program runs throughout: one core left
    ([2, 1, 2, 2], 1),      # ... even when it was not running at one look
    ([5, 4, 6, 5], 1),      # a busy machine: never fewer than one
])
def test_free_cores_from_the_lower_median_of_the_looks(monkeypatch, looks, free):
    assert sampler(monkeypatch, looks).free() == free


def test_more_cores_and_no_kernel_count(monkeypatch):
    assert sampler(monkeypatch, [2, 2, 2], total=8).free() == 7
    assert sampler(monkeypatch, [None, None], total=4).free() == 4  # nothing to see: every core counts


def test_the_kernel_count_includes_this_process():
    running = cores.runnable_tasks()
    assert running is None or running >= 1
