"""Scrivener projects: a ``.scriv`` folder whose ``.scrivx`` binder gives the structure.

The binder (XML) lists every item with its type, title and children, in the
author's order. Scrivener 3 keeps a text's words in
``Files/Data/<UUID>/content.rtf``, Scrivener 2 in ``Files/Docs/<ID>.rtf``;
both are read with :mod:`writer_app.storage.formats.rtf_in`.

What comes in, and as what:

* The Draft (or "Manuscript") folder is the book. A binder item whose
  children have no children of their own is a chapter and those are its
  scenes; an item holding deeper levels is a folder (a part); a text at the
  top of the Draft or of a part is a chapter. A folder's own text is kept.
  Draft items marked "Include in Compile: No" come in as notes.
* Every other top-level folder (Research, Characters, Places, Notes...) comes
  in as a folder of notes (texts only: PDFs, images and web pages are left
  out, with a note saying how many). Notes are not used for training.
* The Trash is left out, with a note.

Scrivener writes no file for a text that was never typed in, so a text with
no file is imported empty and the notes name it (the author can tell an empty
placeholder from a document lost in a copy). If no text of the Draft has its
file, the project was copied without its ``Files`` folder: that is refused.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from writer_app.errors import UserError
from writer_app.storage.formats.common import Source, body_text, local, parse_xml
from writer_app.storage.formats.rtf_in import parse_rtf
from writer_app.storage.gutenberg import ParsedText, Section
from writer_app.storage.source_files import shown

_TEXT_TYPES = {"Text", "Folder", "DraftFolder", "ResearchFolder"}
_ROOT_SKIPPED = {"TrashFolder"}
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")  # a UUID or a number: never a path out of the project
MAX_NAMED = 5  # missing documents named in the note before "and N more"


@dataclass
class _Item:
    ident: str
    kind: str  # the binder Type
    title: str
    compile: bool = True
    children: list[_Item] = field(default_factory=list)


def is_scrivener_project(path: Path) -> bool:
    return path.suffix.lower() == ".scriv" or _binder_file(path) is not None


def _binder_file(folder: Path) -> Path | None:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return None
    preferred = [n for n in names if n.lower().endswith(".scrivx") and not n.startswith(".")]
    stem = _project_name(folder)
    preferred.sort(key=lambda n: n[:-7] != stem)  # Project.scriv/Project.scrivx first
    return folder / preferred[0] if preferred else None


def _project_name(folder: Path) -> str:
    """"Novel" for Novel.scriv (also when the folder was given as ".")."""
    name = os.path.basename(os.path.normpath(os.path.abspath(folder)))
    return name[:-6] if name.lower().endswith(".scriv") else name


def read_scrivener(folder: Path, label: str, source: Source) -> ParsedText:
    binder_path = _binder_file(folder)
    if binder_path is None:
        raise UserError(f"{label} is not a complete Scrivener project: it has no .scrivx binder file")
    root = parse_xml(source.read(binder_path, f"{label}/{shown(binder_path.name)}"), label, "binder (.scrivx)")
    binder = next((e for e in root.iter() if local(e.tag) == "Binder"), None)
    if binder is None:
        raise UserError(f"{label} is not a Scrivener project: its .scrivx file has no binder")
    version3 = not (root.get("Version") or "2").startswith(("1", "0")) and any(
        e.get("UUID") for e in binder.iter() if local(e.tag) == "BinderItem")
    items = [_item(e) for e in binder if local(e.tag) == "BinderItem"]
    reader = _Texts(folder, label, source, version3)
    sections: list[Section] = []
    skipped_media = 0
    trash = 0
    draft_found = False
    for item in items:
        if item.kind in _ROOT_SKIPPED:
            trash += _count_texts(item)
            continue
        if item.kind == "DraftFolder" and not draft_found:
            draft_found = True
            front = reader.text(item)
            book = [_draft_section(child, top=True, reader=reader) for child in item.children]
            book = [s for s in book if s is not None]
            if front:
                book.insert(0, Section("Front matter", front, "note"))
            sections[:0] = book
        else:
            note, media = _notes_section(item, reader)
            skipped_media += media
            if note is not None:
                sections.append(note)
    if not draft_found:
        raise UserError(f"{label} has no Draft (Manuscript) folder in its binder, so there is no book to import")
    _report_missing(reader, label, source)
    if trash:
        source.notes.append(f"{label}: left out the Trash ({trash} document{'s' if trash != 1 else ''})")
    if skipped_media:
        source.notes.append(f"{label}: left out {skipped_media} research file{'s' if skipped_media != 1 else ''} "
                            "that are not text (PDFs, images, web pages)")
    if not any(_has_text(s) for s in sections):
        raise UserError(f"{label} is empty: its Draft holds no text to import")
    title = shown(_project_name(folder))
    return ParsedText(sections, title=title)


def _item(element) -> _Item:
    title = ""
    include = True
    children: list[_Item] = []
    for child in element:
        name = local(child.tag)
        if name == "Title":
            title = " ".join((child.text or "").split())
        elif name == "Children":
            children = [_item(e) for e in child if local(e.tag) == "BinderItem"]
        elif name == "MetaData":
            flag = next((e for e in child if local(e.tag) == "IncludeInCompile"), None)
            include = flag is None or (flag.text or "").strip().lower() in ("yes", "true", "1")
    ident = element.get("UUID") or element.get("ID") or ""
    return _Item(ident, element.get("Type") or "Text", title or "Untitled", include, children)


class _Texts:
    """Reads each item's RTF and remembers the ones whose file is missing."""

    def __init__(self, folder: Path, label: str, source: Source, version3: bool) -> None:
        self.folder, self.label, self.source, self.version3 = folder, label, source, version3
        self.missing: list[str] = []
        self.found = 0

    def path(self, item: _Item) -> Path:
        if self.version3:
            return self.folder / "Files" / "Data" / item.ident / "content.rtf"
        return self.folder / "Files" / "Docs" / f"{item.ident}.rtf"

    def text(self, item: _Item, expected: bool = False) -> str:
        """The item's text in the paragraph model ("" if it has none)."""
        path = self.path(item)
        if not _SAFE_ID.match(item.ident) or not os.path.lexists(path):
            if expected:
                self.missing.append(item.title)
            return ""
        relative = shown(os.path.relpath(path, self.folder))
        label = f"{self.label}/{relative}"
        self.found += 1
        document = parse_rtf(self.source.read(path, label), label)
        return body_text(document.blocks)


