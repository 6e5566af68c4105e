"""Import reads only regular files, within its cap, and says what it skipped.

The hostile cases (a FIFO, /dev/zero behind a .txt link) run the real CLI in a
child process with a timeout and an address-space limit: if the fix regresses,
the child blocks or runs out of memory and the test fails, instead of hanging
the suite or eating the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.errors import UserError
from writer_app.storage import Library, importer
from writer_app.storage.importer import import_path, natural_key, plan_import
from writer_app.storage.source_files import read_regular_file

REPO = Path(__file__).resolve().parents[2]
CHILD_TIMEOUT_S = 90
CHILD_MEMORY = 1 << 31  # 2 GiB of address space: a reader of /dev/zero dies, a correct import does not

needs_posix = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes and /dev are POSIX")


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))


def run_cli(*argv: str) -> subprocess.CompletedProcess:
    """``writer-app ARGV`` in a child that cannot hang the suite or take all the memory."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        return subprocess.run([sys.executable, "-m", "writer_app", *argv], capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT_S, env=env, preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"writer-app {' '.join(argv)} did not finish in {CHILD_TIMEOUT_S} s (blocked on the file?)")


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


def no_library(data: Path) -> bool:
    database = data / "library.sqlite3"
    if not database.exists():
        return True
    with Library.open(database) as lib:
        return lib.list_projects() == []


@needs_posix
def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "chapter.txt"
    os.mkfifo(fifo)
    data = tmp_path / "profile"
    line = one_error_line(run_cli("import", str(fifo), "--data-dir", str(data)))
    assert "chapter.txt is a named pipe" in line and "regular file" in line
    assert no_library(data)


@needs_posix
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_link_to_an_endless_device_is_refused(tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"{device} is missing")
    link = tmp_path / "novel.txt"
    link.symlink_to(device)
    data = tmp_path / "profile"
    line = one_error_line(run_cli("import", str(link), "--data-dir", str(data)))
    assert "novel.txt is a character device" in line
    assert no_library(data)


