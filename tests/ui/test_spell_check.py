"""Spell checking as you type in the real window: underline, suggestions, dictionary, names, Chinese."""

from __future__ import annotations

from PySide6.QtGui import QTextCharFormat, QTextCursor

from tests.ui.conftest import stored_text, wait_idle
from writer_app.ui.changes import Change

TEXT = "She recieved the letter from Tamsk and red it twice."


def ready(qtbot, window, text=TEXT):
    qtbot.waitUntil(lambda: window.spell.checker is not None and window.current_node_id is not None)
    wait_idle(qtbot, window)
    window.editor.setPlainText(text)
    return window.editor


def underlined(editor) -> list[str]:
    """The words the author sees with the red wavy line (read back from Qt's layout)."""
    block = editor.document().firstBlock()
    found = []
    for fmt_range in block.layout().formats():
        if fmt_range.format.underlineStyle() == QTextCharFormat.UnderlineStyle.SpellCheckUnderline:
            found.append(block.text()[fmt_range.start:fmt_range.start + fmt_range.length])
    return found


def cursor_in(editor, word: str) -> QTextCursor:
    cursor = QTextCursor(editor.document())
    cursor.setPosition(editor.toPlainText().index(word) + 2)
    return cursor


def menu_texts(menu) -> list[str]:
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_misspelled_words_get_the_red_wavy_underline(qtbot, main_window):
    editor = ready(qtbot, main_window)
    assert underlined(editor) == ["recieved", "Tamsk"]
    assert main_window.actions_by_name["actionSpellCheck"].isChecked()
    main_window.actions_by_name["actionSpellCheck"].trigger()  # F7: off
    assert underlined(editor) == []
    main_window.actions_by_name["actionSpellCheck"].trigger()
    assert underlined(editor) == ["recieved", "Tamsk"]


def test_a_suggestion_from_the_right_click_menu_replaces_the_word_in_one_undo_step(qtbot, main_window, profile_dir):
    window = main_window
    editor = ready(qtbot, window)
    menu = editor.build_context_menu(cursor_in(editor, "recieved"))
    qtbot.waitUntil(lambda: menu_texts(menu)[0] == "received")
    texts = menu_texts(menu)
    assert "&Add “recieved” to Dictionary" in texts and "&Ignore “recieved”" in texts
    next(a for a in menu.actions() if a.text() == "received").trigger()
    assert editor.toPlainText() == TEXT.replace("recieved", "received")
    assert underlined(editor) == ["Tamsk"]
    window.save_now()
    wait_idle(qtbot, window)
    assert stored_text(profile_dir, window.current_node_id) == TEXT.replace("recieved", "received")
    window.actions_by_name["actionUndo"].trigger()
    assert editor.toPlainText() == TEXT


def test_add_to_dictionary_is_kept_in_the_profile(qtbot, main_window, profile_dir):
    window = main_window
    editor = ready(qtbot, window)
    menu = editor.build_context_menu(cursor_in(editor, "Tamsk"))
    next(a for a in menu.actions() if a.objectName() == "spellAddToDictionary").trigger()
    assert underlined(editor) == ["recieved"]
    assert "Tamsk" in window.paths.personal_dictionary.read_text(encoding="utf-8").split()
    assert window.paths.personal_dictionary.parent == profile_dir  # the profile, not a shared place


def test_ignore_clears_the_underline_and_a_correct_word_gets_no_entries(qtbot, main_window):
    editor = ready(qtbot, main_window)
    menu = editor.build_context_menu(cursor_in(editor, "recieved"))
    next(a for a in menu.actions() if a.objectName() == "spellIgnore").trigger()
    assert underlined(editor) == ["Tamsk"]
    plain = editor.build_context_menu(cursor_in(editor, "letter"))
    assert not [a for a in plain.actions() if a.objectName().startswith("spell")]


def test_story_bible_names_are_not_flagged_and_do_not_follow_into_another_project(qtbot, main_window):
    window = main_window
    editor = ready(qtbot, window)
    project_id = window.current_project_id
    window.db.run_sync(lambda lib: lib.add_bible_entry(project_id, "character", "Tamsk Vell"))
    window.announce(Change.BIBLE)
    qtbot.waitUntil(lambda: underlined(editor) == ["recieved"])
    other = window.db.run_sync(lambda lib: lib.create_project("Another Book"))
    window.db.run_sync(lambda lib: lib.create_node(other.id, "chapter", "One", text=TEXT))
    window.open_project(other.id)
    qtbot.waitUntil(lambda: window.current_project_id == other.id and editor.toPlainText() == TEXT)
    wait_idle(qtbot, window)
    assert underlined(editor) == ["recieved", "Tamsk"]


def test_chinese_projects_are_not_underlined_and_the_menu_says_so(qtbot, main_window):
    window = main_window
    ready(qtbot, window)
    book = window.db.run_sync(lambda lib: lib.create_project("红楼梦", language="zh"))
    window.db.run_sync(lambda lib: lib.create_node(book.id, "chapter", "第一回", text="甄士隐梦幻识通灵 recieved"))
    window.open_project(book.id)
    qtbot.waitUntil(lambda: window.current_project_id == book.id and "甄" in window.editor.toPlainText())
    assert underlined(window.editor) == []
    assert "not for Chinese" in window.actions_by_name["actionSpellCheck"].text()


def test_the_menu_opens_at_once_and_the_suggestions_arrive_in_it(qtbot, main_window):
    """Hunspell takes 0.1-0.5 s per suggestion lookup: the menu must not wait for it on the GUI thread."""
    window = main_window
    editor = ready(qtbot, window, "The wonderfullly quiet harbour.")
    menu = editor.build_context_menu(cursor_in(editor, "wonderfullly"))
    texts = menu_texts(menu)
    assert texts[0] == "Looking up suggestions…"
    assert "&Add “wonderfullly” to Dictionary" in texts  # usable while the lookup runs
    qtbot.waitUntil(lambda: "wonderfully" in menu_texts(menu))
    assert "Looking up suggestions…" not in menu_texts(menu)
    again = menu_texts(editor.build_context_menu(cursor_in(editor, "wonderfullly")))
    assert again[0] == "wonderfully"  # the second time, straight from the cache


def test_suggestions_know_the_authors_own_words(qtbot, main_window):
    window = main_window
    editor = ready(qtbot, window, "Elvanor and Elvanorr walked.")
    window.spell.add_to_dictionary("Elvanor")
    menu = editor.build_context_menu(cursor_in(editor, "Elvanorr"))
    qtbot.waitUntil(lambda: "Elvanor" in menu_texts(menu))
