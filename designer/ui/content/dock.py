"""Docking the Content panel in the main window: tabbed with the inspector, raised for a selected send
or for a message opened in the Results' trace or the Journeys view."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt

from designer.content.message import CHANNELS
from designer.ui.content.panel import ContentPanel


class _Follower(QObject):
    """Shows the scene's selected send in the panel (a QObject slot: disconnected when the window goes)."""

    def __init__(self, window, panel: ContentPanel, dock) -> None:
        super().__init__(panel)
        self.window, self.panel, self.dock = window, panel, dock

    def selection_changed(self) -> None:
        scene = self.window.scene
        if not (shiboken6.isValid(scene) and shiboken6.isValid(self.panel)):
            return  # the window is closing
        node_id = scene.single_selected_node()
        self.panel.show_node(node_id)
        node = self.window.document.flow.nodes.get(node_id) if node_id else None
        if node is not None and node.kind in CHANNELS:
            self.dock.raise_()

    def open_message(self, moment) -> None:
        """A traced message was opened: select its send on the canvas, preview it as it went."""
        if not (shiboken6.isValid(self.window) and shiboken6.isValid(self.panel)):
            return
        self.window.go_to_node(moment.node)  # the selection shows the send in the panel
        self.dock.show()
        self.dock.raise_()
        self.panel.show_message(moment)

    def store_changed(self, _info) -> None:
        if shiboken6.isValid(self.panel):
            self.panel.set_store(self.window.store.path)


def install(window) -> ContentPanel:
    panel = ContentPanel(window.document, window)
    dock = window._dock("Content", "contentDock", panel, Qt.DockWidgetArea.RightDockWidgetArea)
    window.tabifyDockWidget(window.inspector_dock, dock)
    window.inspector_dock.raise_()
    window.content_dock = dock
    follower = _Follower(window, panel, dock)
    window.scene.selectionChanged.connect(follower.selection_changed)
    window.store.changed.connect(follower.store_changed)
    window.results_panel.messageActivated.connect(follower.open_message)
    window.journeys_view.messageActivated.connect(follower.open_message)
    panel.set_backtest(window.backtest)
    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(panel.release)
    if window.store.path:
        panel.set_store(window.store.path)
    return panel
