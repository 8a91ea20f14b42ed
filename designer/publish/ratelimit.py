"""Client-side rate limits that hold across runs (Klaviyo Create Flow: 1/s, 15/min, 100/day).

The times of past calls are kept in a small JSON file in the app's data
folder, so a second run in the same minute still counts the first run's
creates. A call waits for the burst and minute windows; the daily limit is
refused with the time it frees up, since nobody waits a day at a prompt.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from designer.model.io import atomic_write_text

DAY = 86400.0


class DailyLimitReached(Exception):
    pass


@dataclass
class Window:
    seconds: float
    calls: int


class RateLimiter:
    def __init__(self, path: Path, windows: tuple[Window, ...], *,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self.path = Path(path)
        self.windows = windows
        self.clock = clock
        self.sleep = sleep

    def _load(self) -> list[float]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [float(t) for t in raw if isinstance(t, (int, float))] if isinstance(raw, list) else []

    def acquire(self) -> None:
        """Wait until one more call fits every window, then count it."""
        while True:
            now = self.clock()
            longest = max(w.seconds for w in self.windows)
            times = [t for t in self._load() if now - t < longest]
            wait = 0.0
            for w in self.windows:
                recent = sorted(t for t in times if now - t < w.seconds)
                if len(recent) >= w.calls:
                    free_at = recent[len(recent) - w.calls] + w.seconds
                    if w.seconds >= DAY:
                        raise DailyLimitReached(
                            f"{w.calls} calls a day already made; the next is allowed at "
                            f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(free_at))}")
                    wait = max(wait, free_at - now)
            if wait <= 0:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_text(self.path, json.dumps(times + [now]))
                return
            self.sleep(wait)
