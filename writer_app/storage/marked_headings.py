"""A plain-text file's outline from its marked headings: Markdown ``#`` lines and Setext titles.

writer-app's plain-text export underlines each title (``===`` at the top level,
``---`` below); authors who write in plain text often use ``#`` headings. Such
marks are deliberate, so when a file has at least two of them, and at least as
many as the numbered chapter headings :mod:`writer_app.storage.plain_structure`
would believe, they are the structure: Setext ``=`` is level 1, ``-`` level 2,
``#`` … ``######`` their own level. A heading counts only after a blank line (or
at the top); an underline must be at least half as wide as its title.
"""

from __future__ import annotations

import re

from writer_app.storage.plain_structure import choose_headings, classify
from writer_app.storage.sections import Section, tidy_block
from writer_app.text.manuscript import is_scene_break
from writer_app.text.unwrap import display_width

_ATX = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
_UNDERLINE = re.compile(r"^(=+|-+)[ \t]*$")
_KIND_ATTR = re.compile(r"[ \t]*\{\.(folder|chapter|scene|note)\}$")
_SCENE_TITLE = re.compile(r"(?i)^(?:scene|场景|場景)\s*\d+$")


def _explicit_headings(lines: list[str]) -> list[tuple[int, int, str, int]]:
    """(line, level, title, lines used) for each Markdown or Setext heading."""
    found = []
    skip = -1
    for index, line in enumerate(lines):
        if index <= skip or not line.strip():
            continue
        previous_blank = index == 0 or not lines[index - 1].strip()
        if not previous_blank:
            continue
        atx = _ATX.match(line)
        if atx:
            found.append((index, len(atx.group(1)), atx.group(2), 1))
            continue
        if index + 1 < len(lines) and not line[:1].isspace():
            underline = _UNDERLINE.match(lines[index + 1])
            width = display_width(line.strip())
            if underline and len(underline.group(1)) >= max(3, width // 2) and width <= 100 \
                    and not is_scene_break(line):
                found.append((index, 1 if underline.group(1)[0] == "=" else 2, line.strip(), 2))
                skip = index + 1
    return found


def explicit_outline(text: str) -> tuple[str, list[Section]] | None:
    """(text before the first heading, outline) from Markdown/Setext headings, or None if there are
    fewer than two of them, or fewer than the chapter headings :func:`choose_headings` believes (two
    underlined lines in a Gutenberg novel of 61 "Chapter N" headings are not its structure). A leaf is a chapter, or a scene under a chapter; a heading with
    children is a folder unless it reads as a chapter (its title is a chapter heading, or its
    children are titled "Scene N"); ``{.kind}`` after a title, "Front matter" as a title, say so."""
    lines = text.split("\n")
    headings = _explicit_headings(lines)
    if len(headings) < 2 or len(headings) < len(choose_headings(lines)):
        return None
    root = Section("", "", "folder")
    stack: list[tuple[int, Section]] = [(0, root)]
    bodies: dict[int, list[str]] = {}
    explicit_kind: dict[int, str] = {}
    for position, (index, level, title, used) in enumerate(headings):
        end = headings[position + 1][0] if position + 1 < len(headings) else len(lines)
        while stack[-1][0] >= level:
            stack.pop()
        attr = _KIND_ATTR.search(title)
        section = Section(_collapse_title(_KIND_ATTR.sub("", title)), "", "")
        if attr:
            explicit_kind[id(section)] = attr.group(1)
        stack[-1][1].children.append(section)
        stack.append((level, section))
        bodies[id(section)] = lines[index + used:end]
    front = tidy_block("\n".join(lines[: headings[0][0]]))

    def finish(section: Section, parent_kind: str) -> None:
        section.text = tidy_block("\n".join(bodies.get(id(section), [])))
        kind = explicit_kind.get(id(section))
        if kind is None:
            if section.title.casefold() in ("front matter", "back matter") and not section.children:
                kind = "note"
            elif not section.children:
                kind = "scene" if parent_kind == "chapter" else "chapter"
            elif classify(section.title) is not None and classify(section.title).kind == "chapter" \
                    or all(_SCENE_TITLE.match(c.title) and not c.children for c in section.children):
                kind = "chapter"
            else:
                kind = "folder"
        section.kind = kind
        for child in section.children:
            finish(child, kind)

    for child in root.children:
        finish(child, "folder")
    return front, root.children


def _collapse_title(title: str) -> str:
    return " ".join(title.split())
