"""The editor window's status bar: the running backtest's progress, the event store, the
problem count, the flow's size, the zoom, short messages, and the window title.

A mixin of :class:`designer.ui.mainwindow.MainWindow`.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QToolButton

from designer.ui.backtest.store_panel import StoreInfo, StoreLabel
from designer.ui.problems import count_text
from designer.ui.window_files import APP_NAME


class WindowStatus:
    """Builds the status bar's permanent widgets and keeps them current."""

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        # A running backtest: its progress and a Cancel button, shown only while it runs.
        self.run_progress = QProgressBar(self)
        self.run_progress.setRange(0, 1000)
        self.run_progress.setMaximumWidth(160)
        self.run_progress.setMaximumHeight(16)
        self.run_progress.setFormat("Backtest %p %")
        self.run_cancel = QToolButton(self)
        self.run_cancel.setText("Cancel")
        self.run_cancel.setToolTip("Stop the running backtest (Shift+F5)")
        self.run_cancel.clicked.connect(self.backtest.cancel)
        self.store_label = StoreLabel(self)
        self.problems_label = QLabel(self)
        self.count_label = QLabel(self)
        self.zoom_label = QLabel(self)
        for widget in (self.run_progress, self.run_cancel, self.store_label, self.problems_label,
                       self.count_label, self.zoom_label):
            status.addPermanentWidget(widget)
        self._show_running(False)
        self._update_counts()
        self._update_zoom(self.view.zoom())

    def _show_running(self, running: bool) -> None:
        self.run_progress.setVisible(running)
        self.run_cancel.setVisible(running)
        self.act_cancel_backtest.setEnabled(running)
        if running:
            self.run_progress.setValue(0)

    def _update_counts(self) -> None:
        flow = self.document.flow
        self.count_label.setText(f"{len(flow.nodes)} nodes, {len(flow.edges)} edges")

    def _update_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f} %")

    def _show_problem_counts(self, problems: list) -> None:
        self.problems_label.setText(count_text(problems) if problems else "No problems")

    def _status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000 if text else 1)

    def update_title(self) -> None:
        self.setWindowTitle(f"{self.document.title()}[*] — {APP_NAME}")
        self.setWindowModified(self.document.is_modified())

    def _store_changed(self, info: StoreInfo) -> None:
        self.store_label.show_store(info)
        self.inspector.set_known_events(info.event_names)
        self._status(f"Event store: {info.summary()}")

    def _store_busy(self, message: str) -> None:
        if message:
            self.store_label.show_busy(message)
            self.statusBar().showMessage(message)
        else:
            self.store_label.show_store(self.store.info)

    def _store_failed(self, text: str) -> None:
        self.store_label.show_store(self.store.info)
        self._status(f"Event store: {text}")
