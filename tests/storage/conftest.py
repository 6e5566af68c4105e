"""Fixtures for the library tests: a real SQLite file in tmp_path."""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from writer_app.storage import Library

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def old_library(path: Path, version: int) -> Path:
    """A library file as writer-app wrote it at schema ``version``: one project, one chapter, its text.

    For the upgrade tests: each later version must open it in place and keep all of it.
    """
    from writer_app.storage.schema import migrate

    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, path, target=version) == version
    conn.execute("INSERT INTO projects (title, author, language, word_target, created_at, updated_at)"
                 " VALUES ('Old Book', 'Me', 'en', 5000, 't', 't')")
    conn.execute("INSERT INTO nodes (project_id, parent_id, kind, title, position, word_count, char_count,"
                 " trashed, created_at, updated_at) VALUES (1, NULL, 'chapter', 'One', 0, 3, 11, 0, 't', 't')")
    conn.execute("INSERT INTO texts (node_id, body) VALUES (1, 'old text here')")
    conn.close()
    return path


@pytest.fixture
def lib(tmp_path):
    library = Library.open(tmp_path / "library.sqlite3")
    yield library
    library.close()


@pytest.fixture
def project(lib):
    return lib.create_project("The Novel", author="A. Writer")


@pytest.fixture
def pride_path(tmp_path) -> Path:
    """A writable copy of the Gutenberg Pride and Prejudice (BOM, CRLF, licence)."""
    target = tmp_path / "pride-and-prejudice.txt"
    shutil.copyfile(FIXTURES / "pride-and-prejudice.txt", target)
    return target


@pytest.fixture
def hongloumeng_path(tmp_path) -> Path:
    target = tmp_path / "hongloumeng-ch1-10.txt"
    shutil.copyfile(FIXTURES / "hongloumeng-ch1-10.txt", target)
    return target


def age_backup(path: Path, seconds: float) -> Path:
    """Rename a backup as if it had been taken ``seconds`` earlier (retention goes by the name)."""
    from writer_app.storage.backup import list_backups

    info = next(b for b in list_backups(path.parent) if b.path == path)
    return rename_backup(path, info.created_at - seconds)


def rename_backup(path: Path, when: float) -> Path:
    stamp = datetime.fromtimestamp(when, UTC).strftime("%Y%m%d-%H%M%S-%f")
    target = path.with_name(f"library-{stamp}.sqlite3")
    os.replace(path, target)
    return target


def damage_pages(db: Path, table: str = "texts") -> None:
    """Overwrite the header of a b-tree page of ``table`` in the middle of the file, as a failing
    disk would: SQLite's quick_check finds it, and reading that table may fail."""
    conn = sqlite3.connect(db)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = [row[0] for row in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,))]
    finally:
        conn.close()
    assert pages, f"{table} has no leaf page to damage"
    page = pages[len(pages) // 2]
    with open(db, "r+b") as handle:
        handle.seek((page - 1) * page_size + 8)
        handle.write(b"\x5a" * 32)
