"""novelWriter projects: ``nwProject.nwx`` (the project tree) and ``content/<handle>.nwd`` files.

The .nwx lists the items in tree order; both layouts of it are read (file
format 1.3 of novelWriter 1.x, with type/class/layout as child elements, and
1.5 of novelWriter 2.x, with them as attributes). In the novel root(s) the
structure is in the text, as novelWriter itself builds a manuscript: ``#``
is a partition (a folder), ``#!`` the novel's title (its page goes to "Front
matter"), ``##``/``##!`` a chapter, ``###``/``###!`` a scene, and ``####`` a
section, which novelWriter's build hides by default: it becomes a scene break
within the scene. Binder folders only organise files and add no level.
Documents with the NOTE layout, and every document in the Plot, Characters,
Locations... roots, come in as notes (not used for training) in a folder per
root; the Archive and Trash roots, and inactive documents, are left out with
a note.

The markup: a blank line ends a paragraph and a single line break starts a new
one (a line kept a line); ``_em_``/``[i]`` are emphasis, ``**strong**``/``[b]``
strong, ``~~strike~~`` and the other shortcodes keep their text without the
marks; ``%`` comments and synopses, ``@tag:`` references, ``[newpage]``/
``[vspace]`` and alignment marks (``>>``, ``<<``) are not text; ``\\`` escapes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from writer_app.errors import UserError
from writer_app.storage.decoding import decode_manuscript
from writer_app.storage.formats.common import Block, Source, body_text, local, parse_xml
from writer_app.storage.gutenberg import ParsedText, Section
from writer_app.text.manuscript import Span

PROJECT_FILE = "nwProject.nwx"
_HANDLE = re.compile(r"^[0-9a-f]{13}$")
_HEADING = re.compile(r"^(#{1,4})(!?)[ \t]+(.*?)[ \t]*$")
_TAG = re.compile(r"^@[\w-]+\s*:")
_LAYOUT_LINE = re.compile(r"^\[(?:new ?page|vspace(?::\d+)?)\]$", re.I)
_EMPH = re.compile(r"(?<![\w\\])(_)(?![\s_])(.+?)(?<![\s\\])(_)(?!\w)")
_STRONG = re.compile(r"(?<![\w\\])(\*\*)(?![\s*])(.+?)(?<![\s\\])(\*\*)(?!\w)")
_STRIKE = re.compile(r"(?<![\w\\])(~~)(?![\s~])(.+?)(?<![\s\\])(~~)(?!\w)")
_SHORTCODE = re.compile(r"\[(/?)(b|i|s|u|m|sup|sub)\]", re.I)
_REFERENCE = re.compile(r"\[(?:footnote|field):[^\]]*\]", re.I)
_ALIGNMENT = re.compile(r"^>{1,2}[ \t]*|[ \t]*<{1,2}$")  # ">> centred <<", "> indented", "left <<"
_NOTE_ROOTS_SKIPPED = {"ARCHIVE", "TRASH"}
_PLACEHOLDER = "\ue000"  # stands for an escaped character while the delimiters are found


@dataclass
class _Item:
    handle: str
    parent: str
    kind: str  # ROOT, FOLDER, FILE
    klass: str  # NOVEL, PLOT, CHARACTER, ..., ARCHIVE, TRASH
    layout: str  # DOCUMENT or NOTE
    name: str
    active: bool = True
    children: list[_Item] = field(default_factory=list)


def is_novelwriter_project(folder: Path) -> bool:
    return os.path.isfile(folder / PROJECT_FILE)


def read_novelwriter(folder: Path, label: str, source: Source) -> ParsedText:
    root = parse_xml(source.read(folder / PROJECT_FILE, f"{label}/{PROJECT_FILE}"), label, PROJECT_FILE)
    if local(root.tag) != "novelWriterXML":
        raise UserError(f"{label}/{PROJECT_FILE} is not a novelWriter project file")
    project = next((e for e in root if local(e.tag) == "project"), None)
    meta = {local(e.tag): " ".join((e.text or "").split()) for e in (project if project is not None else [])}
    authors = [" ".join((e.text or "").split()) for e in (project if project is not None else [])
               if local(e.tag) == "author" and (e.text or "").strip()]
    settings = next((e for e in root if local(e.tag) == "settings"), None)
    language = next(((e.text or "").strip() for e in (settings if settings is not None else [])
                     if local(e.tag) == "language"), "")
    items = _items(root)
    roots = [item for item in items if item.kind == "ROOT" or item.parent in ("", "None")]
    reader = _Documents(folder, label, source)
    novels = [r for r in roots if r.klass == "NOVEL"]
    if not novels:
        raise UserError(f"{label} has no Novel folder in its project, so there is no book to import")
    sections: list[Section] = []
    for novel in novels:
        built = _Builder(reader).build(novel)
        if len(novels) > 1 and built:
            sections.append(Section(novel.name, "", "folder", built))
        else:
            sections.extend(built)
    left_out = 0
    for other in roots:
        if other.klass == "NOVEL":
            continue
        if other.klass in _NOTE_ROOTS_SKIPPED or other.kind == "TRASH":
            left_out += _count_files(other)
            continue
        notes = _notes(other, reader)
        if notes is not None:
            sections.append(notes)
    if left_out:
        source.notes.append(f"{label}: left out the Archive and Trash ({left_out} document"
                            f"{'s' if left_out != 1 else ''})")
    if reader.inactive:
        source.notes.append(f"{label}: left out {reader.inactive} inactive document"
                            f"{'s' if reader.inactive != 1 else ''} (excluded from novelWriter's build)")
    if reader.missing:
        source.notes.append(f"{label}: {len(reader.missing)} document{'s' if len(reader.missing) != 1 else ''} "
                            f"had no file in content/ and came in empty: "
                            + ", ".join(f"“{m}”" for m in reader.missing[:5]))
    if not any(_has_text(s) for s in sections):
        raise UserError(f"{label} is empty: its novel holds no text to import")
    title = meta.get("title") or meta.get("name") or Path(label).name
    return ParsedText(sections, title=title, author=", ".join(authors),
                      language=language.replace("_", "-").split("-")[0].lower() if language != "None" else "")


def _items(root) -> list[_Item]:
    content = next((e for e in root if local(e.tag) == "content"), None)
    if content is None:
        raise UserError("the novelWriter project file has no content list; open the project in novelWriter "
                        "and save it again")
    items: list[_Item] = []
    by_handle: dict[str, _Item] = {}
    for element in content:
        if local(element.tag) != "item":
            continue
        fields = {local(child.tag): child for child in element}
        name_element = fields.get("name")
        active = name_element.get("active") if name_element is not None else None
        exported = _field(element, fields, "exported", "True")
        item = _Item(handle=element.get("handle") or "", parent=element.get("parent") or "",
                     kind=_field(element, fields, "type").upper(), klass=_field(element, fields, "class").upper(),
                     layout=_field(element, fields, "layout").upper(),
                     name=" ".join(((name_element.text if name_element is not None else "") or "").split())
                     or "Untitled",
                     active=(active or "yes").lower() in ("yes", "true") and exported.lower() != "false")
        items.append(item)
        by_handle[item.handle] = item
    for item in items:
        parent = by_handle.get(item.parent)
        if parent is not None and parent is not item:
            parent.children.append(item)
    return items


def _field(element, fields: dict, key: str, default: str = "") -> str:
    """An item's setting: an attribute in file format 1.5, a child element in 1.3."""
    attribute = element.get(key)
    if attribute is not None:
        return attribute
    child = fields.get(key)
    return (child.text or "").strip() if child is not None else default


