"""An export can never destroy anything: not the library it comes from, not a link, a device
or a pipe, not an existing file without consent; it leaves no temporary when the disk fills."""

from __future__ import annotations

import os
import socket
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.faults import writes_fail_past
from writer_app.cli import main
from writer_app.errors import UserError
from writer_app.paths import profile_paths
from writer_app.storage import Library
from writer_app.storage.exporter import export_document, export_project

TEXT = "It was a dark and stormy night; the rain fell in torrents."


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


@pytest.fixture
def profile(tmp_path):
    """A real profile (library, backup, settings, lock) with one project in it, as the CLI sees it."""
    paths = profile_paths(tmp_path / "profile").ensure()
    with Library.open(paths.database) as lib:
        project = lib.create_project("Storm")
        lib.create_node(project.id, "chapter", "One", text=TEXT)
        lib.make_backup(paths.backups)
    paths.settings_file.write_text("{}", encoding="utf-8")
    paths.lock_file.write_text("", encoding="utf-8")
    (paths.adapters / "mine").mkdir()
    (paths.adapters / "mine" / "adapter_config.json").write_text("{}", encoding="utf-8")
    return paths


def library_is_intact(paths) -> bool:
    with Library.open(paths.database) as lib:
        project = lib.find_project("Storm")
        return lib.integrity_check() == ["ok"] and [lib.get_text(n.id) for n in lib.nodes(project.id)] == [TEXT]


def export_cli(capsys, paths, out, *extra):
    return run(capsys, "export", "--data-dir", paths.data, "--project", "Storm", "-o", out, *extra)


def one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err


# -- the profile's own files ------------------------------------------------------------------

@pytest.mark.parametrize("name", ["the file", "a dotted path", "a symlink", "a hard link", "its -wal"])
def test_export_never_writes_over_the_library_whatever_the_path_looks_like(capsys, profile, tmp_path, name):
    db = profile.database
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    if name == "the file":
        out = db
    elif name == "a dotted path":
        (profile.data / "x").mkdir()
        out = profile.data / "x" / ".." / db.name
    elif name == "a symlink":
        out = elsewhere / "book.md"
        out.symlink_to(db)
    elif name == "a hard link":
        out = elsewhere / "book.md"
        os.link(db, out)
    else:
        out = Path(f"{db}-wal")
    code, _, err = export_cli(capsys, profile, out, "--force")
    assert code == 2 and one_line(err), err
    assert library_is_intact(profile)
    if name == "a symlink":
        assert out.is_symlink() and out.resolve() == db.resolve()
    if name == "a hard link":
        assert os.stat(out).st_ino == os.stat(db).st_ino
    assert not leftovers(profile.data) and not leftovers(elsewhere)


def test_a_bare_library_protects_its_own_file_too(tmp_path):
    """Without a profile (scripts, tests) the library file and its journals are still off limits."""
    db = tmp_path / "library.sqlite3"
    with Library.open(db) as lib:
        project = lib.create_project("Storm")
        lib.create_node(project.id, "chapter", "One", text=TEXT)
        for target in (db, tmp_path / "." / db.name, Path(f"{db}-shm")):
            with pytest.raises(UserError, match="the library"):
                export_project(lib, project.id, "md", target, overwrite=True)
        assert lib.integrity_check() == ["ok"]
        assert lib.get_text(lib.nodes(project.id)[0].id) == TEXT


@pytest.mark.parametrize("where", ["backup", "settings", "lock", "adapter", "new file in data", "cache",
                                   "through a symlinked folder"])
def test_export_refuses_everything_inside_the_profile(capsys, profile, tmp_path, where):
    before = {}
    if where == "backup":
        out = next(profile.backups.glob("library-*.sqlite3"))
    elif where == "settings":
        out = profile.settings_file
    elif where == "lock":
        out = profile.lock_file
    elif where == "adapter":
        out = profile.adapters / "mine" / "adapter_config.json"
    elif where == "new file in data":
        out = profile.data / "book.md"
    elif where == "cache":
        out = profile.cache / "book.md"
    else:
        link = tmp_path / "innocent-folder"
        link.symlink_to(profile.backups, target_is_directory=True)
        out = link / "book.md"
    if out.exists():
        before[out] = out.read_bytes()
    code, _, err = export_cli(capsys, profile, out, "--force")
    assert code == 2 and one_line(err) and "profile" in err, err
    for path, data in before.items():
        assert path.read_bytes() == data
    if where in ("new file in data", "cache", "through a symlinked folder"):
        assert not out.exists()
    assert library_is_intact(profile)


def test_export_next_to_the_profile_is_fine(capsys, profile, tmp_path):
    out = tmp_path / "profile-export.md"  # a sibling whose name starts like the profile's folder
    code, _, err = export_cli(capsys, profile, out)
    assert code == 0, err
    assert TEXT in out.read_text(encoding="utf-8")


# -- anything that is not a regular file --------------------------------------------------------

