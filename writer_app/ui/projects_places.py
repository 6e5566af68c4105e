"""Where the author was in each project: the document, the cursor, the binder's open folders.

Kept in the profile's settings (``settings.extra["projects"]``, keyed by
project id), written when the author leaves a project and when the window
closes, so switching projects (or restarting) comes back to the same page,
cursor and binder, instead of an empty first chapter with the tree collapsed.
The cursor is a ``str`` index into the document's text (``ui/text_positions``
converts), so emoji before it do not move it. The same records, newest first,
are File ▸ Open Recent.

A project never visited before opens at its first chapter or scene that has
words, with the binder expanded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtWidgets import QMainWindow, QTreeWidgetItemIterator

from writer_app.ui.binder import NODE_ROLE
from writer_app.ui.text_positions import cursor_index

RECENT_LIMIT = 10


@dataclass(frozen=True)
class Place:
    project_id: int
    node_id: int | None
    cursor: int  # str index into the document's text
    expanded: frozenset[int] | None  # None: never recorded (expand everything)
    opened_at: str


def default_document(nodes: Sequence[Any]) -> int | None:
    """The first chapter or scene with words, else the first chapter or scene, else the first node."""
    documents = [n for n in nodes if n.kind in ("chapter", "scene")]
    with_words = [n for n in documents if n.word_count > 0]
    chosen = (with_words or documents or list(nodes) or [None])[0]
    return None if chosen is None else chosen.id


class ProjectPlaces:
    """``window.places``: remembers and restores each project's place (see the module docstring)."""

    def __init__(self, window: QMainWindow) -> None:
        self.window_: Any = window  # the MainWindow (not imported: it imports this module)

    # -- the records ------------------------------------------------------------------------
    def _records(self) -> dict[str, dict]:
        records = self.window_.settings.extra.get("projects")
        if not isinstance(records, dict):
            records = {}
            self.window_.settings.extra["projects"] = records
        return records

    def recall(self, project_id: int) -> Place | None:
        record = self._records().get(str(project_id))
        if not isinstance(record, dict):
            return None
        expanded = record.get("expanded")
        node_id = record.get("node_id")
        return Place(project_id, node_id if isinstance(node_id, int) else None, int(record.get("cursor") or 0),
                     frozenset(int(i) for i in expanded) if isinstance(expanded, list) else None,
                     str(record.get("opened_at") or ""))

    def recent(self) -> list[int]:
        """Project ids, the most recently opened first."""
        records = self._records()
        ordered = sorted(records, key=lambda key: str(records[key].get("opened_at") or ""), reverse=True)
        return [int(key) for key in ordered if key.isdigit()][:RECENT_LIMIT]

    def remember(self) -> None:
        """Write down where the author is in the open project (before leaving it, and on close)."""
        window = self.window_
        project_id = window.current_project_id
        if project_id is None:
            return
        record = self._records().setdefault(str(project_id), {})
        record["node_id"] = window.current_node_id
        record["cursor"] = cursor_index(window.editor.textCursor()) if window.current_node_id is not None else 0
        record["expanded"] = self._expanded_ids()
        record.setdefault("opened_at", _now())

    def _expanded_ids(self) -> list[int]:
        ids = []
        iterator = QTreeWidgetItemIterator(self.window_.binder.tree)
        while item := iterator.value():
            if item.isExpanded():
                ids.append(int(item.data(0, NODE_ROLE)))
            iterator += 1
        return ids

    # -- switching ----------------------------------------------------------------------------
    def switching_to(self, project_id: int) -> Place | None:
        """Called as a project opens: note the place being left; return the one to come back to."""
        self.remember()
        return self.recall(project_id)

    def expand(self, place: Place | None) -> None:
        """After the binder was filled: open the folders that were open (all, on a first visit)."""
        iterator = QTreeWidgetItemIterator(self.window_.binder.tree)
        while item := iterator.value():
            item.setExpanded(place is None or place.expanded is None or int(item.data(0, NODE_ROLE)) in place.expanded)
            iterator += 1

    def arrival(self, place: Place | None, target: int | None,
                then: Callable[[], None] | None) -> Callable[[], None] | None:
        """What to run once ``target`` is open: the cursor back where it was, then ``then``."""
        if place is None or target is None or target != place.node_id:
            return then

        def arrive() -> None:
            self.window_.editor.go_to_offset(place.cursor)
            if then is not None:
                then()

        return arrive

    def opened(self, project_id: int) -> None:
        """The project is open: it goes to the top of File ▸ Open Recent."""
        record = self._records().setdefault(str(project_id), {})
        record["opened_at"] = _now()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
