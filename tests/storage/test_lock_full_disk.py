"""The profile lock on a full disk or a read-only drive: one sentence, no handle left open, no stale lock."""

from __future__ import annotations

import subprocess

import pytest

from writer_app.errors import UserError
from writer_app.storage.lock import ProfileLock


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()}); needs root")


@pytest.fixture
def full_disk(tmp_path):
    """A 64 KiB tmpfs, filled to the last byte: writes fail with ENOSPC, as on a real full disk."""
    disk = tmp_path / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk))
    try:
        (disk / "profile.lock").touch()  # an earlier session left the (empty) lock file
        with open(disk / "filler", "wb", buffering=0) as handle:
            try:
                while True:
                    handle.write(b"\0" * 512)
            except OSError:
                pass
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_lock_on_a_full_disk_is_one_sentence_and_leaves_no_lock(full_disk):
    lock = ProfileLock(full_disk / "profile.lock")
    with pytest.raises(UserError) as refused:
        lock.acquire()
    assert str(refused.value) == f"could not write the lock file {full_disk}/profile.lock: the disk is full"
    assert not lock.held
    (full_disk / "filler").unlink()  # space again: the failed attempt held nothing
    with ProfileLock(full_disk / "profile.lock") as again:
        assert again.held


def test_lock_on_a_read_only_drive_is_one_sentence(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    _mount("--bind", str(folder), str(folder))
    try:
        _mount("-o", "remount,ro,bind", str(folder))
        with pytest.raises(UserError) as refused:
            ProfileLock(folder / "profile.lock").acquire()
        assert str(refused.value) == f"could not open the lock file {folder}/profile.lock: the drive is read-only"
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)
