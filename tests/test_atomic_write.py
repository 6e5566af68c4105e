"""A failed write leaves the previous file intact and no temporary behind; the file gets the
permissions a file the user creates would get, and a rename never lands on a pipe or a folder."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.atomic_write import atomic_write

REPO = str(Path(__file__).resolve().parent.parent)


def test_new_contents_replace_the_old(tmp_path):
    target = tmp_path / "settings.json"
    target.write_text("old", encoding="utf-8")
    with atomic_write(target) as handle:
        handle.write("new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_an_error_part_way_keeps_the_old_file(tmp_path):
    target = tmp_path / "export.md"
    target.write_text("the author's chapter", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write("half a chap")
            raise RuntimeError("disk gone")
    assert target.read_text(encoding="utf-8") == "the author's chapter"
    assert [p.name for p in tmp_path.iterdir()] == ["export.md"]


def test_bytes_mode(tmp_path):
    target = tmp_path / "data.bin"
    with atomic_write(target, "wb") as handle:
        handle.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_new_file_gets_the_umask_permissions_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "book.md") as handle:
            handle.write("words")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "book.md").stat().st_mode) == 0o644


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664])
def test_replacing_a_file_keeps_its_permissions(tmp_path, mode):
    target = tmp_path / "settings.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(mode)
    with atomic_write(target) as handle:
        handle.write("new")
    assert target.read_text(encoding="utf-8") == "new"
    assert stat.S_IMODE(target.stat().st_mode) == mode


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_rename_never_lands_on_a_pipe_or_a_folder(tmp_path):
    pipe, folder = tmp_path / "pipe", tmp_path / "folder"
    os.mkfifo(pipe)
    folder.mkdir()
    for target in (pipe, folder):
        with pytest.raises(OSError, match="not a regular file"):
            with atomic_write(target) as handle:
                handle.write("the manuscript")
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode) and folder.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "pipe"]


def test_without_replace_a_file_that_appeared_meanwhile_is_left_alone(tmp_path):
    target = tmp_path / "book.md"
    with pytest.raises(FileExistsError):
        with atomic_write(target, replace=False) as handle:
            handle.write("the export")
            target.write_text("saved by another program a moment ago", encoding="utf-8")
    assert target.read_text(encoding="utf-8") == "saved by another program a moment ago"
    assert [p.name for p in tmp_path.iterdir()] == ["book.md"]
    with atomic_write(tmp_path / "fresh.md", replace=False) as handle:
        handle.write("the export")
    assert (tmp_path / "fresh.md").read_text(encoding="utf-8") == "the export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.md", "fresh.md"]


@pytest.mark.skipif(os.name != "posix", reason="kill -9 and process ids")
def test_a_temporary_left_by_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "book.md"
    target.write_text("yesterday's export", encoding="utf-8")
    script = (
        "import os, signal, sys\n"
        "from writer_app.atomic_write import atomic_write\n"
        "with atomic_write(sys.argv[1]) as handle:\n"
        "    handle.write('half an export')\n"
        "    handle.flush()\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, str(target)], env={**os.environ, "PYTHONPATH": REPO},
                          capture_output=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    left = [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert len(left) == 1 and target.read_text(encoding="utf-8") == "yesterday's export"
    # A writer that is still running keeps its temporary; the dead one's goes.
    alive = tmp_path / f".book.md.{os.getppid()}.0123abcd.partial"
    alive.write_text("another process is writing", encoding="utf-8")
    other = tmp_path / ".notes.md.999999999.0123abcd.partial"
    other.write_text("someone else's file", encoding="utf-8")
    with atomic_write(target) as handle:
        handle.write("today's export")
    assert target.read_text(encoding="utf-8") == "today's export"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["book.md", alive.name, other.name])
