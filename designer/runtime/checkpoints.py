"""Holding a runtime process at a named point, so a test can kill it exactly there.

With ``FLOW_RUNTIME_HOLD=<name>:<file>`` in its environment, a process that
reaches the checkpoint ``<name>`` writes its pid to ``<file>`` and waits
forever (until killed). Points: ``claimed`` and ``sent`` in delivery (see
delivery.py), ``decide`` once a claimed customer's new messages are written to
the outbox but before the decision commits, ``ingested`` once a batch of events is written but
before it commits. Without the variable a checkpoint costs one lookup.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV = "FLOW_RUNTIME_HOLD"


def checkpoint(name: str) -> None:
    wanted, _, marker = os.environ.get(ENV, "").partition(":")
    if wanted == name and marker:
        Path(marker).write_text(str(os.getpid()))
        while True:  # held here until the process is killed
            time.sleep(3600)
