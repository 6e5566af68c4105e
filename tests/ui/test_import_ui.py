"""Import from the window: damaged UTF-8 is offered with its count, skipped entries are told."""

from __future__ import annotations

import os

import pytest

from tests.ui.conftest import accept_import_preview, wait_idle
from writer_app.storage import Library
from writer_app.ui import file_ops


def _projects(window) -> list[str]:
    library = Library.open(window.paths.database)
    try:
        return [s.project.title for s in library.list_projects()]
    finally:
        library.close()


def _damaged(tmp_path):
    path = tmp_path / "Damaged.txt"
    path.write_bytes("“Come in,” she said — and smiled. ".encode() * 30 + b"\xff" + b" The end.")
    return path


def test_damaged_utf8_is_imported_with_replacements_when_the_author_agrees(qtbot, main_window, tmp_path,
                                                                           monkeypatch):
    window = main_window
    asked = []
    monkeypatch.setattr(file_ops, "ask_replace_invalid", lambda w, path, count: asked.append(count) or True)
    file_ops.import_path(window, _damaged(tmp_path))
    accept_import_preview(qtbot, window)
    qtbot.waitUntil(lambda: window.current_project is not None and window.current_project.title == "Damaged",
                    timeout=10_000)
    wait_idle(qtbot, window)
    assert asked == [1]
    assert window.editor.toPlainText().count("\ufffd") == 1
    assert window.editor.toPlainText().endswith("smiled. \ufffd The end.")
    qtbot.waitUntil(lambda: window.findChild(object, "importNotesBox") is not None, timeout=5000)
    assert "1 invalid byte sequence replaced" in window.findChild(object, "importNotesBox").text()


def test_declining_imports_nothing_and_shows_no_error(qtbot, main_window, tmp_path, monkeypatch):
    window = main_window
    asked = []
    monkeypatch.setattr(file_ops, "ask_replace_invalid", lambda w, path, count: asked.append(count) or False)
    file_ops.import_path(window, _damaged(tmp_path))
    qtbot.waitUntil(lambda: asked == [1], timeout=10_000)
    wait_idle(qtbot, window)
    assert _projects(window) == ["My Novel"]
    assert window.findChild(object, "errorBox") is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_folder_with_a_pipe_imports_the_rest_and_says_what_it_skipped(qtbot, main_window, tmp_path):
    window = main_window
    book = tmp_path / "Book"
    (book / "Part 1").mkdir(parents=True)
    (book / "Part 1" / "one.txt").write_text("The first words.", encoding="utf-8")
    os.mkfifo(book / "Part 1" / "two.txt")
    file_ops.import_path(window, book)
    accept_import_preview(qtbot, window)
    qtbot.waitUntil(lambda: window.findChild(object, "importNotesBox") is not None, timeout=10_000)
    assert "Part 1/two.txt: it is a named pipe" in window.findChild(object, "importNotesBox").text()
    wait_idle(qtbot, window)
    assert window.current_project.title == "Book"
    assert [(n.kind, n.title) for n in window.binder.nodes] == [("folder", "Part 1"), ("chapter", "one")]


def test_the_welcome_dialog_import_asks_too_and_still_leaves_a_page(qtbot, main_window, tmp_path, monkeypatch):
    from writer_app.ui import welcome_dialog

    window = main_window
    asked = []
    monkeypatch.setattr(file_ops, "ask_replace_invalid", lambda w, path, count: asked.append(count) or False)
    window.current_project_id = window.current_project = None
    welcome_dialog.import_and_open(window, _damaged(tmp_path))
    qtbot.waitUntil(lambda: asked == [1] and window.current_project is not None, timeout=10_000)
    wait_idle(qtbot, window)
    assert _projects(window) == ["My Novel"] and window.findChild(object, "errorBox") is None