def _make(kind: str, path: Path, tmp_path: Path) -> None:
    if kind == "symlink to a file":
        real = tmp_path / "real.md"
        real.write_text("the author's notes", encoding="utf-8")
        path.symlink_to(real)
    elif kind == "dangling symlink":
        path.symlink_to(tmp_path / "nowhere.md")
    elif kind == "named pipe":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
        (path / "inside.txt").write_text("kept", encoding="utf-8")
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        cwd = os.getcwd()
        os.chdir(path.parent)  # AF_UNIX paths are limited to ~100 bytes; bind by a short name
        try:
            sock.bind(path.name)
        finally:
            os.chdir(cwd)
        sock.close()
    elif kind == "device":
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is


KINDS = [
    ("symlink to a file", "a symbolic link", stat.S_ISLNK),
    ("dangling symlink", "a symbolic link", stat.S_ISLNK),
    ("named pipe", "a named pipe", stat.S_ISFIFO),
    ("folder", "a folder", stat.S_ISDIR),
    pytest.param("socket", "a socket", stat.S_ISSOCK,
                 marks=pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no unix sockets")),
    pytest.param("device", "a device", stat.S_ISCHR,
                 marks=pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                                          reason="only root can make a device node")),
]


@pytest.mark.parametrize(("kind", "said", "still"), KINDS)
def test_export_refuses_anything_but_a_regular_file_even_when_forced(tmp_path, kind, said, still):
    with Library.open(tmp_path / "library.sqlite3") as lib:
        project = lib.create_project("Storm")
        lib.create_node(project.id, "chapter", "One", text=TEXT)
        out = tmp_path / "o"
        _make(kind, out, tmp_path)
        for overwrite in (False, True):
            with pytest.raises(UserError) as caught:
                export_project(lib, project.id, "html", out, overwrite=overwrite)
            message = str(caught.value)
            assert said in message and "not a regular file" in message and "\n" not in message
        assert still(os.lstat(out).st_mode)
    if kind == "symlink to a file":
        assert (tmp_path / "real.md").read_text(encoding="utf-8") == "the author's notes"
    if kind == "folder":
        assert (out / "inside.txt").read_text(encoding="utf-8") == "kept"
    assert not leftovers(tmp_path)


def test_export_through_the_cli_refuses_a_pipe_without_hanging(capsys, profile, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    code, _, err = export_cli(capsys, profile, fifo, "--force")
    assert code == 2 and one_line(err) and "a named pipe" in err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


# -- an existing file, and the permissions of a new one ----------------------------------------------

def test_an_existing_file_is_replaced_only_with_consent_and_keeps_its_mode(lib, project, tmp_path):
    node = lib.create_node(project.id, "chapter", "One", text=TEXT)
    out = tmp_path / "book.md"
    out.write_text("last week's draft", encoding="utf-8")
    out.chmod(0o640)
    with pytest.raises(UserError, match="already exists"):
        export_project(lib, project.id, "md", out)
    with pytest.raises(UserError, match="already exists"):
        export_document(lib, node.id, "txt", out)
    assert out.read_text(encoding="utf-8") == "last week's draft"
    export_project(lib, project.id, "md", out, overwrite=True)
    assert TEXT in out.read_text(encoding="utf-8")
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert not leftovers(tmp_path)


def test_cli_needs_force_to_replace_an_existing_file(capsys, profile, tmp_path):
    out = tmp_path / "book.html"
    out.write_text("last week's export", encoding="utf-8")
    code, _, err = export_cli(capsys, profile, out, "--format", "html")
    assert code == 2 and one_line(err) and "already exists" in err and "--force" in err
    assert out.read_text(encoding="utf-8") == "last week's export"
    code, stdout, err = export_cli(capsys, profile, out, "--format", "html", "--force")
    assert code == 0, err
    assert TEXT in out.read_text(encoding="utf-8") and stdout.startswith("wrote ")


@contextmanager
def _umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_a_new_export_has_the_permissions_of_a_file_the_user_creates(lib, project, tmp_path, mask, mode):
    lib.create_node(project.id, "chapter", "One", text=TEXT)
    with _umask(mask):
        out = export_project(lib, project.id, "html", tmp_path / "book.html")
    assert stat.S_IMODE(out.stat().st_mode) == mode


# -- a full disk ------------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="needs RLIMIT_FSIZE")
@pytest.mark.parametrize("fmt", ["md", "html", "txt"])
def test_a_full_disk_fails_in_one_line_and_leaves_no_temporary(lib, project, tmp_path, fmt):
    lib.create_node(project.id, "chapter", "One", text=TEXT * 20_000)  # over a megabyte of output
    fresh, existing = tmp_path / f"new.{fmt}", tmp_path / f"old.{fmt}"
    existing.write_text("the export from yesterday", encoding="utf-8")
    failures = []
    for out, overwrite in ((fresh, False), (existing, True)):
        with writes_fail_past(64 * 1024):
            try:
                export_project(lib, project.id, fmt, out, overwrite=overwrite)
            except UserError as exc:  # kept for asserting after the limit is lifted
                failures.append(str(exc))
    assert len(failures) == 2, "an export reported success although the disk refused the writes"
    assert all(m.startswith("could not write ") and "\n" not in m for m in failures), failures
    assert "the file already there is unchanged" in failures[1]
    assert not fresh.exists()
    assert existing.read_text(encoding="utf-8") == "the export from yesterday"
    assert not leftovers(tmp_path)
