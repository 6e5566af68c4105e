"""The library commands on damaged, empty, busy and read-only libraries, as a user runs them."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.storage.conftest import damage_pages
from tests.storage.test_open_safety import readonly_mount  # noqa: F401 - a fixture
from writer_app.cli import main
from writer_app.paths import profile_paths
from writer_app.storage import Library, db

NOVEL = "# Chapter 1\n\n" + "It was the best of times, it was the worst of times. " * 200 + "\n\n" + \
        "# Chapter 2\n\n" + "There were a king with a large jaw and a queen with a plain face. " * 200 + "\n"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("library.sqlite3*"))}


@pytest.fixture
def profile(tmp_path, capsys):
    """A profile holding a two-chapter novel and one verified backup of it."""
    data = tmp_path / "profile"
    source = tmp_path / "novel.md"
    source.write_text(NOVEL, encoding="utf-8")
    code, _, err = run(capsys, "import", source, "--project", "The Novel", "--data-dir", data)
    assert code == 0, err
    paths = profile_paths(data)
    with Library.open(paths.database) as lib:
        lib.make_backup(paths.backups)
    return paths


def _one_line(err: str) -> str:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


def test_import_refuses_a_library_that_fails_the_quick_check(capsys, profile, tmp_path):
    extra = tmp_path / "more.md"
    extra.write_text("# Chapter 3\n\nMore words.\n", encoding="utf-8")
    damage_pages(profile.database, "texts")
    before = _digest(profile.data)
    code, out, err = run(capsys, "import", extra, "--project", "The Novel", "--data-dir", profile.data)
    assert code == 2, out
    line = _one_line(err)
    assert "failed its integrity check" in line and "it was not changed" in line
    assert "the newest good backup is library-" in line
    assert _digest(profile.data) == before  # not a byte written


def test_export_and_projects_say_the_library_is_damaged(capsys, profile, tmp_path):
    damage_pages(profile.database, "texts")
    out_file = tmp_path / "out.md"
    code, _, err = run(capsys, "export", "--project", "The Novel", "-o", out_file, "--data-dir", profile.data)
    assert code == 2 and not out_file.exists()
    assert "failed its integrity check" in _one_line(err) and "--salvage" in err
    code, _, err = run(capsys, "projects", "--data-dir", profile.data)
    assert code == 2 and "failed its integrity check" in _one_line(err)


def test_check_lists_the_problems_and_the_backup_then_salvages_and_restores(capsys, profile, tmp_path):
    with Library.open(profile.database) as lib:  # written after the backup: the backup lacks it
        project = lib.find_project("The Novel")
        lib.create_node(project.id, "chapter", "Chapter 3", text="Written after the last backup. " * 20)
    damage_pages(profile.database, "texts")
    code, out, err = run(capsys, "check", "--data-dir", profile.data)
    assert code == 1
    assert "damaged" in out and "problem(s)" in out
    assert "latest good library-" in out
    assert "The backup lacks 1 document changed after it" in out and "“Chapter 3”" in out
    assert "failed its integrity check" in _one_line(err)

    salvaged = tmp_path / "salvaged"
    code, out, _ = run(capsys, "check", "--salvage", salvaged, "--data-dir", profile.data)
    assert code == 1 and "salvaged 1 project(s)" in out
    code, out, err = run(capsys, "projects", "--data-dir", salvaged)
    assert code == 0 and out.startswith("The Novel: "), err

    before = profile.database.read_bytes()
    code, out, err = run(capsys, "check", "--restore", "--data-dir", profile.data)
    assert code == 0, err
    assert "restored library-" in out and "the damaged file is kept as" in out
    [aside] = [p for p in profile.data.glob("library.sqlite3.before-restore-*") if not p.name.endswith("-wal")]
    assert aside.read_bytes() == before
    code, out, _ = run(capsys, "check", "--data-dir", profile.data)
    assert code == 0 and ": ok" in out
    code, out, _ = run(capsys, "projects", "--data-dir", profile.data)
    assert code == 0 and "in 2 documents" in out


def test_reading_commands_while_another_program_writes_are_not_damage(capsys, profile, tmp_path, monkeypatch):
    """`check` during a long import used to say "failed its integrity check: database is locked"."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(db, "BUSY_RETRY_SECONDS", 0.5)
    holder = sqlite3.connect(profile.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # e.g. a long import in another process
    holder.execute("UPDATE nodes SET title = 'half-imported'")
    try:
        code, out, err = run(capsys, "check", "--data-dir", profile.data)
        assert code == 0 and ": ok" in out, err  # the committed library is checked (search index on a copy)
        assert "integrity" not in err and "damaged" not in out + err
        code, out, err = run(capsys, "projects", "--data-dir", profile.data)
        assert code == 0 and "in 2 documents" in out, err
        exported = tmp_path / "during.md"
        code, _, err = run(capsys, "export", "--project", "The Novel", "-o", exported, "--data-dir", profile.data)
        assert code == 0, err
        assert "half-imported" not in exported.read_text(encoding="utf-8")  # only committed text
    finally:
        holder.rollback()
        holder.close()


def test_an_empty_library_file_is_reported_by_every_command(capsys, profile, tmp_path):
    profile.database.write_bytes(b"")
    for argv in (["projects"], ["check"], ["export", "--project", "The Novel", "-o", tmp_path / "o.md"],
                 ["import", tmp_path / "novel.md"]):
        code, _, err = run(capsys, *argv, "--data-dir", profile.data)
        assert code in (1, 2), argv
        line = _one_line(err)
        assert "is empty (0 bytes)" in line and "the newest good backup is library-" in line, argv
    assert profile.database.stat().st_size == 0
    code, out, err = run(capsys, "check", "--restore", "--data-dir", profile.data)
    assert code == 0, err
    code, out, _ = run(capsys, "projects", "--data-dir", profile.data)
    assert code == 0 and out.startswith("The Novel: ")


def test_an_empty_library_with_no_backup_is_set_aside_and_said_so(capsys, tmp_path):
    data = tmp_path / "profile"
    data.mkdir()
    (data / "library.sqlite3").write_bytes(b"")
    source = tmp_path / "novel.md"
    source.write_text(NOVEL, encoding="utf-8")
    code, out, err = run(capsys, "import", source, "--data-dir", data)
    assert code == 0, err
    assert err.startswith("writer-app: note: The library file ") and "set aside as library.sqlite3.empty-" in err
    assert [p.stat().st_size for p in data.glob("library.sqlite3.empty-*")] == [0]


def test_reading_commands_work_on_read_only_media(capsys, readonly_mount, tmp_path):  # noqa: F811
    rw, ro = readonly_mount
    source = tmp_path / "novel.md"
    source.write_text(NOVEL, encoding="utf-8")
    code, _, err = run(capsys, "import", source, "--project", "The Novel", "--data-dir", rw)
    assert code == 0, err
    with Library.open(rw / "library.sqlite3") as lib:
        lib.make_backup(rw / "backups")
    before = sorted(p.name for p in rw.rglob("*"))
    code, out, err = run(capsys, "projects", "--data-dir", ro)
    assert code == 0 and out.startswith("The Novel: "), err
    code, out, err = run(capsys, "check", "--data-dir", ro)
    assert code == 0 and ": ok" in out and "latest good library-" in out, err
    exported = tmp_path / "exported.md"
    code, out, err = run(capsys, "export", "--project", "The Novel", "-o", exported, "--data-dir", ro)
    assert code == 0, err
    assert "It was the best of times" in exported.read_text(encoding="utf-8")
    assert sorted(p.name for p in rw.rglob("*")) == before


def test_check_in_a_subprocess_while_another_process_holds_the_write_lock(profile):
    """The real command with its real busy timeout, while another process is in a write transaction."""
    import sys

    holder = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
         "c.execute('BEGIN IMMEDIATE'); print('held', flush=True); time.sleep(120)", str(profile.database)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        done = subprocess.run([sys.executable, "-m", "writer_app", "check", "--data-dir", str(profile.data)],
                              capture_output=True, text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": ok" in done.stdout and done.stderr == ""
