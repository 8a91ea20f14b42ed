"""What the Results' totals are compared with: the previous run, nothing, or a run stored for this flow.

A widget of its own: it keeps the list of the store's saved runs (read in the
background after each run) and answers :meth:`ComparePicker.baseline`, the
result the differences are measured against and the name the tiles give it.
:attr:`ComparePicker.changed` says the user chose another baseline.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from designer.engine.figures import SimulationResult
from designer.engine.runs import StoredRun
from designer.ui.backtest import numbers
from designer.ui.backtest.controller import BacktestController

PREVIOUS = "previous"
NOTHING = "none"


class ComparePicker(QWidget):
    #: The user chose another run to compare with (read it with :meth:`baseline`).
    changed = Signal()

    def __init__(self, controller: BacktestController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        #: The store's saved runs of this flow, by run id (the run on screen is not offered).
        self.stored: dict[int, StoredRun] = {}
        self.combo = QComboBox()
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(16)
        self.combo.setToolTip("The run the differences under each total are measured against")
        self.combo.activated.connect(lambda _index: self.changed.emit())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(QLabel("Compare with:"))
        layout.addWidget(self.combo)
        self._fill()

    def baseline(self) -> tuple[SimulationResult | None, str]:
        """(the result to compare with, its name in the tiles); (None, "") for nothing."""
        data = self.combo.currentData()
        if data == PREVIOUS or data is None:
            previous = self.controller.previous
            return (previous, "previous run") if previous is not None else (None, "previous run")
        if data in self.stored:
            return self.stored[data].result, f"saved run {data}"
        return None, ""

    def refresh(self) -> None:
        """Read the store's saved runs again (after a run: the one before is among them now)."""
        self.controller.stored_runs().on(finished=self._stored_runs_read)

    def _stored_runs_read(self, runs: list[StoredRun]) -> None:
        self.stored = {r.id: r for r in runs}
        self._fill()

    def _fill(self) -> None:
        current = self.combo.currentData()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem("Previous run", PREVIOUS)
        self.combo.addItem("Nothing", NOTHING)
        result = self.controller.result
        own = result.run_id if result is not None else None
        for run in self.stored.values():
            if run.id == own:
                continue
            version = "this version" if result is not None and run.flow_hash == result.flow_hash \
                else "another version"
            self.combo.addItem(f"Saved run {run.id} \u00b7 {numbers.when(run.created)} \u00b7 {version}", run.id)
        index = self.combo.findData(current)
        self.combo.setCurrentIndex(index if index >= 0 else 0)
        self.combo.blockSignals(False)
