"""Summaries carry who wrote them and whether the author approved them (schema version 3).

Real SQLite files in tmp folders: a library of the previous version (2) is opened and upgraded,
and its summaries, never reviewed, arrive as the assistant's and unapproved.
"""

from __future__ import annotations

import sqlite3

import pytest

from writer_app.errors import UserError
from writer_app.storage import Library
from writer_app.storage.salvage import salvage_library
from writer_app.storage.schema import SCHEMA_VERSION, migrate


def test_a_new_summary_is_the_assistants_and_unapproved(lib, project):
    node = lib.create_node(project.id, "chapter", "One", text="Mara crosses the river.")
    stored = lib.set_summary(node.id, "Mara crosses the river.")
    assert (stored.text, stored.by, stored.edited, stored.approved) == ("Mara crosses the river.", "assistant",
                                                                        False, False)
    assert stored.pending
    assert lib.get_node(node.id).summary_approved is False


def test_approving_with_the_same_text_is_not_an_edit_and_with_other_text_is(lib, project):
    one = lib.create_node(project.id, "chapter", "One")
    two = lib.create_node(project.id, "chapter", "Two")
    lib.set_summary(one.id, "Mara crosses the river.")
    lib.set_summary(two.id, "Mara meets Emily.")
    assert lib.approve_summary(one.id) == lib.summary(one.id)
    assert (lib.summary(one.id).approved, lib.summary(one.id).edited) == (True, False)
    approved = lib.approve_summary(two.id, "Mara meets the boatman.")
    assert (approved.text, approved.approved, approved.edited, approved.by) == (
        "Mara meets the boatman.", True, True, "assistant")
    node = lib.get_node(two.id)
    assert (node.summary, node.summary_approved, node.summary_edited) == ("Mara meets the boatman.", True, True)


def test_storing_approved_and_edited_at_once_and_clearing(lib, project):
    node = lib.create_node(project.id, "scene", "S")
    lib.set_summary(node.id, "  Edited by me.  ", approved=True, edited=True)
    assert lib.summary(node.id) == lib.summary(node.id).__class__(node.id, "Edited by me.", "assistant", True, True)
    lib.clear_summary(node.id)
    cleared = lib.summary(node.id)
    assert (cleared.text, cleared.approved, cleared.edited, cleared.pending) == ("", False, False, False)


def test_there_is_nothing_to_approve_without_a_summary(lib, project):
    node = lib.create_node(project.id, "chapter", "Empty")
    with pytest.raises(UserError, match="no summary to approve"):
        lib.approve_summary(node.id)
    with pytest.raises(UserError, match="no summary to approve"):
        lib.approve_summary(node.id, "   ")
    with pytest.raises(UserError):
        lib.set_summary(node.id, "x", by="someone")
    assert lib.summary(node.id).text == ""


def test_the_state_survives_reopening_the_file(tmp_path):
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as lib:
        project = lib.create_project("Book")
        node = lib.create_node(project.id, "chapter", "One")
        lib.set_summary(node.id, "Approved and edited.", approved=True, edited=True)
    with Library.open(path) as lib:
        assert lib.summary(node.id).approved and lib.summary(node.id).edited
    with Library.open(path, readonly=True) as lib:
        assert lib.nodes(project.id)[0].summary_approved is True


def _version_2_library(path) -> None:
    """A library as writer-app wrote it before summaries were reviewed: one summary, never approved."""
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, path, target=2) == 2
    conn.execute("INSERT INTO projects (title, author, language, word_target, created_at, updated_at)"
                 " VALUES ('Old Book', 'Me', 'en', 0, 't', 't')")
    for position, (title, summary) in enumerate((("One", "Mara lost her brother."), ("Two", ""))):
        conn.execute("INSERT INTO nodes (project_id, parent_id, kind, title, position, word_count, char_count,"
                     " trashed, created_at, updated_at, summary) VALUES (1, NULL, 'chapter', ?, ?, 0, 0, 0, 't', 't', ?)",
                     (title, position, summary))
        conn.execute("INSERT INTO texts (node_id, body) VALUES (?, '')", (position + 1,))
    conn.close()


def test_a_version_2_library_upgrades_and_its_summaries_await_approval(tmp_path):
    path = tmp_path / "library.sqlite3"
    _version_2_library(path)
    with Library.open(path) as lib:
        assert lib.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        old = lib.summary(1)
        assert (old.text, old.by, old.edited, old.approved, old.pending) == (
            "Mara lost her brother.", "assistant", False, False, True)
        assert lib.summary(2).pending is False  # no summary, nothing to review
        lib.approve_summary(1)
        assert lib.summary(1).approved
        assert lib.integrity_check() == ["ok"]
    copy = sqlite3.connect(tmp_path / "library.sqlite3.v2-before-upgrade")
    assert copy.execute("PRAGMA user_version").fetchone()[0] == 2
    assert copy.execute("SELECT summary FROM nodes WHERE id = 1").fetchone()[0] == "Mara lost her brother."
    copy.close()


def test_a_version_2_library_opened_read_only_shows_its_summaries_unapproved(tmp_path):
    path = tmp_path / "library.sqlite3"
    _version_2_library(path)
    with Library.open(path, readonly=True) as lib:
        assert lib.summary(1).pending
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2  # read-only never upgrades the file
    conn.close()


def test_salvage_keeps_the_review_state_and_an_old_file_salvages_unapproved(tmp_path):
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as lib:
        project = lib.create_project("Book")
        approved = lib.create_node(project.id, "chapter", "One")
        waiting = lib.create_node(project.id, "chapter", "Two")
        lib.set_summary(approved.id, "Kept.", approved=True, edited=True)
        lib.set_summary(waiting.id, "Waiting.")
    with Library.open(salvage_library(path, tmp_path / "saved.sqlite3") and tmp_path / "saved.sqlite3") as out:
        assert (out.summary(approved.id).approved, out.summary(approved.id).edited) == (True, True)
        assert out.summary(waiting.id).pending
    old = tmp_path / "old.sqlite3"
    _version_2_library(old)
    with Library.open(salvage_library(old, tmp_path / "old-saved.sqlite3") and tmp_path / "old-saved.sqlite3") as out:
        assert out.summary(1).text == "Mara lost her brother." and out.summary(1).pending
