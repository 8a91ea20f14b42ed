"""Flow > Live Figures from Runtime…: a deployed flow's figures, read from the runtime, in the
Results views a backtest fills (steps, messages, timing; the counts on the canvas cards).

The runtime's address comes from the flow's publish record (where it was
deployed), else the default; the token from the environment or the keyring,
as for publishing. The reading runs on the window's thread pool through the
runtime client in designer/publish, so no HTTP code lives in the editor.
"""

from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from designer.engine.clock import iso
from designer.engine.figures import SimulationResult
from designer.ui.backtest.worker import Task
from designer.ui.publish import jobs
from designer.ui.publish.keyfield import KeyFields

TARGET = "runtime"


class LiveFiguresDialog(QDialog):
    def __init__(self, window, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Live figures from the runtime")
        self.window_ = window
        self.task: Task | None = None
        layout = QVBoxLayout(self)
        flow = window.document.flow
        layout.addWidget(QLabel(f"The figures of {flow.name!r} (flow id {flow.id}) as the runtime runs it.", self))
        self.keys = KeyFields(TARGET, self)
        record = flow.publish.get(TARGET) if isinstance(flow.publish.get(TARGET), dict) else {}
        if record.get("url"):
            self.keys.base_url.setText(str(record["url"]))
        layout.addWidget(self.keys)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.show_button = self.buttons.addButton("Show Live Figures", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.rejected.connect(self.reject)
        self.show_button.clicked.connect(self.fetch)
        layout.addWidget(self.buttons)

    def fetch(self) -> None:
        conn = self.keys.connection()
        flow_id = self.window_.document.flow.id
        self.status.setText("Reading the runtime…")
        self.show_button.setEnabled(False)
        self.task = Task("live figures", lambda _p, _c: jobs.live_figures(conn, flow_id))
        self.task.on(finished=lambda data: self._show(data, conn.base_url), failed=self.status.setText,
                     done=lambda: self.show_button.setEnabled(True))
        self.window_.workers.start(self.task)

    def _show(self, data: dict, url: str) -> None:
        result = SimulationResult.from_json(data["figures"])
        paused = ", paused" if data.get("paused") else ""
        note = (f"Live figures from the runtime at {url}: version {data['version']}{paused}, "
                f"as of {iso(int(data['now']))}")
        w = self.window_
        w.results_panel.show_live(result, note)
        w.overlay.show(result, False)
        w.results_dock.show()
        w.results_dock.raise_()
        self.status.setText(note)
        self.accept()


def install(window) -> None:
    """Flow > Live Figures from Runtime…, after the backtest's entries."""
    flow_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Flow")
    window.act_live_figures = QAction("&Live Figures from Runtime…", window)
    window.act_live_figures.setStatusTip("Show the deployed flow's figures from the runtime in the Results views")
    window.act_live_figures.triggered.connect(lambda _c=False: open_live(window))
    flow_menu.addSeparator()
    flow_menu.addAction(window.act_live_figures)


def open_live(window) -> LiveFiguresDialog:
    window.live_figures_dialog = LiveFiguresDialog(window, window)
    window.live_figures_dialog.open()
    return window.live_figures_dialog
