"""Goals: words written per day come from real saves, survive a migration, and give words per day."""

from __future__ import annotations

import pytest

from tests.storage.conftest import old_library
from writer_app.errors import UserError
from writer_app.storage import Library
from writer_app.storage.goals import local_day, words_per_day_needed
from writer_app.storage.schema import SCHEMA_VERSION


def test_saves_record_net_words_for_today(lib, project):
    node = lib.create_node(project.id, "scene", "S", text="Imported words are not writing.")
    lib.save_text(node.id, "Imported words are not writing. Then she wrote three more.")
    lib.save_text(node.id, "Imported words are not writing. Then she wrote three more. And two.")
    assert [(d.day, d.words) for d in lib.words_by_day(project.id, days=1)] == [(local_day(), 7)]
    lib.save_text(node.id, "Imported words are not writing.")  # cut them again
    assert lib.words_by_day(project.id, days=1)[0].words == 0


def test_chinese_counts_one_per_character_like_the_status_bar(lib):
    project = lib.create_project("红楼梦", language="zh")
    node = lib.create_node(project.id, "chapter", "第一回")
    result = lib.save_text(node.id, "宝玉笑道：“好妹妹。”")
    assert result.word_count == 7  # what the status bar shows
    assert lib.words_by_day(project.id, days=1)[0].words == 7


def test_history_fills_quiet_days_and_keeps_projects_apart(lib, project):
    other = lib.create_project("Other")
    with lib.batch() as _:
        for day, words in (("2026-11-28", 300), ("2026-11-30", 1200)):
            lib.connection.execute("INSERT INTO words_by_day VALUES (?, ?, ?)", (project.id, day, words))
        lib.connection.execute("INSERT INTO words_by_day VALUES (?, '2026-11-30', 5)", (other.id,))
    days = lib.words_by_day(project.id, days=4, today="2026-12-01")
    assert [(d.day, d.words) for d in days] == [
        ("2026-11-28", 300), ("2026-11-29", 0), ("2026-11-30", 1200), ("2026-12-01", 0)]


def test_goals_are_stored_and_bad_input_is_one_clear_error(lib, project):
    assert lib.goals(project.id).daily_words == 0 and lib.goals(project.id).deadline is None
    lib.set_goals(project.id, daily_words=500, session_words=250, deadline="2026-12-31")
    goals = lib.goals(project.id)
    assert (goals.daily_words, goals.session_words, goals.deadline) == (500, 250, "2026-12-31")
    with pytest.raises(UserError, match="deadline must be a date"):
        lib.set_goals(project.id, 500, 0, "next Tuesday")
    with pytest.raises(UserError, match="cannot be negative"):
        lib.set_goals(project.id, -5, 0, None)
    assert lib.goals(project.id).deadline == "2026-12-31"  # nothing lost


def test_words_per_day_needed():
    assert words_per_day_needed(80_000, 50_000, "2026-12-30", "2026-12-01") == 1000  # 30 days, today too
    assert words_per_day_needed(80_000, 79_999, "2026-12-01", "2026-12-01") == 1
    assert words_per_day_needed(80_000, 81_000, "2026-12-30", "2026-12-01") == 0
    assert words_per_day_needed(80_000, 70_000, "2026-11-01", "2026-12-01") == 10_000  # overdue: all today
    assert words_per_day_needed(0, 10, "2026-12-30", "2026-12-01") is None
    assert words_per_day_needed(1000, 10, None, "2026-12-01") is None


def test_an_existing_version_3_library_gains_goals_and_keeps_everything(tmp_path):
    path = old_library(tmp_path / "library.sqlite3", version=3)
    with Library.open(path) as lib:
        assert lib.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert lib.get_text(1) == "old text here"
        assert [s.project.title for s in lib.list_projects()] == ["Old Book"]
        assert lib.words_by_day(1, days=1)[0].words == 0
        lib.save_text(1, "old text here and two")
        assert lib.words_by_day(1, days=1)[0].words == 2
        lib.set_goals(1, daily_words=400)
        assert lib.integrity_check() == ["ok"]
    assert (tmp_path / "library.sqlite3.v3-before-upgrade").exists()
    with Library.open(path) as lib:  # reopening changes nothing
        assert lib.goals(1).daily_words == 400
    assert not (tmp_path / "library.sqlite3.v5-before-upgrade").exists()
