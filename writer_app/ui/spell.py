"""Spell checking as you type: the editor's underline, right-click fixes, and the Edit menu switch.

The dictionary (Hunspell en_US, :mod:`writer_app.text.spell`) loads on
``window.background`` so that start-up never waits for it; the highlighter then
underlines per paragraph. The project's story bible names are read through
``window.db`` whenever a project opens or the bible changes, so "Elinor" is not
flagged in the book where Elinor lives, and the previous book's names do not carry
over. Chinese, Japanese and Korean projects are not checked: the Edit menu entry
and the status bar say so instead of underlining every line.

Right-click on an underlined word offers the dictionary's suggestions first
(replacing is one undo step), then "Add to Dictionary" (kept in the profile's
personal dictionary) and "Ignore" (this session).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QFont, QTextCursor
from PySide6.QtWidgets import QMenu

from writer_app.text.spell import SpellChecker, checks_language
from writer_app.ui.changes import Change
from writer_app.ui.text_positions import index_to_utf16, utf16_to_index

if TYPE_CHECKING:
    from writer_app.storage import Library
    from writer_app.ui.main_window import MainWindow

SETTING = "spell_check"
ACTION_TEXT = "Check Spelling as You T&ype"


class SpellController:
    """Owns the checker and keeps the editor's highlighter, menu entry and names in step."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.checker: SpellChecker | None = None
        self.error: str | None = None
        self.language_checked = True
        self.action: QAction | None = None
        self._names: list[str] = []
        window.editor.context_menu_hooks.insert(0, self.add_menu_entries)
        window.projectOpened.connect(lambda _pid: self._project_changed())
        window.changed.connect(self._on_changed)

    @property
    def enabled(self) -> bool:
        return bool(self.window.settings.extra.get(SETTING, True))

    @property
    def active(self) -> bool:
        """Underlining now: switched on, dictionary loaded, and a language it can judge."""
        return self.enabled and self.checker is not None and self.language_checked

    # -- loading -----------------------------------------------------------------------------
    def load(self) -> None:
        """Load the dictionary in the background; the editor works without it meanwhile."""
        path = self.window.paths.personal_dictionary
        names, text = list(self._names), self.window.editor.manuscript_text()

        def make(_task: object) -> SpellChecker:
            checker = SpellChecker(path)
            checker.set_names(names)
            checker.warm(text)  # the open chapter's words are looked up here, not on the GUI thread
            return checker

        self.window.background.run(make, self._loaded, self._failed, owner=self.window)

    def load_now(self) -> None:
        """Load on this thread (tests and benchmarks that need the underline at once)."""
        self._loaded(SpellChecker(self.window.paths.personal_dictionary))

    def _loaded(self, checker: SpellChecker) -> None:
        checker.set_names(self._names)
        self.checker = checker
        self.error = None
        self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self.error = str(exc)
        self.window.status.show_message(f"Spell check is off: {exc}", 8000)
        self.refresh()

    # -- what the author sees ----------------------------------------------------------------
    def toggle(self) -> None:
        self.window.settings.extra[SETTING] = not self.enabled
        self.refresh()
        if self.enabled and not self.language_checked:
            self.window.status.show_message("Spell check does not check Chinese, Japanese or Korean text.", 6000)

    def refresh(self) -> None:
        editor = self.window.editor
        wanted = self.checker if self.active else None
        if editor.highlighter.spell is not wanted:
            editor.reformatting = True
            try:
                editor.highlighter.spell = wanted
                editor.highlighter.rehighlight()
            finally:
                editor.reformatting = False
        if self.action is not None:
            self.action.setChecked(self.enabled)
            if not self.language_checked:
                self.action.setText(ACTION_TEXT + " (not for Chinese, Japanese or Korean)")
            elif self.error:
                self.action.setText(ACTION_TEXT + " (no dictionary)")
            else:
                self.action.setText(ACTION_TEXT)
            self.action.setToolTip(self.error or "Red wavy underline under words the English dictionary "
                                                 "does not know; right-click one for suggestions.")

    def _on_changed(self, changes: frozenset[Change]) -> None:
        if Change.BIBLE in changes:
            self._read_names()

    def _project_changed(self) -> None:
        project = self.window.current_project
        self.language_checked = checks_language(getattr(project, "language", "") or "")
        if self.enabled and not self.language_checked:
            self.window.status.show_message("Spell check is off for this project: it does not check "
                                            "Chinese, Japanese or Korean text.", 6000)
        self._names = []
        if self.checker is not None:
            self.checker.set_names([])  # never the previous book's names, even for a moment
        self.refresh()
        self._read_names()

    def _read_names(self) -> None:
        project_id = self.window.current_project_id
        if project_id is None:
            return

        def read(lib: Library) -> list[str]:
            return [name for entry in lib.bible_entries(project_id) for name in (entry.name, *entry.aliases)]

        def done(names: list[str]) -> None:
            if project_id != self.window.current_project_id:
                return
            self._names = names
            if self.checker is not None:
                self.checker.set_names(names)
                if self.active:
                    self.window.editor.reformatting = True
                    try:
                        self.window.editor.highlighter.rehighlight()
                    finally:
                        self.window.editor.reformatting = False

        self.window.db.submit(read, done)

    # -- right-click -------------------------------------------------------------------------
    def misspelled_at(self, cursor: QTextCursor) -> tuple[int, int, str] | None:
        """(start, end) document positions and the word, if the cursor sits in an underlined word."""
        if not self.active or self.checker is None or cursor.hasSelection():
            return None
        block = cursor.block()
        text = block.text()
        at = utf16_to_index(text, cursor.positionInBlock())
        for start, length in self.checker.misspelled(text):
            if start <= at <= start + length:
                base = block.position()
                return (base + index_to_utf16(text, start), base + index_to_utf16(text, start + length),
                        text[start:start + length])
        return None

    def add_menu_entries(self, menu: QMenu, cursor: QTextCursor) -> None:
        """Suggestions, Add to Dictionary and Ignore for an underlined word, at the top of the menu.

        The menu opens at once: suggestions already looked up are there, others show
        "Looking up suggestions…" while Hunspell searches on ``window.background``
        (0.1-0.5 s a word) and take its place in the open menu when they arrive.
        """
        found = self.misspelled_at(cursor)
        if found is None or self.checker is None:
            return
        start, end, word = found
        first = menu.actions()[0] if menu.actions() else None
        checker = self.checker
        suggestions = checker.cached_suggestions(word)
        if suggestions is None:
            waiting = QAction("Looking up suggestions…", menu)
            waiting.setEnabled(False)
            waiting.setObjectName("spellLookingUp")
            entries = [waiting]
            self.window.background.run(lambda _task: checker.suggest(word),
                                       lambda found_now: self._fill(menu, waiting, start, end, word, found_now),
                                       lambda _exc: waiting.setText("(no suggestions)"), owner=menu)
        else:
            entries = self._suggestion_actions(menu, start, end, word, suggestions)
        add = QAction(f"&Add “{word}” to Dictionary", menu)
        add.setObjectName("spellAddToDictionary")
        add.triggered.connect(lambda _c=False: self.add_to_dictionary(word))
        ignore = QAction(f"&Ignore “{word}”", menu)
        ignore.setObjectName("spellIgnore")
        ignore.triggered.connect(lambda _c=False: self.ignore(word))
        entries += [add, ignore]
        for action in entries:
            menu.insertAction(first, action)
        if first is not None:
            menu.insertSeparator(first)

    def _suggestion_actions(self, menu: QMenu, start: int, end: int, word: str,
                            suggestions: list[str]) -> list[QAction]:
        entries: list[QAction] = []
        for suggestion in suggestions:
            action = QAction(suggestion, menu)
            font = QFont(action.font())
            font.setBold(True)
            action.setFont(font)
            action.setObjectName("spellSuggestion")
            action.triggered.connect(lambda _c=False, s=suggestion: self.replace(start, end, word, s))
            entries.append(action)
        if not suggestions:
            none = QAction("(no suggestions)", menu)
            none.setEnabled(False)
            entries.append(none)
        return entries

    def _fill(self, menu: QMenu, waiting: QAction, start: int, end: int, word: str,
              suggestions: list[str]) -> None:
        """The lookup finished: its suggestions replace the placeholder in the (still open) menu."""
        if waiting not in menu.actions():
            return
        for action in self._suggestion_actions(menu, start, end, word, suggestions):
            menu.insertAction(waiting, action)
        menu.removeAction(waiting)
        waiting.deleteLater()

    def replace(self, start: int, end: int, word: str, suggestion: str) -> None:
        """Put ``suggestion`` where ``word`` still is (one undo step); a moved word is left alone."""
        cursor = QTextCursor(self.window.editor.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        if cursor.selectedText() != word:
            return
        cursor.insertText(suggestion)
        self.window.editor.setTextCursor(cursor)

    def add_to_dictionary(self, word: str) -> None:
        if self.checker is None:
            return
        try:
            self.checker.add_to_dictionary(word)
        except Exception as exc:  # noqa: BLE001 - a UserError's sentence, shown; the editor stays up
            self.window.show_error(str(exc))
            return
        self._rehighlight()
        self.window.status.show_message(f"“{word}” added to your dictionary", 3000)

    def ignore(self, word: str) -> None:
        if self.checker is not None:
            self.checker.ignore(word)
            self._rehighlight()

    def _rehighlight(self) -> None:
        editor = self.window.editor
        editor.reformatting = True
        try:
            editor.highlighter.rehighlight()
        finally:
            editor.reformatting = False

