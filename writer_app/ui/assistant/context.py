"""What the model is told besides the text: story bible entries and the story so far.

Both come from the database, so they are gathered by a plain function run on
the window's database worker (never on the GUI thread); the result is a
frozen :class:`StoryContext` of plain strings that a job may capture.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from writer_app.storage.library import Library
    from writer_app.ui.main_window import MainWindow

T = TypeVar("T")

# How much text around the cursor is searched for story bible names.
BIBLE_WINDOW_BEFORE = 2000
BIBLE_WINDOW_AFTER = 400
# How much of the story so far goes into a prompt (the task builder trims further).
STORY_SO_FAR_CHARS = 2400
STORY_KINDS = ("chapter", "scene")


@dataclass(frozen=True)
class StoryContext:
    bible: tuple[tuple[str, str], ...] = ()  # (name, description) pairs
    story_so_far: str = ""
    language: str = "en"

    @property
    def bible_names(self) -> list[str]:
        return [name for name, _ in self.bible]


def near_cursor(text: str, start: int, end: int | None = None) -> str:
    end = start if end is None else end
    return text[max(0, start - BIBLE_WINDOW_BEFORE) : end + BIBLE_WINDOW_AFTER]


def gather_context(project_id: int | None, node_id: int | None,
                   nearby_text: str) -> Callable[[Library], StoryContext]:
    """A database operation: ``op(library) -> StoryContext``."""

    def op(library: Library) -> StoryContext:
        if project_id is None:
            return StoryContext()
        entries = library.bible_entries_mentioned(project_id, nearby_text) if nearby_text.strip() else []
        bible = tuple((entry.name, entry.description) for entry in entries)
        story = story_so_far(library, project_id, node_id)
        language = library.get_project(project_id).language or "en"
        return StoryContext(bible=bible, story_so_far=story, language=language)

    return op


def story_so_far(library: Library, project_id: int, node_id: int | None) -> str:
    """Approved summaries of the chapters and scenes before ``node_id``, in reading order.

    A summary the author has not approved (a new one under review, or one from a library older
    than the review) is left out: an invented name in it would reach every later prompt.
    """
    lines: list[str] = []
    for node in library.nodes(project_id):
        if node.id == node_id:
            break
        if node.kind in STORY_KINDS and node.summary_approved and (node.summary or "").strip():
            lines.append(f"{node.title}: {node.summary.strip()}")
    text = "\n".join(lines)
    return text[-STORY_SO_FAR_CHARS:]


def run_db(window: MainWindow, op: Callable[[Library], T], on_done: Callable[[T], None],
           on_error: Callable[[BaseException], None] | None = None) -> None:
    """Run ``op(library)`` on the window's database worker; the callbacks come back on the GUI thread.

    Without ``on_error`` a failure is the worker's to report (its ``failed`` signal: a box).
    """
    window.db.submit(op, on_done, on_error)