class _Documents:
    def __init__(self, folder: Path, label: str, source: Source) -> None:
        self.folder, self.label, self.source = folder, label, source
        self.inactive = 0
        self.missing: list[str] = []

    def lines(self, item: _Item) -> list[str]:
        if not _HANDLE.match(item.handle):
            return []
        path = self.folder / "content" / f"{item.handle}.nwd"
        if not os.path.lexists(path):
            self.missing.append(item.name)
            return []
        label = f"{self.label}/content/{item.handle}.nwd"
        text = decode_manuscript(self.source.read(path, label), label).text
        return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


@dataclass
class _Node:
    section: Section
    level: int  # 1 partition, 2 chapter, 3 scene
    lines: list[str] = field(default_factory=list)


class _Builder:
    """Turns a novel root's documents, in tree order, into folders, chapters and scenes."""

    def __init__(self, reader: _Documents) -> None:
        self.reader = reader
        self.top: list[Section] = []
        self.front: list[str] = []
        self.stack: list[_Node] = []

    def build(self, novel: _Item) -> list[Section]:
        self._walk(novel)
        self._close(0)
        front = _paragraph_text(self.front)
        if front:
            self.top.insert(0, Section("Front matter", front, "note"))
        return self.top

    def _walk(self, item: _Item) -> None:
        for child in item.children:
            if child.kind == "FILE":
                if not child.active:
                    self.reader.inactive += 1
                elif child.layout == "NOTE":
                    self._place(Section(child.name, _paragraph_text(self.reader.lines(child), child.name), "note"))
                else:
                    self._document(self.reader.lines(child))
            self._walk(child)

    def _place(self, section: Section) -> None:
        (self.stack[-1].section.children if self.stack else self.top).append(section)

    def _close(self, level: int) -> None:
        while self.stack and self.stack[-1].level >= level:
            node = self.stack.pop()
            node.section.text = _paragraph_text(node.lines)

    def _document(self, lines: list[str]) -> None:
        for line in lines:
            heading = _HEADING.match(line)
            if heading is None:
                (self.stack[-1].lines if self.stack else self.front).append(line)
                continue
            level, title = len(heading.group(1)), _plain(heading.group(3))
            if level == 4:  # a section: hidden in novelWriter's build, a break between its parts
                target = self.stack[-1].lines if self.stack else self.front
                target.extend(["", "* * *", ""])
                continue
            if level == 1 and heading.group(2):  # the novel's title: its page is front matter
                self._close(0)
                self.front.extend(["", title, ""])
                continue
            self._close(level)
            kind = {1: "folder", 2: "chapter", 3: "scene"}[level]
            if kind == "scene" and not any(node.level == 2 for node in self.stack):
                kind = "chapter"
            node = _Node(Section(title or "Untitled", "", kind), level)
            self._place(node.section)
            self.stack.append(node)


