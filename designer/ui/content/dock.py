"""Docking the Content panel in the main window: tabbed with the inspector, raised for a selected send."""

from __future__ import annotations

from PySide6.QtCore import Qt

from designer.content.message import CHANNELS
from designer.ui.content.panel import ContentPanel


def install(window) -> ContentPanel:
    panel = ContentPanel(window.document, window)
    dock = window._dock("Content", "contentDock", panel, Qt.DockWidgetArea.RightDockWidgetArea)
    window.tabifyDockWidget(window.inspector_dock, dock)
    window.inspector_dock.raise_()
    window.content_dock = dock

    def selection_changed() -> None:
        node_id = window.scene.single_selected_node()
        node_id = getattr(node_id, "id", node_id)
        panel.show_node(node_id)
        node = window.document.flow.nodes.get(node_id) if node_id else None
        if node is not None and node.kind in CHANNELS:
            dock.raise_()

    window.scene.selectionChanged.connect(selection_changed)
    window.store.changed.connect(lambda _info: panel.set_store(window.store.path))
    if window.store.path:
        panel.set_store(window.store.path)
    return panel
