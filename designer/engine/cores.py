"""How many cores other programs leave free: whether a backtest should start helper processes.

A helper process pays only on a core of its own. Measured on two cores (the
abandoned-cart backtest of a million events, medians): with the machine
otherwise idle, 0.88 s in two processes against 1.16 s in one; with one
other busy program in another session, 1.53 s in two against 1.20 s in one
(the kernel shares the processor fairly between sessions, so this one gets
about a core whatever it starts, and each process reads the whole table).

The kernel's count of runnable tasks (``/proc/loadavg``, this process
included) says how many cores are taken at one moment. One look misjudged
an idle machine as busy about one time in eight (short-lived tasks come and
go), so :class:`CoreSampler` looks several times while the run is getting
ready and counts the others by the lower median of what it saw.
"""

from __future__ import annotations

import os


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def runnable_tasks() -> int | None:
    """Tasks running or ready to run right now, this one included (None where the kernel does not say)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return int(f.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None


class CoreSampler:
    """Looks at the runnable-task count now and at each :meth:`sample`; :meth:`free` judges from all looks."""

    def __init__(self) -> None:
        self._seen: list[int] = []
        self.sample()

    def sample(self) -> None:
        running = runnable_tasks()
        if running is not None:
            self._seen.append(running)

    def free(self) -> int:
        """Cores not busy with other programs (at least one); every core where nothing can be seen."""
        total = cores()
        if not self._seen:
            return total
        seen = sorted(self._seen)
        others = seen[(len(seen) - 1) // 2] - 1  # lower median: a passing task does not count
        return max(1, min(total, total - others))
