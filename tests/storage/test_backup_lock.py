"""Rolling verified backups, restore, and the one-window-per-profile lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from tests.storage.conftest import age_backup
from writer_app.errors import UserError
from writer_app.storage import Library
from writer_app.storage.backup import (
    backup_if_due,
    latest_good_backup,
    list_backups,
    make_backup,
    restore_backup,
)
from writer_app.storage.lock import ProfileLock


def test_backups_are_verified_rolling_and_restorable(tmp_path):
    db = tmp_path / "library.sqlite3"
    backups = tmp_path / "backups"
    with Library.open(db) as lib:
        p = lib.create_project("B")
        n = lib.create_node(p.id, "chapter", "C", text="version one")
        first = make_backup(db, backups, keep=3)
        for i in range(4):
            lib.save_text(n.id, f"version {i + 2}")
            lib.make_backup(backups, keep=3)
        assert len(list_backups(backups)) == 3
        assert not first.exists()  # rolled out
        assert latest_good_backup(backups) == list_backups(backups)[0].path
        lib.save_text(n.id, "a mistake")
    restore_backup(latest_good_backup(backups), db)
    with Library.open(db) as lib:
        assert lib.get_text(n.id) == "version 5"
        assert lib.integrity_check() == ["ok"]
    assert list(tmp_path.glob("library.sqlite3.before-restore-*"))


def test_damaged_backup_is_skipped_and_refused(tmp_path):
    db = tmp_path / "library.sqlite3"
    backups = tmp_path / "backups"
    with Library.open(db) as lib:
        lib.create_project("B")
        good = lib.make_backup(backups)
    time.sleep(0.01)
    bad = backups / "library-99991231-000000-000000.sqlite3"
    bad.write_bytes(b"not a database" * 500)
    assert latest_good_backup(backups) == good
    with pytest.raises(UserError, match="damaged"):
        restore_backup(bad, db)


def test_backup_if_due_only_when_changed_and_interval_passed(tmp_path):
    db = tmp_path / "library.sqlite3"
    backups = tmp_path / "backups"
    with Library.open(db) as lib:
        p = lib.create_project("B")
        assert backup_if_due(lib, backups, interval_minutes=10) is not None  # first: always
        lib.create_node(p.id, "chapter", "C", text="new text")
        assert backup_if_due(lib, backups, interval_minutes=10) is None  # too soon
        old = age_backup(list_backups(backups)[0].path, 3600)
        made = backup_if_due(lib, backups, interval_minutes=10)
        assert made is not None and made != old
        assert backup_if_due(lib, backups, interval_minutes=0) is None  # nothing changed since
        age_backup(made, 3600)
        assert backup_if_due(lib, backups, interval_minutes=10) is None  # old, but nothing changed


def test_reopening_an_unchanged_library_makes_no_new_backup(tmp_path):
    """The app used to back up on every start; now only when the content differs from the newest."""
    db = tmp_path / "library.sqlite3"
    backups = tmp_path / "backups"
    with Library.open(db) as lib:
        lib.create_node(lib.create_project("B").id, "chapter", "C", text="some words")
        age_backup(lib.make_backup(backups), 86_400)
    for _ in range(12):
        with Library.open(db) as lib:
            lib.integrity_check()
            assert backup_if_due(lib, backups, interval_minutes=10) is None
    assert len(list_backups(backups)) == 1


def test_profile_lock_blocks_a_second_instance_and_frees_on_death(tmp_path):
    lock_file = tmp_path / "profile.lock"
    with ProfileLock(lock_file):
        with pytest.raises(UserError, match=rf"already open in another writer-app window \(pid {os.getpid()}\)"):
            ProfileLock(lock_file).acquire()
    ProfileLock(lock_file).acquire().release()  # released: free again

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from writer_app.storage.lock import ProfileLock; "
         f"lock = ProfileLock({str(lock_file)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(UserError, match=f"pid {holder.pid}"):
            ProfileLock(lock_file).acquire()
    finally:
        holder.kill()
        holder.wait()
    ProfileLock(lock_file).acquire().release()  # kill -9 never leaves a stale lock
