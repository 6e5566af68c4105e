"""Schema and migrations, versioned with ``PRAGMA user_version``.

Each migration is a function that takes the file from version N to N+1 and
runs in its own transaction (SQLite DDL is transactional), so a crash half-way
leaves the file at version N, untouched. Before upgrading an existing file we
keep a verified copy next to it. A file written by a newer writer-app is
refused and left exactly as it is.

Document text lives in its own table (``texts``), one row per node, so an
autosave rewrites one row; the full-text index (``texts_fts``, FTS5 with the
trigram tokenizer, external content) is kept in sync by triggers that touch
only that row's entries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from writer_app.errors import UserError

_V1 = """
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'en',
    word_target INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE nodes (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES nodes(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('folder', 'chapter', 'scene', 'note')),
    title TEXT NOT NULL,
    position INTEGER NOT NULL,
    word_count INTEGER NOT NULL DEFAULT 0,
    char_count INTEGER NOT NULL DEFAULT 0,
    trashed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX nodes_by_parent ON nodes(project_id, parent_id, position);
CREATE TABLE texts (
    node_id INTEGER PRIMARY KEY REFERENCES nodes(id) ON DELETE CASCADE,
    body TEXT NOT NULL
);
CREATE VIRTUAL TABLE texts_fts USING fts5(
    body, content='texts', content_rowid='node_id', tokenize='trigram'
);
CREATE TRIGGER texts_after_insert AFTER INSERT ON texts BEGIN
    INSERT INTO texts_fts(rowid, body) VALUES (new.node_id, new.body);
END;
CREATE TRIGGER texts_after_delete AFTER DELETE ON texts BEGIN
    INSERT INTO texts_fts(texts_fts, rowid, body) VALUES ('delete', old.node_id, old.body);
END;
CREATE TRIGGER texts_after_update AFTER UPDATE OF body ON texts BEGIN
    INSERT INTO texts_fts(texts_fts, rowid, body) VALUES ('delete', old.node_id, old.body);
    INSERT INTO texts_fts(rowid, body) VALUES (new.node_id, new.body);
END;
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    word_count INTEGER NOT NULL,
    digest TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX revisions_by_node ON revisions(node_id, id);
"""

# Version 2: summaries per node, the story bible and the adapter registry.
_V2 = """
ALTER TABLE nodes ADD COLUMN summary TEXT NOT NULL DEFAULT '';
CREATE TABLE bible_entries (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('character', 'place', 'object', 'lore', 'note')),
    name TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    description TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX bible_by_project ON bible_entries(project_id, name);
CREATE TABLE adapters (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    base_model TEXT NOT NULL,
    project_id INTEGER REFERENCES projects(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    active INTEGER NOT NULL DEFAULT 0
);
"""


# Version 3: a summary says who wrote it and whether the author approved it. Summaries stored before
# were never reviewed, so they arrive as the assistant's, unedited and unapproved: they stay visible
# (the binder's tooltip marks them) but "the story so far" leaves them out until the author approves
# them (the binder's "Review summary…").
_V3 = """
ALTER TABLE nodes ADD COLUMN summary_by TEXT NOT NULL DEFAULT 'assistant'
    CHECK (summary_by IN ('assistant', 'author'));
ALTER TABLE nodes ADD COLUMN summary_edited INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN summary_approved INTEGER NOT NULL DEFAULT 0;
"""


# Version 4: writing goals. A daily and a session goal and a deadline per project (the target
# stays in projects.word_target), and the net words saved per local day (storage/goals.py).
_V4 = """
CREATE TABLE project_goals (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    daily_words INTEGER NOT NULL DEFAULT 0 CHECK (daily_words >= 0),
    session_words INTEGER NOT NULL DEFAULT 0 CHECK (session_words >= 0),
    deadline TEXT
);
CREATE TABLE words_by_day (
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    words INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day)
) WITHOUT ROWID;
"""

# Version 5: a deleted project goes to the trash (recoverable) instead of being dropped.
_V5 = """
ALTER TABLE projects ADD COLUMN trashed_at TEXT;
"""


def _run_script(sql: str) -> Callable[[sqlite3.Connection], None]:
    def apply(conn: sqlite3.Connection) -> None:
        # executescript would COMMIT our transaction; run statement by statement.
        for statement in _split_statements(sql):
            conn.execute(statement)

    return apply


def _split_statements(sql: str) -> list[str]:
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]


# MIGRATIONS[n] upgrades a file from version n to n + 1.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _run_script(_V1), _run_script(_V2), _run_script(_V3), _run_script(_V4), _run_script(_V5)]
SCHEMA_VERSION = len(MIGRATIONS)
OUR_TABLES = {"projects", "nodes", "texts"}


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_openable(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version; refuses newer or foreign databases untouched."""
    version = user_version(conn)
    if version > SCHEMA_VERSION:
        raise UserError(
            f"{path} was written by a newer version of writer-app (library format {version}, "
            f"this version reads up to {SCHEMA_VERSION}); please update writer-app. The file was not changed."
        )
    if version == 0:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and not OUR_TABLES <= tables:
            raise UserError(f"{path} is an SQLite database but not a writer-app library; it was not changed.")
    return version


def migrate(conn: sqlite3.Connection, path: Path, target: int = SCHEMA_VERSION) -> int:
    """Upgrade in place, one transaction per step; returns the version reached."""
    version = check_openable(conn, path)
    if 0 < version < target and path.exists():
        keep_pre_migration_copy(conn, path, version)
    while version < target:
        conn.execute("BEGIN IMMEDIATE")
        try:
            MIGRATIONS[version](conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        version += 1
    return version


def keep_pre_migration_copy(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    """A consistent copy of the old file (SQLite backup API) before we change it."""
    copy_path = path.with_name(f"{path.name}.v{version}-before-upgrade")
    target = sqlite3.connect(str(copy_path))
    try:
        conn.backup(target)
    finally:
        target.close()
    return copy_path
