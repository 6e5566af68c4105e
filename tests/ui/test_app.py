"""Start-up faults: a damaged database, a second instance, the smoke-exit switch, extensions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from writer_app.errors import UserError
from writer_app.storage import Library
from writer_app.storage.lock import ProfileLock
from writer_app.ui.app import build_main_window, install_extensions

REPO = Path(__file__).resolve().parents[2]


def corrupt(db: Path) -> None:
    """Overwrite the middle of the file with junk, as a failing disk would."""
    data = bytearray(db.read_bytes())
    for offset in range(4096, min(len(data), 4096 * 6)):
        data[offset] = 0x5A
    db.write_bytes(bytes(data))


def test_a_damaged_database_is_not_opened_and_the_backup_is_offered(qtbot, profile_dir):
    window = build_main_window(profile_dir, extensions=())
    window.editor.insertPlainText("Saved before the disk went bad.")
    qtbot.waitUntil(lambda: window.backups.last_backup is not None, timeout=5000)
    window.close()
    db = profile_dir / "library.sqlite3"
    for leftover in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        assert not leftover.exists() or leftover.stat().st_size >= 0
    corrupt(db)
    damaged = db.read_bytes()
    asked: list[tuple[str, Path]] = []

    def refuse(problem: str, backup: Path) -> bool:
        asked.append((problem, backup))
        return False

    with pytest.raises(UserError):
        build_main_window(profile_dir, ask_restore=refuse, extensions=())
    assert asked and asked[0][1].parent == profile_dir / "backups"
    assert db.read_bytes() == damaged  # nothing was written to the damaged file

    restored = build_main_window(profile_dir, ask_restore=lambda problem, backup: True, extensions=())
    qtbot.addWidget(restored)
    assert restored.library.integrity_check() == ["ok"]
    assert restored.current_project.title == "My Novel"
    restored.close()


def run_app_process(profile: Path, smoke_ms: int = 300) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WRITER_APP_SMOKE_EXIT_MS=str(smoke_ms),
               PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "writer_app", "--data-dir", str(profile)], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_the_app_starts_and_a_second_instance_is_refused(profile_dir):
    first = run_app_process(profile_dir)
    assert first.returncode == 0, first.stderr
    library = Library.open(profile_dir / "library.sqlite3")
    assert [p.project.title for p in library.list_projects()] == ["My Novel"]
    library.close()
    lock = ProfileLock(profile_dir / "profile.lock").acquire()
    try:
        second = run_app_process(profile_dir)
    finally:
        lock.release()
    assert second.returncode == 2
    assert "already open" in second.stderr
    assert "Traceback" not in second.stderr


def test_extensions_a_missing_module_is_skipped_but_a_broken_one_surfaces(qtbot, main_window, tmp_path,
                                                                          monkeypatch):
    assert install_extensions(main_window, ("writer_app.ui.no_such_extension",)) == []
    package = tmp_path / "broken_ext"
    package.mkdir()
    (package / "__init__.py").write_text("import a_module_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError):
        install_extensions(main_window, ("broken_ext",))
    good = tmp_path / "good_ext.py"
    good.write_text("def install(window):\n    window.good_ext_installed = True\n")
    assert install_extensions(main_window, ("good_ext",)) == ["good_ext"]
    assert main_window.good_ext_installed


def test_a_newer_library_is_refused_without_offering_an_old_backup(qtbot, profile_dir):
    import sqlite3

    window = build_main_window(profile_dir, extensions=())
    qtbot.waitUntil(lambda: window.backups.last_backup is not None, timeout=5000)
    window.close()
    conn = sqlite3.connect(profile_dir / "library.sqlite3")
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    asked = []
    with pytest.raises(UserError, match="newer version"):
        build_main_window(profile_dir, ask_restore=lambda *a: asked.append(a) or True, extensions=())
    assert asked == []


@pytest.mark.slow
def test_sigterm_closes_the_app_and_saves(tmp_path):
    """A logout sends SIGTERM: the window closes through its normal path (saving settings too)."""
    import signal
    import time

    profile = tmp_path / "profile"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    env.pop("WRITER_APP_SMOKE_EXIT_MS", None)
    child = subprocess.Popen([sys.executable, "-m", "writer_app", "--data-dir", str(profile)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    settings = profile / "config" / "settings.json"
    deadline = time.time() + 60
    while not (profile / "backups").exists() or not any((profile / "backups").iterdir()):
        assert time.time() < deadline and child.poll() is None, "the app did not start"
        time.sleep(0.2)
    child.send_signal(signal.SIGTERM)
    child.wait(60)
    assert child.returncode == 0, child.stderr.read()
    assert settings.exists() and "window" in settings.read_text(encoding="utf-8")


def _write_novel(qtbot, profile: Path, words: str) -> None:
    """Start the app on ``profile``, type ``words`` into the open chapter, close (saves)."""
    window = build_main_window(profile, extensions=())
    qtbot.addWidget(window)
    window.editor.insertPlainText(words)
    window.close()


def _backup_contents(profile: Path) -> list[str]:
    from writer_app.storage.backup import list_backups

    texts = []
    for info in list_backups(profile / "backups"):
        with Library.open(info.path, readonly=True) as lib:
            texts.append(" ".join(lib.get_text(n.id) for s in lib.list_projects() for n in lib.nodes(s.project.id)))
    return texts


NOVEL_TEXT = "The only copy of my novel, typed before the file went empty. " * 30


def test_eleven_starts_with_an_empty_library_lose_nothing(qtbot, profile_dir):
    """A 0-byte library used to open as a new one, and each start's backup rotated the novel away."""
    _write_novel(qtbot, profile_dir, NOVEL_TEXT)
    with Library.open(profile_dir / "library.sqlite3") as lib:  # "Back Up Now" after the writing
        lib.make_backup(profile_dir / "backups")
    assert any(NOVEL_TEXT.strip() in text for text in _backup_contents(profile_dir))
    db = profile_dir / "library.sqlite3"
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"")  # a sync tool or a full disk left the library empty
    asked: list[str] = []
    for _ in range(12):
        with pytest.raises(UserError) as info:
            build_main_window(profile_dir, ask_restore=lambda problem, backup: asked.append(problem) or False,
                              extensions=())
        assert "is empty (0 bytes)" in str(info.value) and "left as it is" in str(info.value)
    assert len(asked) == 12 and "the newest good backup is library-" in asked[0]
    assert db.stat().st_size == 0  # never replaced by a new library
    assert any(NOVEL_TEXT.strip() in text for text in _backup_contents(profile_dir))
    restored = build_main_window(profile_dir, ask_restore=lambda problem, backup: True, extensions=())
    qtbot.addWidget(restored)
    assert NOVEL_TEXT.strip() in restored.editor.toPlainText()
    assert any("Restored library-" in notice for notice in restored.startup_notices)
    restored.close()


