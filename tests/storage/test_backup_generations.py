"""Backups kept in generations: a repeated mistake cannot rotate the last good copy away."""

from __future__ import annotations

import os
import shutil
import time

from tests.storage.conftest import rename_backup
from writer_app.storage import Library
from writer_app.storage.backup import (
    PARTIAL_GRACE_SECONDS,
    backup_stats,
    latest_good_backup,
    list_backups,
    make_backup,
    prune_backups,
    restore_backup,
)

DAY = 86_400.0
CHAPTER = "It was a bright cold day in April, and the clocks were striking thirteen. " * 40


def _full_library(db, chapters: int = 12) -> None:
    with Library.open(db) as lib:
        project = lib.create_project("The Novel")
        for number in range(1, chapters + 1):
            lib.create_node(project.id, "chapter", f"Chapter {number}", text=f"Chapter {number}. {CHAPTER}")


def test_a_library_emptied_by_mistake_and_backed_up_many_times_keeps_an_older_full_backup(tmp_path):
    db, backups = tmp_path / "library.sqlite3", tmp_path / "backups"
    _full_library(db)
    with Library.open(db) as lib:
        full_words = lib.project_word_count(lib.find_project("The Novel").id)
        full = lib.make_backup(backups, keep=10)
        project = lib.find_project("The Novel")
        for node in lib.nodes(project.id):  # the mistake: every chapter deleted, the trash emptied
            lib.trash_node(node.id)
        lib.empty_trash(project.id)
        for _ in range(25):  # and then many backups of the emptied library (Back Up Now, days of starts)
            lib.make_backup(backups, keep=10)
    kept = list_backups(backups)
    assert full in [b.path for b in kept], "the last full copy was rotated away by copies of an empty library"
    assert backup_stats(full).words == full_words
    assert len(kept) <= 10 + 2  # the protection keeps one or two extra copies, not everything
    restore_backup(full, db)
    with Library.open(db) as lib:
        assert lib.project_word_count(lib.find_project("The Novel").id) == full_words


def test_a_two_step_shrink_keeps_the_largest_copy_too(tmp_path):
    db, backups = tmp_path / "library.sqlite3", tmp_path / "backups"
    _full_library(db, chapters=10)
    with Library.open(db) as lib:
        project = lib.find_project("The Novel")
        largest = lib.make_backup(backups, keep=3)
        for node in lib.nodes(project.id)[:6]:
            lib.trash_node(node.id)
        lib.empty_trash(project.id)
        for _ in range(5):
            lib.make_backup(backups, keep=3)
        for node in lib.nodes(project.id):
            lib.trash_node(node.id)
        lib.empty_trash(project.id)
        for _ in range(5):
            lib.make_backup(backups, keep=3)
    names = [b.path for b in list_backups(backups)]
    assert largest in names
    assert any(backup_stats(p).documents == 4 for p in names)  # the last copy before the second cut


def test_growing_back_ends_the_protection(tmp_path):
    db, backups = tmp_path / "library.sqlite3", tmp_path / "backups"
    _full_library(db, chapters=4)
    with Library.open(db) as lib:
        project = lib.find_project("The Novel")
        first = lib.make_backup(backups, keep=2)
        node = lib.nodes(project.id)[0]
        lib.trash_node(node.id)
        lib.empty_trash(project.id)
        lib.make_backup(backups, keep=2)
        lib.make_backup(backups, keep=2)
        assert first.exists()  # 4 -> 3 documents: markedly smaller, protected
        for number in range(5, 9):
            lib.create_node(project.id, "chapter", f"Chapter {number}", text=CHAPTER)
        lib.make_backup(backups, keep=2)
        lib.make_backup(backups, keep=2)
    assert not first.exists()
    assert len(list_backups(backups)) == 2


def test_generations_keep_one_a_day_for_a_week_and_one_a_week_for_two_months(tmp_path):
    db, backups = tmp_path / "library.sqlite3", tmp_path / "backups"
    _full_library(db, chapters=2)
    now = time.time()
    with Library.open(db) as lib:
        template = lib.make_backup(backups)
    made = []  # a backup every 6 hours for 90 days, newest first
    for step in range(1, 90 * 4 + 1):
        copy = backups / f"copy-{step}"
        shutil.copyfile(template, copy)
        made.append(rename_backup(copy, now - step * DAY / 4))
    template.unlink()
    prune_backups(backups, keep=10)
    kept = list_backups(backups)
    assert [b.path for b in kept[:10]] == made[:10]  # the newest ten
    days = {time.localtime(b.created_at)[:3] for b in kept}
    assert len(days) >= 7  # one a day for the last week
    weeks = {time.strftime("%G-%V", time.localtime(b.created_at)) for b in kept}
    assert len(weeks) >= 8  # and one a week for about two months
    assert (now - kept[-1].created_at) / DAY >= 6 * 7  # 8 weeks counting this one
    assert len(kept) <= 10 + 7 + 8
    assert made[-1] not in [b.path for b in kept]  # three months old: gone


def test_backups_leave_no_side_files_and_crash_leftovers_are_removed(tmp_path):
    db, backups = tmp_path / "library.sqlite3", tmp_path / "backups"
    _full_library(db, chapters=2)
    backups.mkdir()
    stale = backups / ".library-20200101-000000-000000.sqlite3.partial"
    stale.write_bytes(b"half a copy")
    (backups / ".library-20200101-000000-000000.sqlite3.partial-wal").write_bytes(b"")
    old = time.time() - PARTIAL_GRACE_SECONDS - 60
    for path in backups.iterdir():
        os.utime(path, (old, old))
    fresh = backups / ".library-29990101-000000-000000.sqlite3.partial"  # maybe being written right now
    fresh.write_bytes(b"in progress")
    orphan = backups / "library-20200101-000000-000000.sqlite3-shm"  # beside a backup pruned long ago
    orphan.write_bytes(b"\0" * 32768)
    with Library.open(db) as lib:
        first = lib.make_backup(backups)
        latest_good_backup(backups)  # reading a backup (a check) must not leave -wal/-shm either
        second = make_backup(db, backups)
        restore_backup(second, tmp_path / "restored.sqlite3")
    names = sorted(p.name for p in backups.iterdir())
    assert names == sorted([first.name, second.name, fresh.name])
