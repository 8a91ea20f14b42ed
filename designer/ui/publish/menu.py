"""The publishing entries of the editor's menus, installed by one call from the window."""

from __future__ import annotations

from PySide6.QtGui import QAction

from designer.model.flow import Flow
from designer.publish.report import Report
from designer.ui.publish.dialog import PublishDialog
from designer.ui.publish.import_dialog import ImportKlaviyoDialog
from designer.ui.publish.live import install as install_live


def install(window) -> None:
    """File > Publish… and File > Import from Klaviyo…, before the File menu's last entry (Quit);
    Flow > Live Figures from Runtime… (designer/ui/publish/live.py)."""
    file_menu = window.menuBar().actions()[0].menu()
    quit_action = file_menu.actions()[-1]
    window.act_publish = QAction("&Publish…", window)
    window.act_publish.setStatusTip("Send the flow to an ESP as a draft")
    window.act_publish.triggered.connect(lambda _c=False: open_publish(window))
    window.act_import_klaviyo = QAction("Import from &Klaviyo…", window)
    window.act_import_klaviyo.setStatusTip("Open one of the Klaviyo account's flows to backtest it")
    window.act_import_klaviyo.triggered.connect(lambda _c=False: open_import(window))
    file_menu.insertActions(quit_action, [window.act_publish, window.act_import_klaviyo])
    file_menu.insertSeparator(quit_action)
    install_live(window)


def open_publish(window) -> PublishDialog:
    window.publish_dialog = PublishDialog(window.document, window.workers, window)
    window.publish_dialog.open()
    return window.publish_dialog


def open_import(window) -> ImportKlaviyoDialog:
    def opened(flow: Flow, report: Report) -> None:
        if not window.maybe_save():
            return
        window.autosaver.discard()
        window.document.replace_flow(flow, None)
        window.view.show_flow()
        gaps = f"; {len(report.gaps)} things did not translate (see the flow's description)" if report.gaps else ""
        window._status(f"Imported {flow.name} from Klaviyo{gaps}")

    window.import_klaviyo_dialog = ImportKlaviyoDialog(window.workers, opened, window)
    window.import_klaviyo_dialog.open()
    return window.import_klaviyo_dialog
