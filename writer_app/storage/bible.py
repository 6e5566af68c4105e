"""The story bible: characters, places, objects, lore and notes per project.

``mentioned`` finds the entries a passage talks about, so the assistant can
put just those into a prompt: a name or alias in a spaced script must appear
as a whole word, exactly as written in the bible (so the character "Rose" is
not found in "she rose"); a CJK name (no spaces to delimit words) is matched
as a substring.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable

from writer_app.errors import UserError
from writer_app.storage.db import utc_now
from writer_app.storage.models import BIBLE_KINDS, BibleEntry
from writer_app.storage.textnorm import clean_line, clean_text

_COLUMNS = "id, project_id, kind, name, aliases, description, notes"
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f]")
EDITABLE = ("kind", "name", "aliases", "description", "notes")


def _entry(row: sqlite3.Row) -> BibleEntry:
    return BibleEntry(
        id=row["id"],
        project_id=row["project_id"],
        kind=row["kind"],
        name=row["name"],
        aliases=tuple(json.loads(row["aliases"])),
        description=row["description"],
        notes=row["notes"],
    )


def _clean(fields: dict) -> dict:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise UserError(f"unknown story bible field(s): {', '.join(sorted(unknown))}")
    cleaned = {}
    if "kind" in fields:
        if fields["kind"] not in BIBLE_KINDS:
            raise UserError(f"unknown story bible kind {fields['kind']!r}; use one of {', '.join(BIBLE_KINDS)}")
        cleaned["kind"] = fields["kind"]
    if "name" in fields:
        cleaned["name"] = clean_line(fields["name"] or "")
        if not cleaned["name"]:
            raise UserError("a story bible entry needs a name")
    if "aliases" in fields:
        aliases = fields["aliases"] or ()
        if isinstance(aliases, str):
            aliases = aliases.split(",")
        unique = dict.fromkeys(a for a in (clean_line(str(x)) for x in aliases) if a)
        cleaned["aliases"] = json.dumps(list(unique), ensure_ascii=False)
    for key in ("description", "notes"):
        if key in fields:
            cleaned[key] = clean_text(fields[key] or "")
    return cleaned


def add(conn: sqlite3.Connection, project_id: int, kind: str, name: str, aliases: Iterable[str],
        description: str, notes: str) -> int:
    fields = _clean({"kind": kind, "name": name, "aliases": tuple(aliases), "description": description,
                     "notes": notes})
    now = utc_now()
    cursor = conn.execute(
        "INSERT INTO bible_entries (project_id, kind, name, aliases, description, notes, created_at, updated_at)"
        " VALUES (:project_id, :kind, :name, :aliases, :description, :notes, :now, :now)",
        {**fields, "project_id": project_id, "now": now},
    )
    return int(cursor.lastrowid)


def get(conn: sqlite3.Connection, entry_id: int) -> BibleEntry:
    row = conn.execute(f"SELECT {_COLUMNS} FROM bible_entries WHERE id = ?", (entry_id,)).fetchone()
    if row is None:
        raise UserError(f"there is no story bible entry with id {entry_id}")
    return _entry(row)


def update(conn: sqlite3.Connection, entry_id: int, fields: dict) -> None:
    get(conn, entry_id)
    cleaned = _clean(fields)
    if cleaned:
        sets = ", ".join(f"{key} = :{key}" for key in cleaned)
        conn.execute(f"UPDATE bible_entries SET {sets}, updated_at = :now WHERE id = :id",
                     {**cleaned, "now": utc_now(), "id": entry_id})


def delete(conn: sqlite3.Connection, entry_id: int) -> None:
    get(conn, entry_id)
    conn.execute("DELETE FROM bible_entries WHERE id = ?", (entry_id,))


def entries(conn: sqlite3.Connection, project_id: int, query: str | None = None) -> list[BibleEntry]:
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM bible_entries WHERE project_id = ? ORDER BY kind, name COLLATE NOCASE, id",
        (project_id,),
    ).fetchall()
    found = [_entry(r) for r in rows]
    if query and query.strip():
        needle = query.strip().casefold()
        found = [
            e for e in found
            if needle in e.name.casefold()
            or any(needle in a.casefold() for a in e.aliases)
            or needle in e.description.casefold()
        ]
    return found


def _term_pattern(term: str) -> re.Pattern[str] | None:
    if not term:
        return None
    if _CJK.search(term):
        return re.compile(re.escape(term))
    return re.compile(rf"(?<!\w){re.escape(term)}(?!\w)")


def mentioned(conn: sqlite3.Connection, project_id: int, text: str) -> list[BibleEntry]:
    """Entries whose name or an alias occurs in ``text``, in order of first mention."""
    first_seen: list[tuple[int, BibleEntry]] = []
    for entry in entries(conn, project_id):
        positions = []
        for term in (entry.name, *entry.aliases):
            pattern = _term_pattern(term)
            match = pattern.search(text) if pattern else None
            if match:
                positions.append(match.start())
        if positions:
            first_seen.append((min(positions), entry))
    first_seen.sort(key=lambda pair: (pair[0], pair[1].id))
    return [entry for _, entry in first_seen]
