"""The adapter registry: LoRA adapters the trainer produced, one active at most.

The trainer process only writes adapter folders; the application registers
them here (one writer to the database). Names are unique so the author can
pick an adapter by name in the Trainer tab and on the command line. A name is
only a label: it may be any text (cleaned to one line), and nothing derives a
path from it; the folder (``path``) is chosen when the run is prepared and a
folder is registered at most once.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from writer_app.errors import UserError
from writer_app.storage.db import utc_now
from writer_app.storage.models import Adapter
from writer_app.storage.textnorm import clean_line

_COLUMNS = "id, name, path, base_model, project_id, created_at, metadata, active"


def _adapter(row: sqlite3.Row) -> Adapter:
    return Adapter(
        id=row["id"], name=row["name"], path=row["path"], base_model=row["base_model"],
        project_id=row["project_id"], created_at=row["created_at"],
        metadata=json.loads(row["metadata"]), active=bool(row["active"]),
    )


MAX_NAME_LENGTH = 200


def clean_name(name: str) -> str:
    """An adapter's display name: one clean line (no NUL, no lone surrogates), not empty, not huge."""
    name = clean_line(name)
    if not name:
        raise UserError("an adapter needs a name")
    if len(name) > MAX_NAME_LENGTH:
        raise UserError(f"an adapter name can have at most {MAX_NAME_LENGTH} characters")
    return name


def _name(conn: sqlite3.Connection, name: str, ignore_id: int | None = None) -> str:
    name = clean_name(name)
    clash = conn.execute("SELECT id FROM adapters WHERE name = ? AND id IS NOT ?", (name, ignore_id)).fetchone()
    if clash:
        raise UserError(f"an adapter named “{name}” already exists; choose another name")
    return name


def register(conn: sqlite3.Connection, name: str, path: str, base_model: str, project_id: int | None,
             metadata: dict[str, Any] | None) -> int:
    """The new adapter's id; a folder that is already registered keeps its one row (its id)."""
    same = conn.execute("SELECT id FROM adapters WHERE path = ?", (str(path),)).fetchone()
    if same:  # e.g. the Trainer tab recovering a run that the CLI registered a moment ago
        return int(same["id"])
    name = _name(conn, name)
    cursor = conn.execute(
        "INSERT INTO adapters (name, path, base_model, project_id, created_at, metadata) VALUES (?, ?, ?, ?, ?, ?)",
        # ASCII JSON: metadata from a training run may hold any str, lone surrogates included.
        (name, str(path), clean_line(base_model), project_id, utc_now(),
         json.dumps(metadata or {}, ensure_ascii=True, default=str)),
    )
    return int(cursor.lastrowid)


def get(conn: sqlite3.Connection, adapter_id: int) -> Adapter:
    row = conn.execute(f"SELECT {_COLUMNS} FROM adapters WHERE id = ?", (adapter_id,)).fetchone()
    if row is None:
        raise UserError(f"there is no adapter with id {adapter_id}")
    return _adapter(row)


def listing(conn: sqlite3.Connection, project_id: int | None) -> list[Adapter]:
    if project_id is None:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM adapters ORDER BY created_at DESC, id DESC").fetchall()
    else:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM adapters WHERE project_id = ? ORDER BY created_at DESC, id DESC", (project_id,)
        ).fetchall()
    return [_adapter(r) for r in rows]


def by_name(conn: sqlite3.Connection, name: str) -> Adapter | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM adapters WHERE name = ?", (clean_line(name),)).fetchone()
    return _adapter(row) if row else None


def rename(conn: sqlite3.Connection, adapter_id: int, name: str) -> None:
    get(conn, adapter_id)
    conn.execute("UPDATE adapters SET name = ? WHERE id = ?", (_name(conn, name, adapter_id), adapter_id))


def delete(conn: sqlite3.Connection, adapter_id: int) -> None:
    """Forgets the adapter (its files stay where they are)."""
    get(conn, adapter_id)
    conn.execute("DELETE FROM adapters WHERE id = ?", (adapter_id,))


def set_active(conn: sqlite3.Connection, adapter_id: int | None) -> None:
    if adapter_id is not None:
        get(conn, adapter_id)
    conn.execute("UPDATE adapters SET active = 0 WHERE active != 0")
    if adapter_id is not None:
        conn.execute("UPDATE adapters SET active = 1 WHERE id = ?", (adapter_id,))


def active(conn: sqlite3.Connection) -> Adapter | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM adapters WHERE active = 1 ORDER BY id LIMIT 1").fetchone()
    return _adapter(row) if row else None


def folder_problem(path: str | Path) -> str:
    """Why this adapter folder cannot be attached ("" when it looks usable): missing or unreadable.

    Checked before a load so that the author is told, instead of the model
    quietly running without their adapter.
    """
    folder = Path(path)
    try:
        if not folder.is_dir():
            return f"its folder {folder} is missing"
        with open(folder / "adapter_config.json", "rb") as handle:
            handle.read(1)
    except OSError as exc:
        return f"its folder {folder} cannot be read ({exc.strerror or exc})"
    return ""
