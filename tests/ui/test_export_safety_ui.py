"""Export from the File menu asks once before replacing a file, refuses the profile's own files
and anything that is not a regular file in a message box, and the Preview shows the same safe
HTML as the export."""

from __future__ import annotations

import os
import re
import stat

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.ui.conftest import wait_idle
from writer_app.storage import Library
from writer_app.ui import file_ops


class Dialogs:
    """Stands in for the author at the two static dialogs: the save dialog and the question."""

    def __init__(self, monkeypatch, path, answer=QMessageBox.StandardButton.Yes) -> None:
        self.path, self.answer = str(path), answer
        self.save_options: list = []
        self.questions: list[str] = []
        monkeypatch.setattr(QFileDialog, "getSaveFileName", self.get_save_file_name)
        monkeypatch.setattr(QMessageBox, "question", self.question)

    def get_save_file_name(self, parent, caption="", directory="", filter="", selectedFilter="",  # noqa: A002, ANN001, N803
                           options=None):  # noqa: ANN001
        self.save_options.append(options)
        return self.path, "HTML (*.html)"

    def question(self, parent, title, text, *args):  # noqa: ANN001
        self.questions.append(text)
        return self.answer


def error_text(window) -> str:
    box = window.findChild(QMessageBox, "errorBox")
    return box.text() if box is not None else ""


def type_and_save(qtbot, window, text: str) -> None:
    window.editor.insertPlainText(text)
    window.save_now()
    qtbot.waitUntil(lambda: window.autosave.state == "saved")


def test_replacing_an_existing_file_is_asked_once_and_honoured(qtbot, main_window, tmp_path, monkeypatch):
    window = main_window
    type_and_save(qtbot, window, "The lamp was lit.")
    out = tmp_path / "book.html"
    out.write_text("last week's export", encoding="utf-8")
    out.chmod(0o640)
    dialogs = Dialogs(monkeypatch, out, answer=QMessageBox.StandardButton.No)
    file_ops.export(window, True)
    wait_idle(qtbot, window)
    assert out.read_text(encoding="utf-8") == "last week's export"  # "No" keeps it
    dialogs.answer = QMessageBox.StandardButton.Yes
    file_ops.export(window, True)
    qtbot.waitUntil(lambda: "The lamp was lit." in out.read_text(encoding="utf-8"), timeout=5000)
    wait_idle(qtbot, window)
    assert len(dialogs.questions) == 2 and all("book.html already exists" in q for q in dialogs.questions)
    # The save dialog itself must not ask as well (Qt does on some platforms unless told not to).
    assert all(o & QFileDialog.Option.DontConfirmOverwrite for o in dialogs.save_options)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert not error_text(window)


def test_a_new_file_is_written_without_a_question(qtbot, main_window, tmp_path, monkeypatch):
    window = main_window
    type_and_save(qtbot, window, "The ship came home.")
    out = tmp_path / "new.html"
    dialogs = Dialogs(monkeypatch, out)
    file_ops.export(window, False)
    qtbot.waitUntil(out.exists, timeout=5000)
    wait_idle(qtbot, window)
    assert "The ship came home." in out.read_text(encoding="utf-8")
    assert dialogs.questions == []
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_the_library_and_other_profile_files_are_refused_in_a_box(qtbot, main_window, profile_dir, tmp_path,
                                                                    monkeypatch):
    window = main_window
    type_and_save(qtbot, window, "Words worth keeping.")
    link = tmp_path / "innocent.html"
    link.symlink_to(window.paths.database)
    for target, said in ((window.paths.database, "the library itself"), (link, "a symbolic link"),
                         (window.paths.backups / "b.html", "inside the profile")):
        dialogs = Dialogs(monkeypatch, target)
        file_ops.export(window, True)
        qtbot.waitUntil(lambda said=said: said in error_text(window), timeout=3000)
        assert dialogs.questions == []  # refused outright, not "replace it?"
        window.findChild(QMessageBox, "errorBox").done(0)
        qtbot.waitUntil(lambda: window.findChild(QMessageBox, "errorBox") is None, timeout=3000)
    wait_idle(qtbot, window)
    library = Library.open(profile_dir / "library.sqlite3")
    try:
        assert library.integrity_check() == ["ok"]
        node = library.nodes(window.current_project_id)[0]
        assert library.get_text(node.id) == "Words worth keeping."
    finally:
        library.close()
    assert link.is_symlink() and not (window.paths.backups / "b.html").exists()


def test_a_file_that_appears_after_the_question_is_not_replaced(qtbot, main_window, tmp_path):
    """export_to without consent refuses in the worker too (the check is repeated there)."""
    window = main_window
    out = tmp_path / "book.md"
    out.write_text("written by another program", encoding="utf-8")
    file_ops.export_to(window, True, out)
    qtbot.waitUntil(lambda: "already exists" in error_text(window), timeout=5000)
    assert out.read_text(encoding="utf-8") == "written by another program"


def test_preview_shows_links_as_the_text_typed(qtbot, main_window):
    """A manuscript has no links (the paragraph model): hostile or not, they are their words."""
    window = main_window
    window.show()
    window.preview_dock.show()
    window.preview_dock.raise_()
    typed = "[bad](javascript:alert(1)) [also](data:text/html,x) and [good](https://example.org) with `a < b`."
    window.editor.insertPlainText(typed)
    qtbot.waitUntil(lambda: "good" in window.preview.toPlainText(), timeout=3000)
    assert re.findall(r'href="([^"]*)"', window.preview.toHtml()) == []
    assert window.preview.toPlainText() == typed


def test_where_the_native_dialog_has_asked_the_app_does_not_ask_again(qtbot, main_window, tmp_path, monkeypatch):
    window = main_window
    type_and_save(qtbot, window, "Asked once.")
    out = tmp_path / "book.md"
    out.write_text("old", encoding="utf-8")
    monkeypatch.setattr(file_ops, "NATIVE_SAVE_DIALOG_CONFIRMS", True)  # as on macOS
    dialogs = Dialogs(monkeypatch, out)
    file_ops.export(window, True)
    qtbot.waitUntil(lambda: "Asked once." in out.read_text(encoding="utf-8"), timeout=5000)
    wait_idle(qtbot, window)
    assert dialogs.questions == []


def test_the_suggested_export_name_of_a_title_with_slashes_stays_in_the_home_folder(main_window, monkeypatch,
                                                                                   tmp_path):
    """A title such as "Act I/II" must not point the save dialog into a folder that does not exist."""
    offered: list[str] = []

    def get_save_file_name(parent, caption="", directory="", *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        offered.append(directory)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", get_save_file_name)
    main_window.db.run_sync(lambda lib: lib.update_project(main_window.current_project_id,
                                                           title="Act I/II: ../..\x07 <b>"))
    main_window.current_project = main_window.db.run_sync(
        lambda lib: lib.get_project(main_window.current_project_id))
    file_ops.export(main_window, whole_project=True)
    assert offered, "the save dialog was not opened"
    suggested = offered[0]
    assert os.path.dirname(suggested) == os.path.expanduser("~")
    assert "/" not in os.path.basename(suggested) and "\x07" not in suggested
    assert os.path.basename(suggested).endswith(".md") and not os.path.basename(suggested).startswith(".")


def test_an_error_message_shows_markup_in_a_file_name_as_text(main_window):
    main_window.show_error("could not import <b>bold</b>.txt")
    box = main_window.findChild(QMessageBox, "errorBox")
    assert box is not None and box.textFormat() == Qt.TextFormat.PlainText
