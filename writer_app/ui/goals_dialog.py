"""Document ▸ Writing Goals…: the project target, a daily and a session goal, a deadline, the history.

The dialog reads and writes through ``window.db``; it opens at once and fills
in when the worker answers. The words a day that the deadline needs update as
the author edits the numbers, before anything is saved. The chart shows the
last 30 days (``goals_chart.WordsPerDayChart``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
)

from writer_app.storage.goals import HISTORY_DAYS, local_day, words_per_day_needed
from writer_app.ui.goals_chart import WordsPerDayChart

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

MAX_WORDS = 10_000_000


def _spin(name: str, step: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setRange(0, MAX_WORDS)
    spin.setSingleStep(step)
    spin.setGroupSeparatorShown(True)
    spin.setSpecialValueText("none")
    return spin


class GoalsDialog(QDialog):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("goalsDialog")
        self.setWindowTitle("Writing Goals")
        self.window_ = window
        self.project_id = window.current_project_id
        self.project_words = 0
        self.loaded = False
        self.target = _spin("goalTarget", 1000)
        self.daily = _spin("goalDaily", 100)
        self.session = _spin("goalSession", 100)
        self.has_deadline = QCheckBox("Finish by")
        self.has_deadline.setObjectName("goalHasDeadline")
        self.deadline = QDateEdit()
        self.deadline.setObjectName("goalDeadline")
        self.deadline.setCalendarPopup(True)
        self.deadline.setDisplayFormat("d MMMM yyyy")
        self.deadline.setDate(QDate.currentDate().addMonths(3))
        self.deadline.setEnabled(False)
        self.pace = QLabel()
        self.pace.setObjectName("goalPace")
        self.pace.setWordWrap(True)
        self.summary = QLabel()
        self.summary.setObjectName("goalSummary")
        self.chart = WordsPerDayChart(self)
        self.chart.set_dark(window.settings.theme == "dark")
        form = QFormLayout()
        form.addRow("Project target (words):", self.target)
        form.addRow("Daily goal:", self.daily)
        form.addRow("Session goal:", self.session)
        due = QHBoxLayout()
        due.addWidget(self.has_deadline)
        due.addWidget(self.deadline, 1)
        form.addRow("Deadline:", due)
        form.addRow("", self.pace)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        self.buttons.setObjectName("goalButtons")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        heading = QLabel(f"<b>Words written per day</b> (the last {HISTORY_DAYS} days)")
        layout.addWidget(heading)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        for spin in (self.target, self.daily, self.session):
            spin.valueChanged.connect(self._update_pace)
        self.has_deadline.toggled.connect(self.deadline.setEnabled)
        self.has_deadline.toggled.connect(self._update_pace)
        self.deadline.dateChanged.connect(self._update_pace)
        self.resize(760, 600)
        self.reload()

    def reload(self) -> None:
        project_id = self.project_id
        if project_id is None:
            return

        def load(lib: Any) -> tuple:
            return (lib.get_project(project_id), lib.goals(project_id), lib.words_by_day(project_id),
                    lib.project_word_count(project_id))

        self.window_.autosave.save_now(then=lambda: self.window_.db.submit(load, self._fill, self._failed))

    def _fill(self, result: tuple) -> None:
        project, goals, days, words = result
        self.project_words = words
        self.target.setValue(project.word_target)
        self.daily.setValue(goals.daily_words)
        self.session.setValue(goals.session_words)
        self.has_deadline.setChecked(goals.deadline is not None)
        if goals.deadline:
            self.deadline.setDate(QDate.fromString(goals.deadline, Qt.DateFormat.ISODate))
        self.chart.set_history(days, goals.daily_words)
        written = [d.words for d in days]
        met = sum(1 for w in written if goals.daily_words and w >= goals.daily_words)
        best = max(written, default=0)
        text = f"{sum(written):,} words in {HISTORY_DAYS} days; best day {best:,}"
        self.summary.setText(text + (f"; goal met on {met} day{'s' if met != 1 else ''}." if goals.daily_words
                                     else "."))
        self.loaded = True
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(True)
        self._update_pace()

    def _failed(self, exc: BaseException) -> None:
        self.summary.setText(str(exc))

    def deadline_iso(self) -> str | None:
        return self.deadline.date().toString(Qt.DateFormat.ISODate) if self.has_deadline.isChecked() else None

    def _update_pace(self) -> None:
        today = local_day()
        deadline = self.deadline_iso()
        needed = words_per_day_needed(self.target.value(), self.project_words, deadline, today)
        if deadline is None or needed is None:
            self.pace.setText("Set a target and a deadline to see the words a day they need."
                              if self.loaded else "")
            return
        due = date.fromisoformat(deadline)
        days_left = max(1, (due - date.fromisoformat(today)).days + 1)
        remaining = max(0, self.target.value() - self.project_words)
        if remaining == 0:
            self.pace.setText(f"The target is reached ({self.project_words:,} words).")
        elif due < date.fromisoformat(today):
            self.pace.setText(f"The deadline has passed; {remaining:,} words are still to write.")
        else:
            self.pace.setText(f"<b>{needed:,} words a day</b> to write the {remaining:,} still missing by "
                              f"{due.day} {due:%B} ({days_left} day{'s' if days_left != 1 else ''}, today "
                              "included).")

    def save(self) -> None:
        project_id = self.project_id
        if project_id is None or not self.loaded:
            return
        target, daily, session, deadline = (self.target.value(), self.daily.value(), self.session.value(),
                                            self.deadline_iso())

        def store(lib: Any) -> Any:
            with lib.batch("save the goals"):
                project = lib.update_project(project_id, word_target=target)
                lib.set_goals(project_id, daily, session, deadline)
            return project

        def saved(project: Any) -> None:
            window = self.window_
            if project_id == window.current_project_id:
                window.current_project = project
                window.status.set_project_words(window.status.project_words, project.word_target)
                tracker = getattr(window, "goals_tracker", None)
                if tracker is not None:
                    tracker.refresh()
            self.accept()

        self.window_.db.submit(store, saved, lambda exc: self.window_.show_error(str(exc), "Goals not saved"))


def open_goals(window: MainWindow) -> GoalsDialog | None:
    if window.current_project_id is None:
        return None
    dialog = GoalsDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
