"""Writing goals: a daily and a session goal beside the project target, a deadline, words per day.

Words written are recorded by the autosave path (``Library.save_text``): each
save adds the change in the document's count to today's row of
``words_by_day`` in the same small transaction, so the history is exactly what
was saved, and a crash loses no more of it than of the text. The count is
``text.counts.count_words``, the status bar's own, so Chinese and Japanese
count one per character. The change is net: deleting a paragraph takes its
words off the day, as it takes them off the project. Imports and restored
revisions are not writing and are not recorded.

"Today" is the author's local calendar day at the moment of the save (a
writer's day, not UTC's); the storage layer has no clock of its own beyond
that.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from writer_app.errors import UserError
from writer_app.storage.db import Store

HISTORY_DAYS = 30


@dataclass(frozen=True)
class Goals:
    project_id: int
    daily_words: int = 0  # 0: no daily goal
    session_words: int = 0  # 0: no session goal
    deadline: str | None = None  # ISO date (the day the target is due), or None


@dataclass(frozen=True)
class DayWords:
    day: str  # ISO date, local
    words: int  # net words saved that day (negative when more was cut than written)


def local_day(now: datetime | None = None) -> str:
    """The author's calendar day, as an ISO date."""
    return (now or datetime.now()).astimezone().date().isoformat()


def record_words(conn: sqlite3.Connection, project_id: int, delta: int, day: str) -> None:
    """Inside the save's transaction: add ``delta`` words to ``day``."""
    if delta:
        conn.execute(
            "INSERT INTO words_by_day (project_id, day, words) VALUES (?, ?, ?)"
            " ON CONFLICT(project_id, day) DO UPDATE SET words = words + excluded.words",
            (project_id, day, delta),
        )


def words_on(store: Store, project_id: int, day: str) -> int:
    row = store.one("SELECT words FROM words_by_day WHERE project_id = ? AND day = ?", (project_id, day))
    return int(row[0]) if row else 0


def history(store: Store, project_id: int, days: int = HISTORY_DAYS, today: str | None = None) -> list[DayWords]:
    """The last ``days`` days up to ``today``, oldest first, with the days nothing was written as 0."""
    last = date.fromisoformat(today or local_day())
    first = last - timedelta(days=max(1, days) - 1)
    rows = store.all(
        "SELECT day, words FROM words_by_day WHERE project_id = ? AND day BETWEEN ? AND ?",
        (project_id, first.isoformat(), last.isoformat()),
    )
    stored = {row["day"]: int(row["words"]) for row in rows}
    return [DayWords(d.isoformat(), stored.get(d.isoformat(), 0))
            for d in (first + timedelta(days=i) for i in range((last - first).days + 1))]


def get_goals(store: Store, project_id: int) -> Goals:
    row = store.one("SELECT daily_words, session_words, deadline FROM project_goals WHERE project_id = ?",
                    (project_id,))
    if row is None:
        return Goals(project_id)
    return Goals(project_id, int(row["daily_words"]), int(row["session_words"]), row["deadline"])


def _whole(value: object, what: str) -> int:
    try:
        number = int(value or 0)  # type: ignore[call-overload]
    except (TypeError, ValueError) as exc:
        raise UserError(f"the {what} must be a whole number of words, not {value!r}") from exc
    if number < 0:
        raise UserError(f"the {what} cannot be negative")
    return number


def _deadline(value: str | None) -> str | None:
    if value is None or not str(value).strip():
        return None
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError as exc:
        raise UserError(f"the deadline must be a date such as 2026-12-31, not {value!r}") from exc


def set_goals(store: Store, project_id: int, daily_words: int, session_words: int, deadline: str | None) -> Goals:
    daily, session, due = _whole(daily_words, "daily goal"), _whole(session_words, "session goal"), _deadline(deadline)
    with store.write("save the goals") as conn:
        if conn.execute("SELECT 1 FROM projects WHERE id = ?", (project_id,)).fetchone() is None:
            raise UserError(f"there is no project with id {project_id}")
        conn.execute(
            "INSERT INTO project_goals (project_id, daily_words, session_words, deadline) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(project_id) DO UPDATE SET daily_words = excluded.daily_words,"
            " session_words = excluded.session_words, deadline = excluded.deadline",
            (project_id, daily, session, due),
        )
    return get_goals(store, project_id)


def words_per_day_needed(target: int, words: int, deadline: str | None, today: str) -> int | None:
    """Words a day, today included, that finish ``target`` by the end of ``deadline``.

    None when there is no target or no deadline; once the deadline has passed, everything
    still missing is due today.
    """
    if target <= 0 or not deadline:
        return None
    remaining = max(0, target - words)
    days_left = max(1, (date.fromisoformat(deadline) - date.fromisoformat(today)).days + 1)
    return math.ceil(remaining / days_left)
