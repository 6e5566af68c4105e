"""File ▸ Export Selection: the documents checked in the dialog, no others, through the usual questions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from tests.ui.conftest import wait_idle
from tests.ui.test_export_safety_ui import Dialogs, error_text
from writer_app.storage import Library, exporter
from writer_app.storage.importer import import_path
from writer_app.text.manuscript import paragraphs
from writer_app.ui import file_ops

TEXTS = {"One": "The lamp was lit.", "Dusk": "The boat came in.", "Dawn": "The gulls woke.",
         "Two": "The ship came home.", "Three": "Morning broke."}


def _build(window) -> dict[str, int]:
    library = Library.open(window.paths.database)
    try:
        project = library.create_project("Harbour")
        ids = {"project": project.id, "Part": library.create_node(project.id, "folder", "Part One").id}
        ids["One"] = library.create_node(project.id, "chapter", "One", parent_id=ids["Part"], text=TEXTS["One"]).id
        for scene in ("Dusk", "Dawn"):
            ids[scene] = library.create_node(project.id, "scene", scene, parent_id=ids["One"],
                                             text=TEXTS[scene]).id
        for chapter in ("Two", "Three"):
            ids[chapter] = library.create_node(project.id, "chapter", chapter, text=TEXTS[chapter]).id
    finally:
        library.close()
    return ids


def _open_dialog(qtbot, window, ids, selected: str):
    window.open_project(ids["project"], ids[selected])
    qtbot.waitUntil(lambda: window.current_node_id == ids[selected])
    wait_idle(qtbot, window)
    window.actions_by_name["actionExportSelection"].trigger()
    qtbot.waitUntil(lambda: window.findChild(object, "exportSelection") is not None)
    return window.findChild(object, "exportSelection")


def _exported(path, lib_dir) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) per document, read back through the importer."""
    library = Library.open(lib_dir / "check.sqlite3")
    try:
        project = import_path(library, path)
        return [(n.title, paragraphs(library.get_text(n.id))) for n in library.nodes(project.id)]
    finally:
        library.close()


def test_the_checked_documents_and_only_those_are_exported(qtbot, main_window, tmp_path, monkeypatch):
    window = main_window
    ids = _build(window)
    dialog = _open_dialog(qtbot, window, ids, "Three")
    assert dialog.checked_ids() == [ids["Three"]]  # starts with the binder's document
    dialog.items[ids["Dawn"]].setCheckState(0, Qt.CheckState.Checked)
    assert dialog.items[ids["One"]].checkState(0) == Qt.CheckState.PartiallyChecked
    assert dialog.chosen_ids() == [ids["Dawn"], ids["Three"]]
    out = tmp_path / "for the agent.md"
    dialogs = Dialogs(monkeypatch, out)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(out.exists)
    wait_idle(qtbot, window)
    assert _exported(out, tmp_path) == [("Dawn", ["The gulls woke."]), ("Three", ["Morning broke."])]
    assert dialogs.questions == [] and not error_text(window)


def test_a_checked_chapter_brings_its_scenes_once_in_binder_order(qtbot, main_window, tmp_path, monkeypatch):
    window = main_window
    ids = _build(window)
    dialog = _open_dialog(qtbot, window, ids, "Two")
    dialog.items[ids["One"]].setCheckState(0, Qt.CheckState.Checked)  # checks Dusk and Dawn too
    # ... and the folder holding only that chapter: all it holds is checked
    assert dialog.items[ids["Part"]].checkState(0) == Qt.CheckState.Checked
    assert dialog.chosen_ids() == [ids["Part"], ids["Two"]]
    assert dialog.summary.text() == "4 documents, 15 words"
    out = tmp_path / "sample.html"
    Dialogs(monkeypatch, out)
    dialog.accept()
    qtbot.waitUntil(out.exists)
    wait_idle(qtbot, window)
    html = out.read_text(encoding="utf-8")
    assert [html.count(TEXTS[name]) for name in ("One", "Dusk", "Dawn", "Two", "Three")] == [1, 1, 1, 1, 0]
    assert html.count("Part One") == 1
    assert html.index("The lamp was lit.") < html.index("The gulls woke.") < html.index("The ship came home.")


def test_an_existing_file_is_asked_about_and_no_keeps_it(qtbot, main_window, tmp_path, monkeypatch):
    window = main_window
    ids = _build(window)
    out = tmp_path / "chapters.txt"
    out.write_text("last week's chapters", encoding="utf-8")
    dialogs = Dialogs(monkeypatch, out, answer=QMessageBox.StandardButton.No)
    _open_dialog(qtbot, window, ids, "Two").accept()
    wait_idle(qtbot, window)
    assert out.read_text(encoding="utf-8") == "last week's chapters"
    assert len(dialogs.questions) == 1 and "chapters.txt already exists" in dialogs.questions[0]
    dialogs.answer = QMessageBox.StandardButton.Yes
    _open_dialog(qtbot, window, ids, "Two").accept()
    qtbot.waitUntil(lambda: "The ship came home." in out.read_text(encoding="utf-8"))
    assert "Morning broke." not in out.read_text(encoding="utf-8")


def test_nothing_checked_cannot_be_exported_and_cancel_asks_nothing(qtbot, main_window, monkeypatch):
    window = main_window
    ids = _build(window)
    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    dialog = _open_dialog(qtbot, window, ids, "Two")
    dialog.items[ids["Two"]].setCheckState(0, Qt.CheckState.Unchecked)
    assert not dialog.export_button.isEnabled() and dialog.summary.text() == "Nothing checked"
    dialog.reject()
    wait_idle(qtbot, window)
    assert asked == []


def test_the_save_dialog_offers_the_formats_and_a_missing_one_is_one_line(qtbot, main_window, tmp_path,
                                                                          monkeypatch):
    for suffix in ("*.md", "*.html", "*.txt", "*.docx", "*.epub", "*.odt"):
        assert suffix in file_ops.EXPORT_FILTER
    assert file_ops.with_format_suffix(str(tmp_path / "book"), "EPUB e-book (*.epub)").endswith("book.epub")
    window = main_window
    ids = _build(window)
    out = tmp_path / "chapters.docx"
    Dialogs(monkeypatch, out)
    _open_dialog(qtbot, window, ids, "Two").accept()
    if "docx" in exporter.FORMATS:  # once the docx exporter is in, the file is written
        qtbot.waitUntil(out.exists)
    else:
        qtbot.waitUntil(lambda: bool(error_text(window)))
        assert error_text(window) == "Could not export: unknown export format 'docx'; use one of md, html, txt"
        assert not out.exists()
