"""Edits an author makes to an import plan before anything is written.

An :class:`~writer_app.storage.importer.ImportPlan` is a tree of
:class:`~writer_app.storage.gutenberg.Section`; the import preview (and the
CLI, if it wants) changes that tree with these functions and then hands the
plan to ``import_plan``, which writes exactly what the tree holds. They are
plain Python on plain data so that the preview's behaviour is tested without
a window.

A section is addressed by its *path*: the indices from the top of the tree
(``(2,)`` is the third top-level section, ``(2, 0)`` its first child), in the
depth-first order :meth:`ImportPlan.outline` prints. Every edit keeps the
author's words: merging keeps both texts in reading order, splitting keeps
every line on one side or the other. A paragraph is a non-blank line of the
text (:mod:`writer_app.text.manuscript`: every line is a paragraph).
"""

from __future__ import annotations

from collections.abc import Iterator

from writer_app.errors import UserError
from writer_app.storage.gutenberg import Section, tidy_block

Path = tuple[int, ...]
DOCUMENT_KINDS = ("chapter", "scene", "note")
MAX_TITLE_CHARS = 200


def walk(sections: list[Section], prefix: Path = ()) -> Iterator[tuple[Path, Section]]:
    """(path, section) depth-first, in the order ``ImportPlan.outline`` lists them."""
    for index, section in enumerate(sections):
        path = (*prefix, index)
        yield path, section
        yield from walk(section.children, path)


def _siblings(sections: list[Section], path: Path) -> list[Section]:
    """The list that holds the section at ``path`` (a UserError for a path that is not there)."""
    if not path:
        raise UserError("choose a chapter first")
    items = sections
    for index in path[:-1]:
        if not 0 <= index < len(items):
            raise UserError("that chapter is no longer in the plan")
        items = items[index].children
    if not 0 <= path[-1] < len(items):
        raise UserError("that chapter is no longer in the plan")
    return items


def section_at(sections: list[Section], path: Path) -> Section:
    return _siblings(sections, path)[path[-1]]


def text_lines(text: str) -> list[str]:
    """The paragraphs of ``text`` as the author sees them: its non-blank lines, indents kept."""
    return [line for line in text.split("\n") if line.strip()]


def first_line(section: Section) -> str:
    """The first paragraph of the section (or of its first child with text), for a preview."""
    lines = text_lines(section.text)
    if lines:
        return lines[0].strip()
    return next((first_line(child) for child in section.children if first_line(child)), "")


def _join(first: str, second: str) -> str:
    if not first.strip():
        return tidy_block(second)
    if not second.strip():
        return tidy_block(first)
    return tidy_block(first) + "\n\n" + tidy_block(second)


def _append_text(section: Section, text: str) -> None:
    """Add ``text`` after everything in ``section``: to its last descendant when it has children,
    so the reading order (own text, then children) stays the book's order."""
    while section.children:
        section = section.children[-1]
    section.text = _join(section.text, text)


def merge_with_next(sections: list[Section], path: Path) -> Section:
    """Join the section at ``path`` with the sibling after it; returns the merged section.

    The next section's title becomes a line of text where it began (a heading that was
    found by mistake is usually a line of the book, such as a lone "I"); a scene's title is
    replaced by a scene break (``* * *``), which is where the import cut it. Its text
    follows, and its children join the merged section's children. Nothing of the text is
    dropped; merging two folders keeps the first folder's title.
    """
    items = _siblings(sections, path)
    index = path[-1]
    if index + 1 >= len(items):
        raise UserError("there is no next chapter at this level to merge with")
    current, following = items[index], items[index + 1]
    if (current.kind == "folder") != (following.kind == "folder"):
        raise UserError("a folder can be merged only with another folder")
    if following.kind != "folder":
        marker = "* * *" if following.kind == "scene" else following.title.strip()
        carried = _join(marker, following.text)
        if current.children:
            _append_text(current, carried)
        else:
            current.text = _join(current.text, carried)
    current.children.extend(following.children)
    del items[index + 1]
    return current


def split_at_paragraph(sections: list[Section], path: Path, paragraph: int, title: str | None = None,
                       line_is_title: bool = False) -> Section:
    """Cut the section at ``path`` before its ``paragraph``-th paragraph (0-based); returns the new
    section, which follows it as a sibling of the same kind and takes its children.

    ``line_is_title``: that paragraph is a heading the import missed; it becomes the new
    section's title and leaves the text. Otherwise the new section is called ``title`` (or
    the old title with "(continued)").
    """
    items = _siblings(sections, path)
    section = items[path[-1]]
    if section.kind == "folder":
        raise UserError("a folder has no text to split; split one of its chapters")
    lines = section.text.split("\n")
    starts = [number for number, line in enumerate(lines) if line.strip()]
    if not 0 < paragraph < len(starts):
        raise UserError("choose a paragraph after the first one to split at")
    cut = starts[paragraph]
    head, tail = lines[:cut], lines[cut:]
    if line_is_title:
        new_title = " ".join(tail[0].split())[:MAX_TITLE_CHARS]
        tail = tail[1:]
    else:
        new_title = " ".join((title or "").split()) or f"{section.title} (continued)"
    new = Section(new_title, tidy_block("\n".join(tail)), section.kind, section.children)
    section.text = tidy_block("\n".join(head))
    section.children = []
    items.insert(path[-1] + 1, new)
    return new


def rename(sections: list[Section], path: Path, title: str) -> Section:
    """Give the section at ``path`` a new title (one line, not empty)."""
    cleaned = " ".join(title.split())
    if not cleaned:
        raise UserError("a title cannot be empty")
    if len(cleaned) > MAX_TITLE_CHARS:
        raise UserError(f"a title can have at most {MAX_TITLE_CHARS} characters")
    section = section_at(sections, path)
    section.title = cleaned
    return section


def set_kind(sections: list[Section], path: Path, kind: str) -> Section:
    """Make a document a chapter, a scene or a note ("note" keeps it out of training: front matter)."""
    if kind not in DOCUMENT_KINDS:
        raise UserError(f"a document can be a {', a '.join(DOCUMENT_KINDS[:-1])} or a {DOCUMENT_KINDS[-1]}")
    section = section_at(sections, path)
    if section.kind == "folder":
        raise UserError("a folder holds chapters; it cannot become a document")
    section.kind = kind
    return section


def mark_front_matter(sections: list[Section], path: Path) -> Section:
    """The usual fix for a title page or preface taken for a chapter: a note called "Front matter"."""
    set_kind(sections, path, "note")
    return rename(sections, path, "Front matter")
