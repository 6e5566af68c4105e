"""Opening the library: only a missing file is new, busy is never damage, read-only media read."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.storage.conftest import damage_pages
from writer_app.errors import UserError
from writer_app.storage import Library, db


def _novel(path: Path, words: str = "The first chapter of the only copy of my novel.") -> int:
    with Library.open(path) as lib:
        project = lib.create_project("The Novel")
        return lib.create_node(project.id, "chapter", "Chapter 1", text=words).id


@pytest.mark.parametrize("content, found", [
    (b"", "is empty (0 bytes)"),
    (b"\0" * 8192, "is not an SQLite database (its first bytes are all zero)"),
    (b"My novel, pasted into the wrong file by mistake." * 20, "is not an SQLite database (it begins with"),
])
def test_an_empty_or_unrecognisable_file_is_reported_and_never_replaced_by_a_new_library(tmp_path, content, found):
    from writer_app.storage.db import LibraryDamagedError

    path = tmp_path / "library.sqlite3"
    path.write_bytes(content)
    for readonly in (False, True):
        with pytest.raises(LibraryDamagedError, match=re.escape(found)) as info:
            Library.open(path, readonly=readonly)
        assert "\n" not in str(info.value) and "it was not changed" in str(info.value)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["library.sqlite3"]  # no -wal, no -journal


def test_a_missing_file_is_a_new_library(tmp_path):
    with Library.open(tmp_path / "profile" / "library.sqlite3") as lib:
        assert lib.list_projects() == []
        assert lib.quick_check() == ["ok"]


def test_a_damaged_page_fails_the_quick_check(tmp_path):
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as lib:
        project = lib.create_project("The Novel")
        for number in range(40):
            lib.create_node(project.id, "chapter", f"Chapter {number}", text=f"chapter {number} " * 300)
    damage_pages(path, "texts")
    with Library.open(path) as lib:
        problems = lib.quick_check()
        assert problems != ["ok"]
        assert lib.integrity_check() != ["ok"]


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another program in the middle of a long write transaction."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE projects SET author = 'someone else'")
    return holder


@pytest.fixture
def short_waits(monkeypatch):
    """SQLite's busy timeout and our retry window, shortened so the test does not wait 25 s."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(db, "BUSY_RETRY_SECONDS", 0.5)


def test_a_library_held_busy_by_another_program_is_busy_not_damaged(tmp_path, short_waits):
    from writer_app.storage.db import LibraryBusyError, LibraryDamagedError

    path = tmp_path / "library.sqlite3"
    _novel(path)
    holder = _hold_write_lock(path)
    try:
        with Library.open(path) as lib:  # reading works while another program writes (WAL)
            assert lib.quick_check() == ["ok"]
            with pytest.raises(LibraryBusyError) as info:
                lib.integrity_check()
        message = str(info.value)
        assert "another program is using the library" in message
        assert "integrity" not in message and "damaged" not in message
        assert not isinstance(info.value, LibraryDamagedError)
    finally:
        holder.rollback()
        holder.close()
    with Library.open(path) as lib:
        assert lib.integrity_check() == ["ok"]


def test_a_lock_released_while_we_retry_is_waited_out(tmp_path, monkeypatch):
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(db, "BUSY_RETRY_SECONDS", 60.0)
    path = tmp_path / "library.sqlite3"
    _novel(path)
    holder = _hold_write_lock(path)
    released = threading.Timer(0.6, lambda: (holder.rollback(), holder.close()))
    released.start()
    try:
        with Library.open(path) as lib:
            assert lib.integrity_check() == ["ok"]
    finally:
        released.join()


