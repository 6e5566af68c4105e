"""Focus mode, themes, preview, settings dialog, import and export from the File menu."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.ui.conftest import accept_import_preview, wait_idle
from writer_app.settings import load_settings
from writer_app.storage import Library
from writer_app.ui import file_ops
from writer_app.ui.settings_dialog import SettingsDialog


def test_focus_mode_on_and_off(qtbot, main_window):
    window = main_window
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    assert window.binder_dock.isVisible()
    window.actions_by_name["actionFocusMode"].trigger()
    qtbot.waitUntil(window.isFullScreen)
    assert window.focus_mode.active and window.editor.typewriter_mode
    assert not window.binder_dock.isVisible() and not window.menuBar().isVisible()
    assert not window.statusBar().isVisible()
    assert window.editor.isVisible()
    qtbot.keyClick(window.editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert not window.focus_mode.active and not window.editor.typewriter_mode
    assert window.binder_dock.isVisible() and window.menuBar().isVisible()
    qtbot.keyClick(window.editor, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen)
    qtbot.keyClick(window.editor, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen())
    assert window.statusBar().isVisible()


def test_dark_theme_switches_and_is_remembered(qtbot, main_window, profile_dir):
    window = main_window
    light_base = QApplication.palette().base().color().lightness()
    window.editor.insertPlainText('"Dialogue," she said, *softly*.')
    window.save_now()
    qtbot.waitUntil(lambda: window.autosave.state == "saved")
    window.actions_by_name["actionDarkTheme"].trigger()
    assert window.settings.theme == "dark"
    assert window.autosave.state == "saved" and not window.isWindowModified()  # re-colouring is no edit
    assert QApplication.palette().base().color().lightness() < light_base
    assert "#25272b" in QApplication.instance().styleSheet()
    window.close()
    assert load_settings(type(window.paths)(**vars(window.paths))).theme == "dark"
    file_ops.set_theme(window, "light")


def test_preview_renders_the_paragraph_model(qtbot, main_window):
    """Emphasis is italic; a line starting with "#" is a paragraph (chapters are binder documents)."""
    window = main_window
    window.show()
    window.preview_dock.show()
    window.preview_dock.raise_()
    window.editor.insertPlainText("# Arrival\n\nShe was *very* tired.")
    qtbot.waitUntil(lambda: "Arrival" in window.preview.toPlainText(), timeout=3000)
    assert window.preview.toPlainText() == "# Arrival\nShe was very tired."
    assert "font-style:italic" in window.preview.toHtml().replace(" ", "")
    assert window.preview.isReadOnly()


def test_closing_in_focus_mode_remembers_the_layout_not_the_bare_page(qtbot, main_window, profile_dir):
    from writer_app.ui.app import build_main_window

    window = main_window
    with qtbot.waitActive(window):
        window.show()
    window.focus_mode.enter()
    qtbot.waitUntil(window.isFullScreen)
    window.close()
    assert not window.focus_mode.active
    again = build_main_window(profile_dir, extensions=())
    qtbot.addWidget(again)
    with qtbot.waitActive(again):
        again.show()
    assert again.binder_dock.isVisible() and again.menuBar().isVisible() and not again.isFullScreen()
    again.close()

def test_settings_dialog_applies_and_persists(qtbot, main_window):
    window = main_window
    dialog = SettingsDialog(window)
    qtbot.addWidget(dialog)
    dialog.size_box.setValue(17)
    dialog.autosave_box.setValue(1500)
    dialog.width_box.setValue(66)
    dialog.accept()
    assert window.editor.current_point_size() == 17
    assert window.editor.line_width_chars == 66
    saved = load_settings(window.paths)
    assert (saved.editor_font_size, saved.autosave_interval_ms, saved.editor_line_width) == (17, 1500, 66)


def test_importing_a_bad_file_shows_the_error_and_changes_nothing(qtbot, main_window, tmp_path):
    window = main_window
    bad = tmp_path / "novel.txt"
    bad.write_bytes(b"\x00\x01\x02 binary junk \xff\xfe" * 200)
    before = window.current_project_id
    file_ops.import_path(window, bad)
    qtbot.waitUntil(lambda: window.findChild(object, "errorBox") is not None, timeout=5000)
    message = window.findChild(object, "errorBox").text()
    assert message.startswith("Could not import the file: ")
    library = Library.open(window.paths.database)
    projects = library.list_projects()
    library.close()
    assert [p.project.title for p in projects] == ["My Novel"]
    assert window.current_project_id == before


def test_import_a_real_manuscript_then_export_it(qtbot, main_window, tmp_path):
    window = main_window
    source = tmp_path / "The Lighthouse.md"
    source.write_text("# One\n\nThe lamp was lit.\n\n# Two\n\nThe ship came home.\n", encoding="utf-8")
    file_ops.import_path(window, source)
    accept_import_preview(qtbot, window)
    qtbot.waitUntil(lambda: window.current_project is not None and window.current_project.title != "My Novel",
                    timeout=5000)
    wait_idle(qtbot, window)
    assert [n.title for n in window.binder.nodes] == ["One", "Two"]
    out = tmp_path / "out.html"
    file_ops.export_to(window, True, out)
    qtbot.waitUntil(out.exists, timeout=5000)
    assert "The ship came home." in out.read_text(encoding="utf-8")


def test_status_bar_counts_and_word_target(qtbot, main_window):
    window = main_window
    file_ops.set_word_target(window, 100)
    qtbot.waitUntil(lambda: window.status.target_bar.isVisibleTo(window))
    window.editor.insertPlainText("one two three four five six seven eight nine ten")
    window.save_now()
    qtbot.waitUntil(lambda: window.status.project_label.text() == "Project: 10")
    assert window.status.document_label.text() == "Document: 10 words"
    assert window.status.session_label.text() == "Session: +10"
    assert window.status.target_bar.format() == "10% of 100"
