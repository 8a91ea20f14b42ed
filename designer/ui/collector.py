"""Python's cycle collector, run on the GUI thread only.

Python collects reference cycles on whichever thread happens to allocate when
a threshold is crossed: often a pool thread rendering a preview or running a
backtest. A cycle that holds a Qt object (a closed window, a document, a
widget's signal holder) is then destroyed on that thread, though the object
lives on the GUI thread. Qt cannot stop a timer from another thread ("Timers
cannot be stopped from another thread"), so the dead object's timers stay
registered and the GUI thread later calls into freed memory: a crash minutes
after the fact, far from its cause.

So the automatic collector is switched off and this object runs it from a GUI
thread timer, with the interpreter's own thresholds deciding how much to
collect. Reference counting still frees everything that is not in a cycle at
once, on whatever thread drops it; only cycles wait for the next tick.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

#: How often pending cycles are looked at (a collection itself is rare: thresholds decide).
INTERVAL_MS = 500


class MainThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.tick)

    def start(self) -> None:
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        gc.enable()

    def tick(self) -> int:
        """Collect the generations whose thresholds are crossed; returns what was freed."""
        assert QThread.currentThread() is self.thread(), "the collector runs on the GUI thread"
        counts = gc.get_count()
        freed = 0
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                freed = gc.collect(generation)
                break
        return freed


def install(app: QCoreApplication) -> MainThreadCollector:
    """Collect cycles on the application's thread from now on (once per application)."""
    existing = app.findChild(MainThreadCollector)
    if existing is not None:
        return existing
    collector = MainThreadCollector(app)
    collector.start()
    app.aboutToQuit.connect(collector.stop)
    return collector
