"""The event store in the editor: the sample shop prepared in the background on first start,
File > Open Event Store... (remembered), the status bar, event names for the inspector, and
File > Import Events... with its progress, summary and rejected lines."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from designer.store import sample
from designer.store.importer import import_events
from designer.store.stats import store_stats
from designer.ui import prefs
from designer.ui.backtest.store_panel import SETTINGS_KEY
from editor_driver import close_window, make_window, record_threads

CSV = (
    "customer_id,event,timestamp,price\n"
    "c1,add_to_cart,2025-05-01T10:00:00Z,12.5\n"
    "c1,purchase,not-a-time,12.5\n"
    "c2,wishlist_add,2025-05-02T11:00:00Z,\n"
    ",view,2025-05-02T12:00:00Z,\n"
    "c2,view,2025-05-03T09:30:00Z,\n"
)


@pytest.fixture
def window(qtbot):
    w = make_window(qtbot)
    yield w
    w.workers.shutdown()
    close_window(w)
    assert w.workers.pool.activeThreadCount() == 0


@pytest.fixture
def sample_path(tmp_path, monkeypatch) -> Path:
    """Where the sample shop goes in this test (never the user's data folder)."""
    target = tmp_path / "data" / "sample-store.db"
    monkeypatch.setattr(sample, "default_store_path", lambda: target)
    return target


@pytest.fixture
def custom_store(tmp_path) -> str:
    """A store holding an event name of its own (wishlist_add), made by the store's importer."""
    csv = tmp_path / "events.csv"
    csv.write_text(CSV, encoding="utf-8")
    path = tmp_path / "custom.db"
    summary = import_events(path, csv)
    assert summary.loaded == 3
    return str(path)


def test_first_start_prepares_the_sample_shop_in_the_background(qtbot, window, sample_path, monkeypatch):
    threads = record_threads(monkeypatch, sample, "ensure_default_store")
    with qtbot.waitSignal(window.store.changed, timeout=60_000) as blocker:
        window.start_store()
        # The window is there at once and says what it is doing.
        assert window.statusBar().currentMessage() == "Preparing the sample shop..."
        assert window.store_label.text() == "Preparing the sample shop..."
    info = blocker.args[0]
    assert threads and threads[0] != threading.get_ident()
    assert sample_path.is_file() and info.sample and info.name == "Sample shop"
    stats = store_stats(str(sample_path))
    assert (info.customers, info.events) == (stats.customers, stats.events) == (info.customers, stats.events)
    assert info.customers == sample.DEFAULT_CUSTOMERS
    assert window.store_label.text().startswith(f"Sample shop \u00b7 {sample.DEFAULT_CUSTOMERS:,} customers "
                                                f"\u00b7 {stats.events:,} events \u00b7 ")
    # The sample shop is not remembered as a choice: the next start prepares (finds) it again.
    assert not prefs.settings().value(SETTINGS_KEY)


def test_opening_a_store_feeds_its_event_names_and_is_remembered(qtbot, window, custom_store, sample_path):
    assert "wishlist_add" not in window.inspector.events.stringList()
    with qtbot.waitSignal(window.store.changed, timeout=10_000):
        window.open_store_path(custom_store)
    names = window.inspector.events.stringList()
    assert "wishlist_add" in names and "purchase" in names
    label = window.store_label.text()
    assert label.startswith("custom.db \u00b7 2 customers \u00b7 3 events \u00b7 1 May \u2013 3 May 2025"), label
    assert custom_store in window.store_label.toolTip()
    assert prefs.settings().value(SETTINGS_KEY) == str(Path(custom_store).resolve())
    # The next window opens the remembered store, not the sample shop.
    other = make_window(qtbot)
    try:
        with qtbot.waitSignal(other.store.changed, timeout=10_000) as blocker:
            other.start_store()
        assert blocker.args[0].path == str(Path(custom_store).resolve())
        assert "wishlist_add" in other.inspector.events.stringList()
        assert not sample_path.exists()
    finally:
        other.workers.shutdown()
        close_window(other)


def test_a_remembered_store_that_is_gone_falls_back_to_the_sample_shop(qtbot, window, tmp_path, sample_path):
    prefs.settings().setValue(SETTINGS_KEY, str(tmp_path / "moved-away.db"))
    with qtbot.waitSignal(window.store.changed, timeout=60_000) as blocker:
        window.start_store()
    assert blocker.args[0].sample and sample_path.is_file()


def test_a_file_that_is_not_a_store_is_reported(qtbot, window, tmp_path):
    bad = tmp_path / "notes.db"
    bad.write_text("these are not the events you are looking for", encoding="utf-8")
    asked: list[tuple[str, str, str]] = []
    window.ask = lambda icon, title, text, buttons=None, default=None, details="": asked.append(
        (title, text, details)) or QMessageBox.StandardButton.Ok
    with qtbot.waitSignal(window.store.failed, timeout=10_000):
        window.open_store_path(str(bad))
    qtbot.waitUntil(lambda: bool(asked))
    assert asked[0][0] == "Cannot open event store" and "notes.db" in asked[0][1]
    assert asked[0][2]  # the store's reason
    assert window.store.info is None and window.store_label.text() == "No event store"


def test_the_import_dialog_imports_in_the_background_and_lists_rejects_by_line(qtbot, window, tmp_path,
                                                                              monkeypatch):
    from designer.ui.backtest import import_dialog as module

    threads = record_threads(monkeypatch, module, "import_events")
    csv = tmp_path / "events.csv"
    csv.write_text(CSV, encoding="utf-8")
    store = tmp_path / "mine.db"
    dialog = window.import_events()
    assert dialog.isVisible() and dialog.windowModality() == Qt.WindowModality.WindowModal
    assert [dialog.preset.itemData(i) for i in range(dialog.preset.count())] == \
        ["generic", "rees46", "retailrocket", "taobao"]
    dialog.set_values(str(csv), str(store), "generic", "Europe/Paris")
    with qtbot.waitSignal(window.store.changed, timeout=15_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
        assert dialog.progress.isVisible() and dialog.cancel_button.text() == "Cancel"
    assert threads and threads[0] != threading.get_ident()
    summary = dialog.summary
    assert (summary.read, summary.loaded, summary.rejected, summary.duplicates) == (5, 3, 2, 0)
    text = dialog.result_label.text()
    assert "5 rows read, 3 loaded, 2 rejected, 0 duplicates" in text
    assert [line for line, _reason in dialog.reject_rows()] == [3, 5]
    reasons = dict(dialog.reject_rows())
    assert "not-a-time" in reasons[3] and "customer" in reasons[5]
    assert not dialog.progress.isVisible() and dialog.cancel_button.text() == "Close"
    # The window now backtests against the store imported into; its names reach the inspector.
    assert window.store.path == str(store.resolve())
    assert "wishlist_add" in window.inspector.events.stringList()
    # Importing the same file again adds nothing, and says so.
    with qtbot.waitSignal(dialog.imported, timeout=15_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.summary.status == "already imported" and dialog.summary.loaded == 0
    assert "Already imported" in dialog.result_label.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_the_import_dialog_says_what_is_missing_and_never_targets_the_sample_shop(qtbot, window, sample_path):
    with qtbot.waitSignal(window.store.changed, timeout=60_000):
        window.start_store()
    dialog = window.import_events()
    assert dialog.store_edit.text() == ""  # invented customers are not mixed with real ones
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.result_label.text() == "Choose the event file to import."
    dialog.set_values(str(sample_path), "", "generic", "UTC")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.result_label.text().startswith("Choose the store to import into")
    dialog.set_values(str(sample_path), str(sample_path.parent / "x.db"), "generic", "Mars/Olympus")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert "Unknown time zone 'Mars/Olympus'" in dialog.result_label.text()
    assert dialog.task is None and not window.workers.running()
    dialog.reject()


def test_cancel_stops_an_import_after_its_batch_and_the_next_import_resumes(qtbot, window, tmp_path,
                                                                           monkeypatch):
    from designer.ui.backtest import import_dialog as module

    monkeypatch.setattr(module, "BATCH_ROWS", 2)
    gate, entered = threading.Event(), threading.Event()
    real = module.import_events

    def held(*args, **kwargs):
        entered.set()
        gate.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "import_events", held)
    csv = tmp_path / "events.csv"
    csv.write_text(CSV, encoding="utf-8")
    store = tmp_path / "mine.db"
    dialog = window.import_events()
    dialog.set_values(str(csv), str(store))
    try:
        with qtbot.waitSignal(dialog.imported, timeout=15_000):
            qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(entered.is_set)
            qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
            assert dialog.isVisible() and dialog.result_label.text().startswith("Stopping")
            gate.set()
    finally:
        gate.set()
    first = dialog.summary
    assert first.status == "interrupted" and first.read == 2
    assert dialog.result_label.text().startswith("Stopped (import the same file again to resume)")
    entered.clear()
    with qtbot.waitSignal(dialog.imported, timeout=15_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    second = dialog.summary
    assert second.status == "done" and second.resumed_at == 2  # the counts cover the whole file
    assert (second.read, second.loaded, second.rejected) == (5, 3, 2)
    assert "resumed after 2 rows" in dialog.result_label.text()
    dialog.reject()


def test_a_backtest_asked_for_while_the_sample_shop_is_prepared_starts_when_it_is_ready(qtbot, window,
                                                                                       sample_path):
    window.start_store()
    refused: list[str] = []
    window.backtest.refused.connect(refused.append)
    with qtbot.waitSignal(window.backtest.finished, timeout=60_000) as blocker:
        window.act_backtest.trigger()
        assert refused == ["The backtest starts when the event store is ready..."]
    assert blocker.args[0].entered > 0 and window.store.info.sample


def test_the_import_dialog_counts_each_reject_reason_past_the_rows_it_lists(qtbot, window, tmp_path):
    lines = ["customer_id,event,timestamp"] + [f"a{i},view" for i in range(120)] + \
        [f"b{i},view,never" for i in range(30)] + ["c1,view,2025-05-01T10:00:00Z"]
    csv = tmp_path / "many.csv"
    csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    dialog = window.import_events()
    dialog.set_values(str(csv), str(tmp_path / "many.db"), "generic", "UTC")
    with qtbot.waitSignal(dialog.imported, timeout=15_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert dialog.summary.rejected == 150
    assert "wrong column count 120" in dialog.result_label.text()
    assert "unparseable time 30" in dialog.result_label.text()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
