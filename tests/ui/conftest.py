"""Fixtures for the writing desk: a real main window on a real profile in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from writer_app.storage import Library

# Waits are for events, not for a fast machine: every qtbot wait (waitUntil, waitSignal, ...)
# gets at least this long, whatever timeout the test names (pytest-qt's default is 5 s), so a busy
# shared CI machine is slower but never fails a test. A wait returns as soon as its event comes.
MIN_WAIT_MS = 60_000


@pytest.fixture(autouse=True)
def _patient_waits(monkeypatch):
    from pytestqt.qtbot import QtBot

    for name in ("waitUntil", "waitSignal", "waitSignals", "waitExposed", "waitActive"):
        original = getattr(QtBot, name)

        def patient(self, *args, _original=original, timeout=MIN_WAIT_MS, **kwargs):
            return _original(self, *args, timeout=timeout if timeout is None else max(timeout, MIN_WAIT_MS),
                             **kwargs)

        monkeypatch.setattr(QtBot, name, patient)


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread(qapp):
    """As the app does (``build_main_window``): tests that build a client or a panel on their own
    must not have a worker thread free a Qt object either (see ``main_thread_gc``)."""
    from writer_app.ui import main_thread_gc

    yield main_thread_gc.install(qapp)


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def main_window(qtbot, profile_dir):
    """The window `writer-app --data-dir DIR` opens, without extensions (tested on their own and in
    test_app.py), not shown, closed (and saved) at teardown."""
    from writer_app.ui.app import build_main_window

    window = build_main_window(profile_dir, extensions=())
    qtbot.addWidget(window)
    yield window
    window.close()


def wait_idle(qtbot, window, timeout: int = 10_000) -> None:
    """Wait until every queued database operation has run and called back."""
    qtbot.waitUntil(lambda: window.db.pending == 0, timeout=timeout)


def stored_text(profile: Path, node_id: int) -> str:
    """Read a document through a separate Library on the same file (what a restart would see)."""
    library = Library.open(profile / "library.sqlite3")
    try:
        return library.get_text(node_id)
    finally:
        library.close()


def accept_import_preview(qtbot, window):
    """Wait for File ▸ Import's preview of what was found and press its Import button."""
    from PySide6.QtCore import Qt

    qtbot.waitUntil(lambda: window.findChild(object, "importPreview") is not None
                    and window.findChild(object, "importPreview").isVisible())
    dialog = window.findChild(object, "importPreview")
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    return dialog
