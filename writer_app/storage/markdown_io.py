"""Markdown manuscripts: front matter, heading tree, and the escaping that
lets an exported project re-import to the same chapters and text.

Export writes ``---`` front matter (title, author, language), one heading per
node with its depth as the level, and escapes body lines that would read as
headings (``\\#``); import reverses all three.
"""

from __future__ import annotations

import re

from writer_app.storage.gutenberg import ParsedText, Section, normalize_newlines, tidy_block

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$")
# A kind the heading's place would not imply is kept as a pandoc-style class.
_KIND_ATTR = re.compile(r"[ \t]*\{\.(folder|chapter|scene|note)\}$")
_ESCAPED_HEADING = re.compile(r"(?m)^\\(#{1,6}[ \t])")
_BODY_HEADING = re.compile(r"(?m)^(#{1,6}[ \t])")
_FENCE = re.compile(r"^(```|~~~)")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def implied_kind(depth: int, has_children: bool) -> str:
    """The kind an imported heading gets from its place in the outline."""
    if has_children:
        return "folder"
    return "chapter" if depth <= 1 else "scene"


def heading_line(level: int, title: str, kind: str, has_children: bool) -> str:
    suffix = "" if kind == implied_kind(level, has_children) else f" {{.{kind}}}"
    return f"{'#' * level} {title}{suffix}"


def escape_body(text: str) -> str:
    return _BODY_HEADING.sub(r"\\\1", text)


def unescape_body(text: str) -> str:
    return _ESCAPED_HEADING.sub(r"\1", text)


def front_matter(title: str, author: str, language: str) -> str:
    lines = ["---", f"title: {title}"]
    if author:
        lines.append(f"author: {author}")
    if language:
        lines.append(f"language: {language}")
    return "\n".join(lines + ["---", "", ""])


def parse_markdown(text: str, fallback_title: str) -> ParsedText:
    text = normalize_newlines(text)
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        for line in match.group(1).split("\n"):
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() in ("title", "author", "language"):
                meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[match.end():]

    root = Section("", "", kind="folder")
    stack: list[tuple[int, Section]] = [(0, root)]
    bodies: dict[int, list[str]] = {id(root): []}
    in_fence = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            while stack[-1][0] >= level:
                stack.pop()
            title = heading.group(2)
            explicit = _KIND_ATTR.search(title)
            section = Section(" ".join(_KIND_ATTR.sub("", title).split()), "", kind=explicit.group(1) if explicit else "")
            stack[-1][1].children.append(section)
            stack.append((level, section))
            bodies[id(section)] = []
        else:
            bodies[id(stack[-1][1])].append(line)

    def finish(section: Section) -> None:
        section.text = unescape_body(tidy_block("\n".join(bodies[id(section)])))
        for child in section.children:
            finish(child)

    def assign_kinds(sections: list[Section], depth: int) -> None:
        for section in sections:
            assign_kinds(section.children, depth + 1)
            section.kind = section.kind or implied_kind(depth, bool(section.children))

    finish(root)
    sections = root.children
    title = meta.get("title", "")
    # "# Book Title" alone at the top with everything under it names the book.
    if not title and len(sections) == 1 and sections[0].children and not sections[0].text and not root.text:
        title, sections = sections[0].title, sections[0].children
    assign_kinds(sections, 1)
    if not sections:
        sections = [Section(fallback_title, root.text)]
    elif root.text:
        sections.insert(0, Section("Front matter", root.text, kind="note"))
    return ParsedText(sections=sections, title=title, author=meta.get("author", ""),
                      language=meta.get("language", ""))
