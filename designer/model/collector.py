"""Pausing Python's cyclic garbage collector while a big flow's objects are made.

Loading or validating a flow of 10,000 nodes makes tens of thousands of small
objects at once, none of them garbage; the collector would scan every object
made so far again and again while they are made. It waits instead, and
collects as usual afterwards. (In the editor the collector already runs only
on the GUI thread's timer, see ``designer/ui/collector.py``; then this does
nothing.)
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
