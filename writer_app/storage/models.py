"""Plain frozen records handed out by the library.

They are values, not live rows: the UI can pass them between threads and keep
them in models without ever touching the database connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NODE_KINDS = ("folder", "chapter", "scene", "note")
BIBLE_KINDS = ("character", "place", "object", "lore", "note")


@dataclass(frozen=True)
class Project:
    id: int
    title: str
    author: str
    language: str
    word_target: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class ProjectSummary:
    project: Project
    word_count: int
    document_count: int


@dataclass(frozen=True)
class Node:
    id: int
    project_id: int
    parent_id: int | None
    kind: str
    title: str
    position: int
    word_count: int
    char_count: int
    trashed: bool  # True for a trashed node and everything inside it
    summary: str
    updated_at: str
    # Who wrote the summary ("assistant" or "author"), whether the author changed the assistant's
    # text, and whether the author approved it: only approved summaries are "the story so far".
    summary_by: str = "assistant"
    summary_edited: bool = False
    summary_approved: bool = False


@dataclass(frozen=True)
class Summary:
    """A document's stored summary and its review state (``text`` is empty when there is none)."""

    node_id: int
    text: str
    by: str = "assistant"
    edited: bool = False
    approved: bool = False

    @property
    def pending(self) -> bool:
        """Stored but not yet approved: shown to the author, never given to the model."""
        return bool(self.text.strip()) and not self.approved


@dataclass(frozen=True)
class Revision:
    id: int
    node_id: int
    created_at: str
    reason: str
    word_count: int


@dataclass(frozen=True)
class BibleEntry:
    id: int
    project_id: int
    kind: str
    name: str
    aliases: tuple[str, ...]
    description: str
    notes: str


@dataclass(frozen=True)
class SearchHit:
    node_id: int
    title: str
    snippet: str
    rank: float  # lower is better (bm25 convention)
    offset: int  # str index of the first match in the document text


@dataclass(frozen=True)
class SaveResult:
    word_count: int
    char_count: int
    changed: bool
    revision_id: int | None
    # True when the stored text differs from the text passed in (lone
    # surrogates or NULs were replaced by U+FFFD); the editor should reload.
    normalized: bool = False


@dataclass(frozen=True)
class Adapter:
    id: int
    name: str
    path: str
    base_model: str
    project_id: int | None
    created_at: str
    metadata: dict[str, Any] = field(default_factory=dict)
    active: bool = False
