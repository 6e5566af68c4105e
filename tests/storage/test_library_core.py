"""Projects, the document tree and the autosave path, on a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest

from writer_app.errors import UserError
from writer_app.storage import Library


def test_new_library_uses_wal_full_sync_and_foreign_keys(lib):
    conn = lib.connection
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert lib.integrity_check() == ["ok"]


def test_project_create_update_find_and_list(lib):
    p = lib.create_project("  My   Book ", author="Jo", language="en", word_target=80000)
    assert p.title == "My Book" and p.word_target == 80000
    assert lib.find_project("my book").id == p.id
    assert lib.find_project("nope") is None
    updated = lib.update_project(p.id, title="Renamed", word_target="1000")
    assert (updated.title, updated.word_target) == ("Renamed", 1000)
    with pytest.raises(UserError):
        lib.update_project(p.id, title="   ")
    with pytest.raises(UserError):
        lib.update_project(p.id, colour="red")
    with pytest.raises(UserError):
        lib.get_project(999)
    lib.create_node(p.id, "chapter", "One", text="one two three")
    folder = lib.create_node(p.id, "folder", "Part")
    lib.create_node(p.id, "scene", "S", parent_id=folder.id, text="four five")
    [summary] = lib.list_projects()
    assert summary.word_count == 5 and summary.document_count == 2
    assert lib.project_word_count(p.id) == 5


def test_save_updates_counts_and_survives_reopen(tmp_path):
    path = tmp_path / "lib.sqlite3"
    with Library.open(path) as lib:
        p = lib.create_project("CJK")
        n = lib.create_node(p.id, "chapter", "第一回")
        result = lib.save_text(n.id, "宝玉笑道：“好妹妹。” Hello world")
        assert result.changed and result.word_count == 7 + 2
        assert lib.save_text(n.id, "宝玉笑道：“好妹妹。” Hello world").changed is False
    with Library.open(path) as lib:
        node = lib.get_node(n.id)
        assert node.word_count == 9
        assert lib.get_text(n.id) == "宝玉笑道：“好妹妹。” Hello world"
        assert lib.project_word_count(p.id) == 9


def test_first_save_of_a_session_snapshots_the_old_text(tmp_path):
    path = tmp_path / "lib.sqlite3"
    with Library.open(path) as lib:
        p = lib.create_project("P")
        n = lib.create_node(p.id, "scene", "S", text="draft one")
        first = lib.save_text(n.id, "draft two")
        assert first.revision_id is not None
        assert lib.revision_text(first.revision_id) == "draft one"
        assert lib.save_text(n.id, "draft three").revision_id is None  # same session
    with Library.open(path) as lib:  # a new session snapshots again
        again = lib.save_text(n.id, "draft four")
        assert lib.revision_text(again.revision_id) == "draft three"
        assert [r.reason for r in lib.revisions(n.id)] == ["session-start", "session-start"]


def test_tree_create_move_trash_restore_and_empty(lib, project):
    pid = project.id
    part = lib.create_node(pid, "folder", "Part One")
    c1 = lib.create_node(pid, "chapter", "C1", parent_id=part.id, text="alpha words here")
    c2 = lib.create_node(pid, "chapter", "C2", parent_id=part.id)
    c0 = lib.create_node(pid, "chapter", "C0", parent_id=part.id, position=0)
    assert [n.title for n in lib.nodes(pid)] == ["Part One", "C0", "C1", "C2"]
    lib.move_node(c2.id, part.id, 0)
    assert [(n.title, n.position) for n in lib.nodes(pid)][1:] == [("C2", 0), ("C0", 1), ("C1", 2)]
    lib.move_node(c1.id, None, 0)
    assert [n.title for n in lib.nodes(pid)] == ["C1", "Part One", "C2", "C0"]
    with pytest.raises(UserError):
        lib.move_node(part.id, part.id, 0)
    lib.rename_node(c0.id, "Prologue")
    lib.trash_node(part.id)
    assert [n.title for n in lib.nodes(pid)] == ["C1"]
    assert [n.title for n in lib.trashed_nodes(pid)] == ["Part One"]
    assert lib.get_node(c2.id).trashed is True  # inside a trashed folder
    with pytest.raises(UserError):
        lib.restore_node(c2.id)
    with pytest.raises(UserError):
        lib.create_node(pid, "scene", "x", parent_id=part.id)
    lib.restore_node(part.id)
    assert [n.title for n in lib.nodes(pid)] == ["C1", "Part One", "C2", "Prologue"]
    lib.trash_node(c2.id)
    assert lib.empty_trash(pid) == 1
    with pytest.raises(UserError):
        lib.get_node(c2.id)
    assert lib.integrity_check() == ["ok"]


def test_folder_cannot_move_into_its_own_descendant(lib, project):
    outer = lib.create_node(project.id, "folder", "Outer")
    inner = lib.create_node(project.id, "folder", "Inner", parent_id=outer.id)
    with pytest.raises(UserError, match="inside itself"):
        lib.move_node(outer.id, inner.id, 0)


def test_restore_into_a_trashed_parent_goes_to_the_top_level(lib, project):
    folder = lib.create_node(project.id, "folder", "F")
    scene = lib.create_node(project.id, "scene", "S", parent_id=folder.id)
    lib.trash_node(scene.id)
    lib.trash_node(folder.id)
    lib.restore_node(scene.id)
    node = lib.get_node(scene.id)
    assert node.parent_id is None and node.trashed is False
    assert [n.title for n in lib.nodes(project.id)] == ["S"]


def test_bad_kind_and_unknown_ids_are_user_errors(lib, project):
    with pytest.raises(UserError, match="unknown kind"):
        lib.create_node(project.id, "poem", "x")
    with pytest.raises(UserError):
        lib.save_text(12345, "text")
    with pytest.raises(UserError):
        lib.get_text(12345)


def test_summary_round_trip(lib, project):
    n = lib.create_node(project.id, "chapter", "C")
    assert lib.get_summary(n.id) == ""
    lib.set_summary(n.id, "Elizabeth meets Darcy.")
    assert lib.get_summary(n.id) == "Elizabeth meets Darcy."


def test_batch_is_all_or_nothing(lib, project):
    with pytest.raises(RuntimeError):
        with lib.batch():
            lib.create_node(project.id, "chapter", "kept?", text="some text")
            raise RuntimeError("boom")
    assert lib.nodes(project.id) == []
    assert lib.search(project.id, "some text") == []


def test_not_a_database_is_refused_clearly(tmp_path):
    bad = tmp_path / "library.sqlite3"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(UserError, match="damaged|not an SQLite database"):
        Library.open(bad)
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="not a writer-app library"):
        Library.open(other)


def test_one_library_shared_by_a_worker_thread_and_the_main_thread(lib, project):
    import threading

    a = lib.create_node(project.id, "scene", "A")
    b = lib.create_node(project.id, "scene", "B")
    errors: list[BaseException] = []

    def autosave():
        try:
            for i in range(40):
                lib.save_text(a.id, f"worker draft {i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    worker = threading.Thread(target=autosave)
    worker.start()
    for i in range(40):
        lib.save_text(b.id, f"main draft {i}")
        lib.nodes(project.id)
        lib.search(project.id, "draft")
    worker.join()
    assert errors == []
    assert (lib.get_text(a.id), lib.get_text(b.id)) == ("worker draft 39", "main draft 39")