def _height(item: _Item) -> int:
    return 1 + max(map(_height, item.children)) if item.children else 0


def _draft_section(item: _Item, top: bool, reader: _Texts, parent_kind: str = "folder") -> Section | None:
    if item.kind not in _TEXT_TYPES:
        return None
    text = reader.text(item, expected=item.kind == "Text" and not item.children)
    height = _height(item)
    if height >= 2:
        kind = "folder"
    elif height == 1:
        kind = "chapter"
    else:
        kind = "scene" if parent_kind == "chapter" else "chapter"
    children = [s for s in (_draft_section(c, False, reader, kind) for c in item.children) if s is not None]
    if not item.compile:
        kind = "note" if not children else kind
    return Section(item.title, text, kind, children)


def _notes_section(item: _Item, reader: _Texts) -> tuple[Section | None, int]:
    media = 0
    if item.kind not in _TEXT_TYPES:
        return None, 1
    children: list[Section] = []
    for child in item.children:
        section, skipped = _notes_section(child, reader)
        media += skipped
        if section is not None:
            children.append(section)
    text = reader.text(item)
    if not children and not text and item.kind != "Text":
        return None, media
    kind = "folder" if children or item.kind != "Text" else "note"
    return Section(item.title, text, kind, children), media


def _count_texts(item: _Item) -> int:
    return (item.kind == "Text") + sum(_count_texts(c) for c in item.children)


def _has_text(section: Section) -> bool:
    return bool(section.text.strip()) or any(_has_text(c) for c in section.children)


def _report_missing(reader: _Texts, label: str, source: Source) -> None:
    if not reader.missing:
        return
    if not reader.found:
        raise UserError(f"{label} has none of its documents' text files (Files/"
                        f"{'Data' if reader.version3 else 'Docs'} is missing or empty); "
                        "copy the whole .scriv folder and try again")
    names = ", ".join(f"“{t}”" for t in reader.missing[:MAX_NAMED])
    more = len(reader.missing) - MAX_NAMED
    source.notes.append(f"{label}: {len(reader.missing)} document{'s' if len(reader.missing) != 1 else ''} "
                        f"of the Draft {'have' if len(reader.missing) != 1 else 'has'} no text file and "
                        f"came in empty (never typed in, or lost in a copy): {names}"
                        f"{f' and {more} more' if more > 0 else ''}")
