"""File ▸ Import shows what it found before writing: chapters to merge, split, rename or re-kind."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.ui.conftest import wait_idle
from writer_app import cli
from writer_app.storage import Library
from writer_app.storage import importer as importer_module
from writer_app.ui import file_ops

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _rolled_up(nodes) -> list[tuple[str, str, int]]:
    """(kind, title, words) with a chapter or folder counting everything inside it, as the
    preview and the binder show it."""
    totals = {n.id: n.word_count for n in nodes}
    for node in reversed(nodes):  # depth-first order: children after their parent
        if node.parent_id is not None:
            totals[node.parent_id] += totals[node.id]
    return [(n.kind, n.title, totals[n.id]) for n in nodes]


def _stored(window) -> dict[str, list[tuple[str, str, int]]]:
    """Every project's (kind, title, words) rows, read from the file as a restart would."""
    library = Library.open(window.paths.database)
    try:
        return {s.project.title: _rolled_up(library.nodes(s.project.id)) for s in library.list_projects()}
    finally:
        library.close()


def _preview(qtbot, window, path):
    file_ops.import_path(window, path)
    qtbot.waitUntil(lambda: window.findChild(object, "importPreview") is not None
                    and window.findChild(object, "importPreview").isVisible())
    return window.findChild(object, "importPreview")


@pytest.fixture
def pride(tmp_path) -> Path:
    target = tmp_path / "pride-and-prejudice.txt"
    shutil.copyfile(FIXTURES / "pride-and-prejudice.txt", target)
    return target


def _rows_shown(dialog) -> list[tuple[str, str, str]]:
    tree = dialog.tree
    rows = []

    def walk(item):
        rows.append((item.text(1), item.text(0), item.text(2)))
        for index in range(item.childCount()):
            walk(item.child(index))

    for index in range(tree.topLevelItemCount()):
        walk(tree.topLevelItem(index))
    return rows


def test_the_preview_shows_pride_and_prejudices_chapters_as_the_dry_run_prints_them(
        qtbot, main_window, pride, capsys, monkeypatch):
    threads = []
    real_plan = importer_module.plan_import
    monkeypatch.setattr(importer_module, "plan_import",
                        lambda *a, **k: threads.append(threading.current_thread()) or real_plan(*a, **k))
    dialog = _preview(qtbot, main_window, pride)
    assert threads and threads[0] is not threading.main_thread()  # read and parsed off the GUI thread
    shown = _rows_shown(dialog)
    assert len(shown) == 72  # 61 chapters, 11 scenes under the five chapters with scene breaks
    assert [row[1] for row in shown if row[0] == "Chapter"] == [f"Chapter {n}" for n in range(1, 62)]
    assert shown[0] == ("Chapter", "Chapter 1", "847") and shown[-1][1] == "Chapter 61"
    assert dialog.tree.topLevelItem(0).text(3).startswith("It is a truth universally acknowledged")
    assert dialog.lines.item(0).text().startswith("1. It is a truth universally acknowledged")
    assert "72 documents" in dialog.summary.text()

    assert cli.main(["import", str(pride), "--dry-run", "--data-dir", str(pride.parent / "dry")]) == 0
    printed = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [(kind.strip(), title, int(words)) for kind, title, words in printed] == \
        [(kind.lower(), title, int(words.replace(",", ""))) for kind, title, words in shown]
    dialog.reject()
    wait_idle(qtbot, main_window)


def test_merge_split_rename_and_kind_are_what_gets_imported(qtbot, main_window, pride):
    window = main_window
    dialog = _preview(qtbot, window, pride)
    dialog.select_path((0,))
    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)  # chapters 1 and 2 become one
    dialog.select_path((1,))  # Chapter 3: a new chapter at its fourth paragraph, that line its title
    dialog.lines.setCurrentRow(3)
    picked = dialog.lines.item(3).text().split(". ", 1)[1]
    qtbot.mouseClick(dialog.split_title_button, Qt.MouseButton.LeftButton)
    assert dialog.selected_path() == (2,) and dialog.tree.currentItem().text(0) == picked[:200]
    dialog.select_path((3,))
    dialog.tree.currentItem().setText(0, "The Lucas Lodge")  # what double-click editing does
    qtbot.waitUntil(lambda: dialog.rows()[3][2] == "The Lucas Lodge")
    dialog.select_path((4,))
    qtbot.mouseClick(dialog.front_button, Qt.MouseButton.LeftButton)
    dialog.select_path((5,))
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("scene"))
    dialog.kind_box.activated.emit(dialog.kind_box.currentIndex())
    expected = [(kind, title, words) for _depth, kind, title, words in dialog.rows()]
    assert [row[:2] for row in expected[:6]] == [
        ("chapter", "Chapter 1"), ("chapter", "Chapter 3"), ("chapter", picked[:200]),
        ("chapter", "The Lucas Lodge"), ("note", "Front matter"), ("scene", "Chapter 6")]
    assert len(expected) == 72  # one merge, one split
    assert [(k.lower(), t, int(w.replace(",", ""))) for k, t, w in _rows_shown(dialog)] == expected

    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.current_project is not None and window.current_project.title != "My Novel")
    wait_idle(qtbot, window)
    assert _stored(window)[window.current_project.title] == expected
    assert _rolled_up(window.binder.nodes) == expected


def test_cancel_writes_nothing(qtbot, main_window, pride):
    window = main_window
    before = _stored(window)
    dialog = _preview(qtbot, window, pride)
    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    dialog.reject()
    wait_idle(qtbot, window)
    assert _stored(window) == before == {"My Novel": [("chapter", "Chapter 1", 0)]}
    assert window.current_project.title == "My Novel"
    assert window.findChild(object, "errorBox") is None


def test_a_refused_edit_is_one_line_in_the_dialog_and_changes_nothing(qtbot, main_window, pride):
    dialog = _preview(qtbot, main_window, pride)
    rows = dialog.rows()
    assert not dialog.split_selected(paragraph=0)  # before the first paragraph: nothing to split off
    assert dialog.error.text() == "choose a paragraph after the first one to split at"
    dialog.select_path((60,))
    assert not dialog.merge_button.isEnabled()
    assert dialog.rows() == rows
    dialog.tree.currentItem().setText(0, "   ")
    qtbot.waitUntil(lambda: dialog.error.text() == "a title cannot be empty")
    assert dialog.rows() == rows and dialog.tree.topLevelItem(60).text(0) == "Chapter 61"
    dialog.reject()


def test_a_chinese_novel_counts_characters(qtbot, main_window, tmp_path):
    source = tmp_path / "hongloumeng-ch1-10.txt"
    shutil.copyfile(FIXTURES / "hongloumeng-ch1-10.txt", source)
    dialog = _preview(qtbot, main_window, source)
    assert dialog.tree.headerItem().text(2) == "Characters"
    assert "characters" in dialog.summary.text()
    assert dialog.tree.topLevelItemCount() >= 10
    assert dialog.tree.topLevelItem(dialog.tree.topLevelItemCount() - 1).text(0).startswith("第十回")
    dialog.reject()


def test_cancel_in_the_welcome_import_still_leaves_a_page(qtbot, main_window, pride):
    from writer_app.ui import welcome_dialog

    window = main_window
    window.current_project_id = window.current_project = None
    welcome_dialog.import_and_open(window, pride)
    qtbot.waitUntil(lambda: window.findChild(object, "importPreview") is not None)
    window.findChild(object, "importPreview").reject()
    qtbot.waitUntil(lambda: window.current_project is not None)
    wait_idle(qtbot, window)
    assert list(_stored(window)) == ["My Novel"]
