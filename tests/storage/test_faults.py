"""Faults a writer's machine really has: a full disk and a process killed mid-save."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from writer_app.errors import UserError
from writer_app.storage import Library

REPO = Path(__file__).resolve().parents[2]


def _kill_test_module():
    spec = importlib.util.spec_from_file_location("kill_test", REPO / "scripts" / "kill_test.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_disk_full_keeps_the_previous_text_and_recovers(lib, project):
    node = lib.create_node(project.id, "chapter", "C", text="the text before the disk filled up")
    conn = lib.connection
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite now answers SQLITE_FULL for real
    big = "many new words " * 20_000
    with pytest.raises(UserError, match="could not save: disk full"):
        lib.save_text(node.id, big)
    assert lib.get_text(node.id) == "the text before the disk filled up"
    assert lib.get_node(node.id).word_count == 7
    assert lib.search(project.id, "disk filled")[0].node_id == node.id
    with pytest.raises(UserError, match="disk full"):
        from writer_app.storage.importer import import_path

        (Path(lib.path).parent / "big.txt").write_text(big, encoding="utf-8")
        import_path(lib, Path(lib.path).parent / "big.txt")
    assert [s.project.title for s in lib.list_projects()] == [project.title]
    conn.execute("PRAGMA max_page_count = 1073741823")  # space is back
    assert lib.save_text(node.id, big).changed
    assert lib.get_text(node.id) == big
    assert lib.integrity_check() == ["ok"]


def test_disk_full_survives_reopen(tmp_path):
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as lib:
        p = lib.create_project("P")
        node = lib.create_node(p.id, "scene", "S", text="safe")
        pages = lib.connection.execute("PRAGMA page_count").fetchone()[0]
        lib.connection.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(UserError):
            lib.save_text(node.id, "x " * 100_000)
    with Library.open(path) as lib:
        assert lib.get_text(node.id) == "safe"
        assert lib.integrity_check() == ["ok"]


@pytest.mark.slow
def test_kill_9_during_saves_and_imports_never_tears_the_database(tmp_path):
    kill_test = _kill_test_module()
    assert kill_test.run(kills=15, folder=tmp_path, seed=7, verbose=False) == 0
    assert kill_test.verify(tmp_path / "library.sqlite3") == []
    with Library.open(tmp_path / "library.sqlite3") as lib:
        assert lib.integrity_check() == ["ok"]
        assert lib.find_project("kill test") is not None


def test_verifier_detects_a_torn_text(tmp_path):
    """The kill test must be able to fail: a text mixed from two versions is caught."""
    kill_test = _kill_test_module()
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as lib:
        p = lib.create_project("kill test")
        node = lib.create_node(p.id, "chapter", "doc 0", text=kill_test.make_text(0, 3))
        torn = kill_test.make_text(0, 3)[:40] + kill_test.make_text(0, 4)[40:]
        lib.connection.execute("UPDATE texts SET body = ? WHERE node_id = ?", (torn, node.id))
    assert kill_test.verify(path) != []
