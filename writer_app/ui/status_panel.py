"""The status bar: save state, words in the document and project, session and today's words, target.

Counts come from the database worker's save results (``SaveResult.word_count``
and ``project_word_count``), so the GUI never counts 100,000 words itself.
Today's words come from the library's per-day record (``ui/goals_tracker.py``
fetches them after each save); the goals and the deadline's words per day are
shown beside them when the author set them (Document ▸ Writing Goals…).
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from writer_app.storage.goals import local_day, words_per_day_needed

SAVE_STATE_TEXT = {
    "saved": "Saved",
    "unsaved": "Unsaved changes…",
    "saving": "Saving…",
    "error": "NOT SAVED — retrying",
}


class StatusPanel:
    """Owns the permanent widgets of the window's status bar."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        self.save_label = self._label("saveState")
        self.document_label = self._label("documentWords")
        self.project_label = self._label("projectWords")
        self.session_label = self._label("sessionWords")
        self.today_label = self._label("todayWords")
        self.deadline_label = self._label("deadlineWords")
        self.today_label.hide()
        self.deadline_label.hide()
        self.target_bar = QProgressBar()
        self.target_bar.setObjectName("targetProgress")
        self.target_bar.setMaximumWidth(160)
        self.target_bar.setMaximumHeight(14)
        self.target_bar.setTextVisible(True)
        self.target_bar.hide()
        for widget in (self.document_label, self.project_label, self.session_label, self.today_label,
                       self.target_bar, self.deadline_label, self.save_label):
            bar.addPermanentWidget(widget)
        self.document_words = 0
        self.project_words = 0
        self.session_start_words: int | None = None
        self.word_target = 0
        self.today_words: int | None = None  # None until the tracker fetched them
        self.daily_goal = 0
        self.session_goal = 0
        self.deadline: str | None = None
        self.set_save_state("saved")

    def _label(self, name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setContentsMargins(8, 0, 8, 0)
        return label

    def set_save_state(self, state: str, detail: str = "") -> None:
        self.save_label.setText(SAVE_STATE_TEXT.get(state, state))
        self.save_label.setToolTip(detail or SAVE_STATE_TEXT.get(state, state))
        self.save_label.setProperty("state", state)
        style = self.save_label.style()
        style.unpolish(self.save_label)
        style.polish(self.save_label)

    def start_session(self, project_words: int, word_target: int) -> None:
        """A new project opened: session words count from here."""
        self.session_start_words = project_words
        self.set_project_words(project_words, word_target)

    def set_document_words(self, words: int) -> None:
        self.document_words = words
        self.document_label.setText(f"Document: {words:,} words")

    def set_project_words(self, words: int, word_target: int | None = None) -> None:
        self.project_words = words
        if word_target is not None:
            self.word_target = word_target
        self.project_label.setText(f"Project: {words:,}")
        session = self.session_words
        self.session_label.setText(f"Session: {session:+,}" + (f" of {self.session_goal:,}" if self.session_goal else ""))
        if self.word_target > 0:
            self.target_bar.setRange(0, self.word_target)
            self.target_bar.setValue(min(words, self.word_target))
            percent = 100 * words / self.word_target
            self.target_bar.setFormat(f"{percent:.0f}% of {self.word_target:,}")
            self.target_bar.show()
        else:
            self.target_bar.hide()
        self._show_goals()

    def set_goals(self, daily_goal: int, session_goal: int, deadline: str | None) -> None:
        self.daily_goal, self.session_goal, self.deadline = daily_goal, session_goal, deadline
        self.set_project_words(self.project_words)

    def set_today_words(self, words: int) -> None:
        self.today_words = words
        self._show_goals()

    def _show_goals(self) -> None:
        if self.today_words is not None:
            goal = f" of {self.daily_goal:,}" if self.daily_goal else ""
            self.today_label.setText(f"Today: {self.today_words:,}{goal}")
            self.today_label.setProperty("state", "met" if self.daily_goal and self.today_words >= self.daily_goal
                                         else "")
            self.today_label.show()
        needed = words_per_day_needed(self.word_target, self.project_words, self.deadline, local_day())
        if needed is None or self.deadline is None:
            self.deadline_label.hide()
            return
        due = date.fromisoformat(self.deadline)
        self.deadline_label.setText(f"{needed:,} a day to {due.day} {due:%b}")
        self.deadline_label.setToolTip(f"Words a day, today included, to reach {self.word_target:,} by "
                                       f"{due:%A} {due.day} {due:%B %Y}.")
        self.deadline_label.show()

    @property
    def session_words(self) -> int:
        if self.session_start_words is None:
            return 0
        return self.project_words - self.session_start_words

    def show_message(self, text: str, timeout_ms: int = 4000) -> None:
        self.bar.showMessage(text, timeout_ms)

