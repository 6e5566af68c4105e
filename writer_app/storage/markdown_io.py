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
_ESCAPED_HEADING = re.compile(r"(?m)^\\(#{1,6}[ \t])")
_BODY_HEADING = re.compile(r"(?m)^(#{1,6}[ \t])")
_FENCE = re.compile(r"^(```|~~~)")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


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
            section = Section(" ".join(heading.group(2).split()), "")
            stack[-1][1].children.append(section)
            stack.append((level, section))
            bodies[id(section)] = []
        else:
            bodies[id(stack[-1][1])].append(line)

    def finish(section: Section, depth: int) -> None:
        section.text = unescape_body(tidy_block("\n".join(bodies[id(section)])))
        for child in section.children:
            finish(child, depth + 1)
        if section is not root:
            section.kind = "folder" if section.children else ("chapter" if depth <= 1 else "scene")

    finish(root, 0)
    sections = root.children
    title = meta.get("title", "")
    # "# Book Title" alone at the top with everything under it names the book.
    if not title and len(sections) == 1 and sections[0].children and not sections[0].text and not root.text:
        title, sections = sections[0].title, sections[0].children
    if not sections:
        sections = [Section(fallback_title, root.text)]
    elif root.text:
        sections.insert(0, Section("Front matter", root.text, kind="note"))
    return ParsedText(sections=sections, title=title, author=meta.get("author", ""),
                      language=meta.get("language", ""))
