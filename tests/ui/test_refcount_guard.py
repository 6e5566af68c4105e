"""The editor survives long sessions under PySide6 builds that drop references to None and True.

PySide6 6.12.0 on CPython < 3.12 takes one reference from None on every void
Qt call and from True on every ``Signal.emit()``; without ``writer_app.ui``'s
guard the process aborts ("Fatal Python error: none_dealloc") once the count
runs out: after ~100 keystrokes in an editor whose process has not imported
torch. Each test runs in a fresh interpreter, where nothing else props the
counts up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.ui.conftest import stored_text

REPO = Path(__file__).resolve().parents[2]


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=600)


def test_many_qt_calls_and_signal_emits_do_not_abort_the_process():
    done = _run("""
        import sys
        import writer_app.ui  # noqa: F401 - the guard
        from PySide6.QtCore import QObject, Signal
        from PySide6.QtWidgets import QApplication, QLabel

        class Relay(QObject):
            ping = Signal()

        app = QApplication([])
        label, relay = QLabel(), Relay()
        for _ in range(300_000):
            label.setText("x")
            relay.ping.emit()
        assert "torch" not in sys.modules
        print("survived")
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "survived"


@pytest.mark.slow
def test_typing_into_a_long_paragraph_of_dialogue_keeps_the_editor_alive(tmp_path):
    """~30 references a keystroke here (the highlighter's setFormat calls): 1,000 keys used up None."""
    from writer_app.storage import Library

    profile = tmp_path / "profile"
    profile.mkdir()
    paragraph = "\u201cHello,\u201d she said, and the river rose all night and nobody in the village slept. " * 30
    library = Library.open(profile / "library.sqlite3")
    try:
        project = library.create_project("River")
        node_id = library.create_node(project.id, "chapter", "Chapter 1", text=paragraph.strip()).id
    finally:
        library.close()
    typed = " Then the water went down and the boats came back." * 20  # 1,020 keystrokes
    done = _run("""
        import sys
        from PySide6.QtTest import QTest
        from PySide6.QtWidgets import QApplication
        from writer_app.ui.app import build_main_window

        app = QApplication([])
        window = build_main_window(sys.argv[1], extensions=())
        window.show()
        editor = window.editor
        editor.setFocus()
        editor.moveCursor(editor.textCursor().MoveOperation.End)
        QTest.keyClicks(editor, sys.argv[2])
        window.autosave.save_now()
        window.db.drain()
        node_id = window.current_node_id
        window.close()
        print(node_id, "torch" in sys.modules)
    """, str(profile), typed)
    assert done.returncode == 0, done.stderr[-2000:]
    opened, torch_loaded = done.stdout.split()
    assert torch_loaded == "False"  # nothing in this process propped the counts up
    assert int(opened) == node_id
    assert stored_text(profile, node_id) == paragraph.strip() + typed
