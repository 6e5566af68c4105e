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