def test_an_empty_library_and_no_backup_is_set_aside_and_said_so(qtbot, profile_dir):
    profile_dir.mkdir(parents=True)
    (profile_dir / "library.sqlite3").write_bytes(b"")
    window = build_main_window(profile_dir, ask_restore=lambda *a: pytest.fail("nothing to restore"),
                               extensions=())
    qtbot.addWidget(window)
    assert [n for n in window.startup_notices if "set aside as library.sqlite3.empty-" in n]
    assert [p.stat().st_size for p in profile_dir.glob("library.sqlite3.empty-*")] == [0]
    assert window.current_project.title == "My Novel"
    window.close()


def test_restarting_does_not_back_up_an_unchanged_library(qtbot, profile_dir):
    from writer_app.storage.backup import list_backups

    _write_novel(qtbot, profile_dir, "A few words.")
    for _ in range(3):
        window = build_main_window(profile_dir, extensions=())
        qtbot.addWidget(window)
        qtbot.waitUntil(lambda: window.db.pending == 0, timeout=5000)  # noqa: B023 - waited here
        window.close()
    assert len(list_backups(profile_dir / "backups")) == 1  # the first start's, not one per start


def test_a_busy_library_is_not_offered_a_restore(qtbot, profile_dir, monkeypatch):
    import sqlite3

    from writer_app.storage import db as storage_db

    _write_novel(qtbot, profile_dir, "Words that a restore would roll back.")
    monkeypatch.setattr(storage_db, "BUSY_TIMEOUT_MS", 100)
    monkeypatch.setattr(storage_db, "BUSY_RETRY_SECONDS", 0.5)
    holder = sqlite3.connect(profile_dir / "library.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program holds a write transaction past the busy timeout
    asked = []
    try:
        with pytest.raises(UserError) as info:
            build_main_window(profile_dir, ask_restore=lambda *a: asked.append(a) or True, extensions=())
    finally:
        holder.rollback()
        holder.close()
    assert asked == []
    assert "another program is using the library" in str(info.value)
    assert "integrity" not in str(info.value) and "damaged" not in str(info.value)


def test_the_restore_offer_says_what_the_backup_lacks_and_matches_the_cli(qtbot, profile_dir, capsys):
    from tests.storage.conftest import damage_pages
    from writer_app.cli import main

    _write_novel(qtbot, profile_dir, "Chapter one, in the backup. " * 50)
    with Library.open(profile_dir / "library.sqlite3") as lib:
        project = lib.list_projects()[0].project
        for number in range(2, 30):
            lib.create_node(project.id, "chapter", f"Chapter {number}", text=f"Chapter {number}, newer. " * 120)
    damage_pages(profile_dir / "library.sqlite3", "texts")
    (profile_dir.parent / "new.md").write_text("# New\n\nA chapter to import.\n", encoding="utf-8")
    assert main(["import", str(profile_dir.parent / "new.md"), "--data-dir", str(profile_dir)]) == 2
    cli_message = capsys.readouterr().err.strip().removeprefix("writer-app: error: ")
    asked: list[str] = []
    with pytest.raises(UserError):
        build_main_window(profile_dir, ask_restore=lambda problem, backup: asked.append(problem) or False,
                          extensions=())
    [problem] = asked
    shared = problem.split(" The backup lacks")[0]
    assert cli_message.startswith(shared)  # one message for the CLI and the editor
    assert "failed its integrity check" in shared
    # Chapter 1 was typed after the start-up backup too; the damaged texts table still names them all.
    assert "The backup lacks 29 documents changed after it" in problem and "“Chapter 2”" in problem