def test_opening_an_old_library_that_another_program_holds_is_busy(tmp_path, short_waits):
    """An upgrade needs the write lock: busy while it is held, never 'damaged'."""
    from writer_app.storage.db import LibraryBusyError

    path = tmp_path / "library.sqlite3"
    _novel(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 1")
    for column in ("summary", "summary_by", "summary_edited", "summary_approved"):
        conn.execute(f"ALTER TABLE nodes DROP COLUMN {column}")
    conn.execute("DROP TABLE bible_entries")
    conn.execute("DROP TABLE adapters")
    conn.execute("DROP TABLE project_goals")  # version 4
    conn.execute("DROP TABLE words_by_day")
    conn.execute("ALTER TABLE projects DROP COLUMN trashed_at")  # version 5
    conn.commit()
    conn.close()
    holder = _hold_write_lock(path)
    try:
        with pytest.raises(LibraryBusyError, match="another program is using the library"):
            Library.open(path)
    finally:
        holder.rollback()
        holder.close()
    with Library.open(path) as lib:
        assert lib.get_text(1).startswith("The first chapter")


# -- read-only media -----------------------------------------------------------------------

@pytest.fixture
def readonly_mount(tmp_path):
    """``tmp_path/ro``: a read-only bind mount of ``tmp_path/rw`` (root cannot write through it)."""
    rw, ro = tmp_path / "rw", tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("a read-only bind mount needs root on Linux (the chmod test covers other users)")
    done = subprocess.run(["mount", "--bind", str(rw), str(ro)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mount is not permitted here: {done.stderr.strip()}")
    try:
        remount = subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], capture_output=True, text=True)
        if remount.returncode != 0:
            pytest.skip(f"remounting read-only is not permitted here: {remount.stderr.strip()}")
        yield rw, ro
    finally:
        subprocess.run(["umount", str(ro)], check=False)


def test_a_library_on_read_only_media_opens_read_only(readonly_mount):
    rw, ro = readonly_mount
    node_id = _novel(rw / "library.sqlite3")
    with pytest.raises(OSError):
        (ro / "probe").write_text("x")  # the mount really is read-only, even for root
    with Library.open(ro / "library.sqlite3", readonly=True) as lib:
        assert lib.readonly
        assert lib.get_text(node_id).startswith("The first chapter")
        assert lib.integrity_check() == ["ok"]  # the FTS check runs on a private copy
        with pytest.raises(UserError, match="opened read-only"):
            lib.save_text(node_id, "new words")
    assert sorted(p.name for p in rw.iterdir()) == ["library.sqlite3"]


def test_read_only_media_with_a_wal_still_shows_the_newest_saves(readonly_mount):
    """The editor was killed, then the stick was made read-only: the WAL holds the last saves."""
    rw, ro = readonly_mount
    path = rw / "library.sqlite3"
    node_id = _novel(path)
    writer = Library.open(path)
    writer.connection.execute("PRAGMA wal_autocheckpoint = 0")
    writer.save_text(node_id, "saved into the WAL only")
    snapshot = rw.parent / "snapshot"
    snapshot.mkdir()
    for suffix in ("", "-wal"):  # the files as a kill -9 leaves them
        Path(f"{snapshot / 'library.sqlite3'}{suffix}").write_bytes(Path(f"{path}{suffix}").read_bytes())
    writer.close()
    for child in rw.iterdir():
        child.unlink()
    for child in snapshot.iterdir():
        (rw / child.name).write_bytes(child.read_bytes())
    assert (ro / "library.sqlite3-wal").stat().st_size > 0
    with Library.open(ro / "library.sqlite3", readonly=True) as lib:
        assert lib.get_text(node_id) == "saved into the WAL only"
    assert sorted(p.name for p in rw.iterdir()) == ["library.sqlite3", "library.sqlite3-wal"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions (the bind-mount test covers root)")
def test_a_read_only_folder_opens_read_only(tmp_path):
    folder = tmp_path / "stick"
    node_id = _novel(folder / "library.sqlite3")
    os.chmod(folder / "library.sqlite3", 0o444)
    os.chmod(folder, 0o555)
    try:
        with Library.open(folder / "library.sqlite3", readonly=True) as lib:
            assert lib.get_text(node_id).startswith("The first chapter")
            assert lib.integrity_check() == ["ok"]
    finally:
        os.chmod(folder, 0o755)
