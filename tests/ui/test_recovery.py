"""Autosave and recovery: unsaved work survives a crash and is offered back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from designer.model import io
from designer.ui import app as app_module
from designer.ui.document import Document
from designer.ui.mainwindow import MainWindow
from designer.ui.recovery import Autosaver, find_recovery, recovery_dir
from editor_driver import FLOWS, close_window, make_window

ROOT = Path(__file__).resolve().parents[2]
Button = QMessageBox.StandardButton

CRASHING_EDITOR = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from designer.ui.document import Document
    from designer.ui.mainwindow import MainWindow
    window = MainWindow(Document())
    window.show()
    if {path!r}:
        assert window.open_path({path!r}, ask_to_save=False)
    window.document.set_name("Edited before the crash")
    window.document.add_node("send_sms", 400, 400, {{"body": "Come back"}})
    window.autosaver.save_now()
    os._exit(3)  # dies without closing: no save, no clean-up
""")


def crash_editor(tmp_path: Path, path: str | None) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    script = CRASHING_EDITOR.format(root=str(ROOT), path=path or "")
    settings = tmp_path / "crash-settings"
    env["XDG_CONFIG_HOME"] = str(settings)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stderr


class Answers:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.asked = []

    def __call__(self, icon, title, text, buttons=Button.Ok, default=Button.NoButton, details=""):
        self.asked.append((title, text))
        return self.answers.pop(0) if self.answers else Button.Ok


def saved_copy(tmp_path: Path) -> Path:
    path = tmp_path / "cart.json"
    path.write_text((FLOWS / "abandoned_cart.json").read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_changes_to_a_file_are_restored_after_a_crash(qtbot, tmp_path):
    path = saved_copy(tmp_path)
    crash_editor(tmp_path, str(path))
    assert len(find_recovery(str(path))) == 1
    w = make_window(qtbot)
    try:
        answers = Answers(Button.Yes)
        w.ask = answers
        assert w.open_path(str(path), ask_to_save=False)
        assert answers.asked and answers.asked[0][0] == "Recover unsaved changes"
        flow = w.document.flow
        assert flow.name == "Edited before the crash"
        assert [n.config for n in flow.nodes.values() if n.kind == "send_sms"] == [{"body": "Come back"}]
        assert w.document.path == str(path) and w.isWindowModified()
        assert len(w.scene.nodes) == 12
        # The recovered state is one undo step over the saved file.
        w.document.undo_stack.undo()
        assert flow.name == "Abandoned cart, 1 hour" and len(flow.nodes) == 11
        assert io.load(path).name == "Abandoned cart, 1 hour"  # the file itself is untouched
    finally:
        close_window(w)
    assert find_recovery(str(path)) == []


def test_declining_deletes_the_kept_changes(qtbot, tmp_path):
    path = saved_copy(tmp_path)
    crash_editor(tmp_path, str(path))
    w = make_window(qtbot)
    try:
        w.ask = Answers(Button.No)
        assert w.open_path(str(path), ask_to_save=False)
        assert w.document.flow.name == "Abandoned cart, 1 hour" and not w.isWindowModified()
        assert find_recovery(str(path)) == []
    finally:
        close_window(w)


def test_a_recovery_older_than_the_saved_file_is_not_offered(qtbot, tmp_path):
    path = saved_copy(tmp_path)
    crash_editor(tmp_path, str(path))
    (found,) = find_recovery(str(path))
    os.utime(path, (found.saved_at + 10, found.saved_at + 10))  # saved again after the crash
    assert find_recovery(str(path)) == []


def test_an_unsaved_flow_is_offered_back_on_the_next_start(qtbot, tmp_path, monkeypatch):
    crash_editor(tmp_path, None)
    answers = Answers(Button.Yes)
    monkeypatch.setattr(MainWindow, "ask", answers)
    (w,) = app_module.open_window([])
    try:
        qtbot.addWidget(w, before_close_func=lambda x: x.document.undo_stack.setClean())
        assert answers.asked and "unsaved flow" in answers.asked[0][1]
        assert w.document.flow.name == "Edited before the crash" and w.document.path is None
        assert any(n.kind == "send_sms" for n in w.document.flow.nodes.values())
    finally:
        close_window(w)
        app_module._windows.remove(w)


def test_autosave_writes_on_idle_and_a_save_removes_the_file(qtbot, tmp_path):
    path = saved_copy(tmp_path)
    doc = Document(io.load(path))
    doc.set_path(str(path))
    saver = Autosaver(doc, interval_ms=60_000, idle_ms=50)
    doc.add_node("exit", 0, 0)
    qtbot.waitUntil(lambda: saver.path().is_file(), timeout=3000)
    assert saver.path().parent == recovery_dir() and str(tmp_path) in str(recovery_dir())
    doc.save()
    assert not saver.path().exists()


def test_autosave_timer_fires_every_interval(qtbot, tmp_path):
    doc = Document()
    saver = Autosaver(doc, interval_ms=80, idle_ms=60_000)
    doc.add_node("delay", 0, 100)
    qtbot.waitUntil(lambda: saver.path().is_file(), timeout=3000)
    assert "untitled-" in saver.path().name
    doc.undo_stack.undo()  # back to the clean state: nothing left to recover
    assert not saver.path().exists()


# An editor that keeps its recovery file (and its lock) and waits; closing its stdin
# makes it die without cleaning up, as a crash would.
HOLDING_EDITOR = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {root!r})
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from designer.ui.document import Document
    from designer.ui.mainwindow import MainWindow
    window = MainWindow(Document())
    window.document.set_name("Still being edited")
    window.document.add_node("exit", 300, 300)
    window.autosaver.save_now()
    print("saved", flush=True)
    sys.stdin.read()
    os._exit(3)
""")


def test_a_recovery_file_held_by_a_running_editor_is_left_alone_until_it_dies(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "other-settings"))
    holder = subprocess.Popen([sys.executable, "-c", HOLDING_EDITOR.format(root=str(ROOT))], env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "saved"  # the holder is at its checkpoint
        files = list(recovery_dir().glob("untitled-*.json"))
        assert len(files) == 1 and Path(str(files[0]) + ".lock").is_file()
        assert find_recovery(None) == []  # a live editor owns it
    finally:
        holder.stdin.close()
        assert holder.wait(timeout=120) == 3
    (found,) = find_recovery(None)  # its owner died: the stale lock no longer protects it
    assert found.name == "Still being edited"