def test_a_symlink_loop_is_called_a_loop(lib, tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    with pytest.raises(UserError, match="symbolic link loop"):
        import_path(lib, tmp_path / "a.txt")
    dangling = tmp_path / "gone.txt"
    dangling.symlink_to(tmp_path / "deleted.txt")
    with pytest.raises(UserError, match=r"gone\.txt is a link to .*deleted\.txt, which does not exist"):
        import_path(lib, dangling)
    assert lib.list_projects() == []


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_the_cap_holds_while_reading_whatever_the_file_claims(lib, tmp_path, monkeypatch):
    # /proc files are regular files that say they are 0 bytes long and then deliver more.
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0 and len(status.read_bytes()) > 300
    link = tmp_path / "status.txt"
    link.symlink_to(status)
    monkeypatch.setattr(importer, "MAX_FILE_BYTES", 200)
    with pytest.raises(UserError, match="more than"):
        import_path(lib, link)
    assert lib.list_projects() == []
    assert len(read_regular_file(link, 10_000)) > 300  # under a generous cap it reads it all


@needs_posix
def test_pipes_and_devices_inside_a_folder_are_skipped_with_a_note(tmp_path):
    folder = tmp_path / "Book"
    folder.mkdir()
    (folder / "ch1.txt").write_text("The first chapter.", encoding="utf-8")
    os.mkfifo(folder / "ch2.txt")
    (folder / "ch3.txt").symlink_to("/dev/zero")
    (folder / "ch4.txt").symlink_to(folder / "ch4.txt")  # a loop of one
    data = tmp_path / "profile"
    proc = run_cli("import", str(folder), "--data-dir", str(data))
    assert proc.returncode == 0, proc.stderr
    assert "1 documents" in proc.stdout
    notes = proc.stderr
    assert "ch2.txt: it is a named pipe" in notes and "ch3.txt: it is a character device" in notes
    assert "ch4.txt: it is a symbolic link loop" in notes
    with Library.open(data / "library.sqlite3") as lib:
        [summary] = lib.list_projects()
        assert [n.title for n in lib.nodes(summary.project.id)] == ["ch1"]


def _tree(lib, project_id):
    nodes = lib.nodes(project_id)
    by_id = {n.id: n for n in nodes}

    def depth(node):
        return 0 if node.parent_id is None else 1 + depth(by_id[node.parent_id])

    return [("  " * depth(n) + n.kind, n.title) for n in nodes]


def test_subfolders_become_binder_folders_in_natural_order(lib, tmp_path):
    book = tmp_path / "Trilogy"
    for part in ("Part 10", "Part 2", "Part 1"):
        (book / part).mkdir(parents=True)
    (book / "Part 1" / "ch2.txt").write_text("two", encoding="utf-8")
    (book / "Part 1" / "ch10.txt").write_text("ten", encoding="utf-8")
    (book / "Part 1" / "Scenes").mkdir()
    (book / "Part 1" / "Scenes" / "s1.md").write_text("a scene", encoding="utf-8")
    (book / "Part 2" / "only.txt").write_text("alone", encoding="utf-8")
    (book / "Part 10" / "last.txt").write_text("the end", encoding="utf-8")
    (book / "Prologue.txt").write_text("Before it all.", encoding="utf-8")
    (book / "Empty").mkdir()
    (book / "Pictures").mkdir()
    (book / "Pictures" / "cover.png").write_bytes(b"\x89PNG")
    for hidden in (".git", "__MACOSX"):
        (book / hidden).mkdir()
        (book / hidden / "junk.txt").write_text("not a chapter", encoding="utf-8")
    (book / ".notes.txt").write_text("hidden", encoding="utf-8")
    (book / "Part 2" / "again").symlink_to(book)  # a loop back up
    project = import_path(lib, book)
    assert project.title == "Trilogy"
    assert _tree(lib, project.id) == [
        ("folder", "Part 1"), ("  chapter", "ch2"), ("  chapter", "ch10"), ("  folder", "Scenes"),
        ("    chapter", "s1"),
        ("folder", "Part 2"), ("  chapter", "only"),
        ("folder", "Part 10"), ("  chapter", "last"),
        ("chapter", "Prologue"),
    ]
    assert lib.project_word_count(project.id) == 1 + 1 + 2 + 1 + 2 + 3


def test_a_folder_link_back_up_is_noted_not_followed(tmp_path):
    book = tmp_path / "Book"
    (book / "Part 1").mkdir(parents=True)
    (book / "Part 1" / "one.txt").write_text("one", encoding="utf-8")
    (book / "Part 1" / "loop").symlink_to(book)
    (book / "Alias").symlink_to(book / "Part 1")
    plan = plan_import(book)
    assert [(line.depth, line.kind, line.title) for line in plan.outline()] == [
        (0, "folder", "Part 1"), (1, "chapter", "one")]
    assert "skipped Alias: a link to a folder inside this import (imported where it really is)" in plan.notes
    assert "skipped Part 1/loop: a link back to a folder above it" in plan.notes


def test_natural_key_handles_any_digits():
    names = ["Part 10", "part 2", "Part 1", "²", "第１２章", "第２章", "10", "9"]
    assert sorted(names, key=natural_key) == ["9", "10", "Part 1", "part 2", "Part 10", "²", "第２章", "第１２章"]


def test_undecodable_file_names_are_shown_readably(tmp_path):
    folder = os.fsencode(tmp_path)
    bad = os.path.join(folder, b"draft\xff.txt")
    with open(bad, "wb") as handle:
        handle.write(b"\x00\x01\x02" * 100)
    line = one_error_line(run_cli("import", os.fsdecode(bad), "--data-dir", str(tmp_path / "profile")))
    assert "draft\ufffd.txt is not a text file" in line and "\\udcff" not in line
