"""EPUB books (2 and 3): the spine's documents, cut into chapters by the table of contents.

ebooklib reads the package (metadata, manifest, spine, and the EPUB 3 ``nav``
or, failing it, the EPUB 2 NCX into one table of contents). Before it runs,
the archive is checked here, so every refusal is one sentence: not a zip, a
zip with no ``META-INF/container.xml`` or package document, a package with
no spine (an HTML file renamed .epub), DRM (``META-INF/rights.xml``, a
Readium LCP licence, or an ``encryption.xml`` that encrypts more than fonts;
font obfuscation alone is fine).

Each table-of-contents entry starts a chapter where it points (a file, or an
id inside one, so one file may hold several chapters); spine documents the
contents does not name continue the chapter before them (Calibre splits long
chapters into such files), and those before the first entry (cover, title
page, copyright) go to "Front matter". Entries with entries under them are
folders (Part One > its chapters). A chapter's opening heading that repeats
its title is not kept as text. Without a usable table of contents the
documents' headings (h1..h6) and file boundaries decide, as for docx.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote

from writer_app.errors import UserError
from writer_app.storage.formats.common import (
    Block,
    Source,
    body_text,
    has_member,
    local,
    open_zip,
    outline,
    parse_xml,
    read_member,
)
from writer_app.storage.formats.html_blocks import Anchor, blocks_of, parse_document
from writer_app.storage.gutenberg import ParsedText, Section

WHAT = "EPUB"
_FONT_OBFUSCATION = {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
_DRM_FILES = ("META-INF/rights.xml", "META-INF/license.lcpl", "META-INF/sinf.xml")


@dataclass
class _Entry:
    title: str
    depth: int
    file: str
    fragment: str
    blocks: list[Block] = field(default_factory=list)
    children: list[_Entry] = field(default_factory=list)


def read_epub(path: Path, label: str, source: Source) -> ParsedText:
    data = source.read(path, label)
    archive = open_zip(data, label, WHAT)
    with archive:
        _check_package(archive, source, label)
    book = _load(data, label)
    meta = {key: _first(book, key) for key in ("title", "creator", "language")}
    documents = _spine_documents(book, label)
    entries = _toc_entries(book, {name for name, _ in documents})
    sections = _by_contents(documents, entries) if entries else []
    if not sections:
        blocks: list[Block] = []
        for _, root in documents:
            first = True
            for block in blocks_of(root):
                if isinstance(block, Block):
                    block.page_break = first
                    first = False
                    blocks.append(block)
        sections, _ = outline(blocks, meta["title"] or Path(label).stem)
    if not sections:
        raise UserError(f"{label} is empty: its documents hold no text to import")
    return ParsedText(sections, title=meta["title"], author=meta["creator"],
                      language=meta["language"].split("-")[0].lower())


def _check_package(archive: zipfile.ZipFile, source: Source, label: str) -> None:
    """Refuse what ebooklib would choke on or decode wrongly, in one sentence each."""
    for name in _DRM_FILES:
        if has_member(archive, name):
            raise _drm(label)
    if has_member(archive, "META-INF/encryption.xml"):
        root = parse_xml(read_member(archive, "META-INF/encryption.xml", source, label, WHAT), label,
                         "encryption list")
        for method in root.iter():
            if local(method.tag) == "EncryptionMethod" and method.get("Algorithm") not in _FONT_OBFUSCATION:
                raise _drm(label)
    if not has_member(archive, "META-INF/container.xml"):
        raise UserError(f"{label} is not an EPUB book: it has no META-INF/container.xml "
                        "(an EPUB is a zip with a package document and a reading order)")
    container = parse_xml(read_member(archive, "META-INF/container.xml", source, label, WHAT), label, "container")
    package = next((e.get("full-path") for e in container.iter() if local(e.tag) == "rootfile"
                    and e.get("full-path")), None)
    if not package or not has_member(archive, package):
        raise UserError(f"{label} is not a complete EPUB book: its package document "
                        f"{package or '(none named)'} is missing")
    opf = parse_xml(read_member(archive, package, source, label, WHAT), label, "package document")
    spine = next((e for e in opf.iter() if local(e.tag) == "spine"), None)
    if spine is None or not any(local(e.tag) == "itemref" for e in spine):
        raise UserError(f"{label} has no reading order (its package has no spine), so it is not a "
                        "usable EPUB book; if it is a web page, save it as .html and convert it")
    manifest = {e.get("id"): e.get("href") for e in opf.iter() if local(e.tag) == "item"}
    base = posixpath.dirname(package)
    missing = [href or f"item {ref.get('idref')}" for ref in spine if local(ref.tag) == "itemref"
               for href in [manifest.get(ref.get("idref"))]
               if href is None or not has_member(archive, posixpath.normpath(posixpath.join(base, unquote(href))))]
    if missing:
        shown = ", ".join(str(m) for m in missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise UserError(f"{label} is not a complete EPUB book: {len(missing)} document"
                        f"{'s' if len(missing) != 1 else ''} of its reading order "
                        f"{'are' if len(missing) != 1 else 'is'} missing ({shown})")


def _drm(label: str) -> UserError:
    return UserError(f"{label} is protected by DRM (its text is encrypted), so it cannot be imported; "
                     "import the unprotected file you wrote or bought it as")


def _load(data: bytes, label: str):
    from ebooklib import epub  # loaded on use: the importer starts without it

    try:
        return epub.read_epub(BytesIO(data), {"ignore_ncx": True})
    except Exception as exc:  # noqa: BLE001 - ebooklib raises KeyError, IndexError, lxml errors... on bad input
        # A missing member names itself; other failures are ebooklib's internals, not the author's business.
        detail = " ".join(str(exc.args[0]).split())[:160] if isinstance(exc, KeyError) and exc.args else \
            "its package document lists parts it does not hold"
        raise UserError(f"{label} is a damaged EPUB book ({detail}); open it in an e-book editor "
                        "such as Calibre or Sigil and save it again") from exc


def _first(book, key: str) -> str:
    values = book.get_metadata("DC", key)
    return " ".join((values[0][0] or "").split()) if values else ""


def _spine_documents(book, label: str) -> list[tuple[str, object]]:
    """(file name, parsed root) of each content document in reading order."""
    from ebooklib import ITEM_DOCUMENT
    from ebooklib.epub import EpubNav

    documents = []
    for idref, _linear in book.spine:
        item = book.get_item_with_id(idref)
        if item is None or item.get_type() != ITEM_DOCUMENT or isinstance(item, EpubNav):
            continue  # the navigation document is the contents list, not the book's text
        try:
            documents.append((posixpath.normpath(item.get_name()), parse_document(item.get_content())))
        except Exception as exc:  # noqa: BLE001 - lxml.html raises ParserError or ValueError on empty input
            if item.get_content().strip():
                raise UserError(f"{label}: its document {item.get_name()} cannot be read as HTML") from exc
    return documents


def _toc_entries(book, files: set[str]) -> list[_Entry]:
    from ebooklib.epub import Link
    from ebooklib.epub import Section as TocSection

    def convert(items, depth: int) -> list[_Entry]:
        entries: list[_Entry] = []
        for item in items:
            children = []
            if isinstance(item, tuple):
                item, children = item[0], item[1]
            if not isinstance(item, (Link, TocSection)):
                continue
            href = unquote(getattr(item, "href", "") or "")
            name, _, fragment = href.partition("#")
            name = posixpath.normpath(name) if name else ""
            if name and name not in files:  # an NCX path relative to a subfolder, say
                name = next((f for f in files if f.endswith("/" + name) or name.endswith("/" + f)), name)
            entry = _Entry(" ".join((item.title or "").split()), depth, name, fragment)
            entry.children = convert(children, depth + 1)
            if not entry.file and entry.children:  # a heading-only entry starts where its first child does
                entry.file, entry.fragment = entry.children[0].file, entry.children[0].fragment
            if entry.title and (entry.file in files or entry.children):
                entries.append(entry)
        return entries

    toc = book.toc or []
    if not isinstance(toc, list):  # ebooklib returns a bare Link for an NCX whose navMap is empty
        toc = [toc] if isinstance(toc, tuple) else []
    return convert(toc, 0)


def _flatten(entries: list[_Entry]) -> list[_Entry]:
    out: list[_Entry] = []
    for entry in entries:
        out.append(entry)
        out.extend(_flatten(entry.children))
    return out


def _by_contents(documents, entries: list[_Entry]) -> list[Section]:
    flat = _flatten(entries)
    by_file: dict[str, list[_Entry]] = {}
    for entry in flat:
        by_file.setdefault(entry.file, []).append(entry)
    front: list[Block] = []
    current: _Entry | None = None
    started: set[int] = set()
    for name, root in documents:
        here = by_file.get(name, [])
        anchors = {e.fragment: e for e in here if e.fragment}
        for entry in here:  # an entry that points at the file itself starts at its top
            if not entry.fragment and id(entry) not in started:
                started.add(id(entry))
                current = entry
        for block in blocks_of(root, frozenset(anchors)):
            if isinstance(block, Anchor):
                for entry in here:
                    if entry.fragment == block.id and id(entry) not in started:
                        started.add(id(entry))
                        current = entry
                continue
            (current.blocks if current else front).append(block)
    if not started:
        return []
    sections = [_section(entry) for entry in entries if id(entry) in started or entry.children]
    if any(b.text for b in front):
        sections.insert(0, Section("Front matter", body_text(front), "note"))
    return sections


def _section(entry: _Entry) -> Section:
    blocks = list(entry.blocks)
    key = entry.title.casefold()
    while blocks and ((blocks[0].heading and blocks[0].text.casefold() in key)
                      or blocks[0].text.casefold() == key):
        blocks.pop(0)  # the chapter's own heading, already its title
    children = [_section(child) for child in entry.children]
    kind = "folder" if children else "chapter"
    return Section(entry.title, body_text(blocks), kind, children)