def _notes(root: _Item, reader: _Documents) -> Section | None:
    children: list[Section] = []
    for child in root.children:
        if child.kind == "FILE":
            if child.active:
                children.append(Section(child.name, _paragraph_text(reader.lines(child), child.name), "note"))
            else:
                reader.inactive += 1
            grand = _notes(child, reader)
            if grand is not None:
                children.extend(grand.children)
        else:
            sub = _notes(child, reader)
            if sub is not None:
                children.append(sub)
    return Section(root.name, "", "folder", children) if children else None


def _count_files(item: _Item) -> int:
    return (item.kind == "FILE") + sum(_count_files(c) for c in item.children)


def _has_text(section: Section) -> bool:
    return bool(section.text.strip()) or any(_has_text(c) for c in section.children)


def _paragraph_text(lines: list[str], own_title: str = "") -> str:
    """Body lines of novelWriter markup in the paragraph model (one paragraph a line)."""
    blocks: list[Block] = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("%") or _TAG.match(line) or _LAYOUT_LINE.match(line):
            continue
        if line == "* * *":
            blocks.append(Block.of([], scene_break=True))
            continue
        heading = _HEADING.match(line)
        if heading:  # a heading inside a note: its own title is the note's name
            if _plain(heading.group(3)).casefold() == own_title.casefold():
                continue
            line = heading.group(3)
        line = _ALIGNMENT.sub("", line)
        spans = parse_markup(line)
        block = Block.of(list(spans))
        if block.text:
            blocks.append(block)
    return body_text(blocks)


def _plain(text: str) -> str:
    return " ".join("".join(span.text for span in parse_markup(text)).split())


def parse_markup(line: str) -> tuple[Span, ...]:
    """One line of novelWriter text as styled spans (its marks removed, escapes resolved)."""
    chars: list[str] = []
    masked: list[str] = []
    index = 0
    while index < len(line):
        if line[index] == "\\" and index + 1 < len(line) and not line[index + 1].isalnum():
            chars.append(line[index + 1])
            masked.append(_PLACEHOLDER)
            index += 2
            continue
        chars.append(line[index])
        masked.append(line[index])
        index += 1
    text = "".join(masked)
    removed = [False] * len(chars)
    italic = [0] * (len(chars) + 1)
    bold = [0] * (len(chars) + 1)

    def mark(pattern: re.Pattern, styled: list[int] | None) -> None:
        for match in pattern.finditer(text):
            for start, end in (match.span(1), match.span(3)):
                for position in range(start, end):
                    removed[position] = True
            if styled is not None:
                styled[match.start(2)] += 1
                styled[match.end(2)] -= 1

    mark(_STRONG, bold)
    mark(_EMPH, italic)
    mark(_STRIKE, None)
    for pattern_match in _REFERENCE.finditer(text):
        for position in range(*pattern_match.span()):
            removed[position] = True
    for match in _SHORTCODE.finditer(text):
        for position in range(*match.span()):
            removed[position] = True
        styled = {"i": italic, "b": bold}.get(match.group(2).lower())
        if styled is not None:  # [i] opens emphasis where it stands, [/i] closes it
            styled[match.start()] += -1 if match.group(1) else 1
    spans: list[Span] = []
    depth_italic = depth_bold = 0
    for position, char in enumerate(chars):
        depth_italic += italic[position]
        depth_bold += bold[position]
        if not removed[position]:
            spans.append(Span(char, depth_italic > 0, depth_bold > 0))
    return tuple(spans)
