"""Schema versions: older files upgrade in place without losing data; newer ones are refused untouched."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from tests.storage.conftest import old_library
from writer_app.errors import UserError
from writer_app.storage import Library
from writer_app.storage.schema import SCHEMA_VERSION


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_version_1_file_upgrades_in_place_keeping_everything(tmp_path):
    path = old_library(tmp_path / "library.sqlite3", version=1)
    with Library.open(path) as lib:
        assert lib.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        [summary] = lib.list_projects()
        assert (summary.project.title, summary.word_count) == ("Old Book", 3)
        assert lib.get_text(1) == "old text here"
        assert lib.search(1, "old text")[0].node_id == 1
        assert lib.get_summary(1) == ""  # added by version 2
        lib.add_bible_entry(1, "character", "Someone")
        assert lib.integrity_check() == ["ok"]
    copy = tmp_path / "library.sqlite3.v1-before-upgrade"
    assert copy.exists()
    old = sqlite3.connect(copy)
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    assert old.execute("SELECT body FROM texts").fetchone()[0] == "old text here"
    old.close()


def test_file_from_a_newer_version_is_refused_and_not_modified(tmp_path):
    path = tmp_path / "library.sqlite3"
    Library.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    before = _digest(path)
    with pytest.raises(UserError, match="newer version of writer-app"):
        Library.open(path)
    assert _digest(path) == before
    assert not (tmp_path / "library.sqlite3-wal").exists()


def test_reopening_a_current_file_changes_nothing_in_the_schema(tmp_path):
    path = tmp_path / "library.sqlite3"
    with Library.open(path) as lib:
        lib.create_project("Keep")
    with Library.open(path) as lib:
        assert [s.project.title for s in lib.list_projects()] == ["Keep"]
    assert not list(tmp_path.glob("*before-upgrade"))
