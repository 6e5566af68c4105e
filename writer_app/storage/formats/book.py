"""What the binary exporters write: the exported documents as titled lists of blocks.

The docx, epub and odt writers never read stored text themselves: :func:`book_from`
runs every document through :func:`writer_app.text.manuscript.parse_blocks` (the
one reader Preview and the text exporters share), so a paragraph, an emphasis or
a scene break means the same thing in every format. It also decides, once for
all three, which documents begin a chapter (a new page in docx and odt, a new
file in epub): every top-level document, every folder and every chapter; scenes
and notes inside a chapter run on under their own heading.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from writer_app.text.counts import count_words
from writer_app.text.manuscript import Block, Paragraph, parse_blocks

if TYPE_CHECKING:
    from writer_app.storage.library import Library
    from writer_app.storage.models import Node, Project

# Characters XML 1.0 cannot hold (C0 controls but tab and line ends, lone surrogates, U+FFFE/F):
# lxml refuses them, so a stray one pasted into a chapter must not make the export fail. A
# vertical tab or form feed (a word processor's line or page break, pasted) stands between
# words, so it becomes a space; the others are dropped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BREAKS = re.compile("[\x0b\x0c]")
CJK_LANGUAGES = ("zh", "ja", "ko")
# Where paper is US Letter (everywhere else it is A4): the US, Canada, Mexico, the Philippines.
LETTER_REGIONS = ("US", "CA", "MX", "PH")


def xml_safe(text: str) -> str:
    """``text`` without the characters an XML document cannot contain."""
    return _NOT_XML.sub("", _BREAKS.sub(" ", text))


@dataclass(frozen=True)
class Entry:
    """One exported document: its heading, its place in the outline and its blocks."""

    node_id: int
    title: str
    kind: str
    depth: int  # 0 for the top level of what is exported
    parent_id: int | None
    starts_chapter: bool  # a new page (docx, odt) or a new file (epub)
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Book:
    title: str
    author: str
    language: str
    identifier: str  # the same for every export of the same project and selection
    entries: tuple[Entry, ...]

    @property
    def words(self) -> int:
        """Words of the text (one per CJK character), headings left out."""
        return sum(count_words(block.text) for entry in self.entries for block in entry.blocks
                   if isinstance(block, Paragraph))

    @property
    def primary_language(self) -> str:
        """"zh" for "zh-Hans-CN": the language without script or region."""
        return self.language.split("-")[0].lower()

    @property
    def cjk(self) -> bool:
        return self.primary_language in CJK_LANGUAGES

    @property
    def letter_paper(self) -> bool:
        """US Letter for English without a region or in a Letter country, and for a Letter region."""
        parts = self.language.replace("_", "-").split("-")
        regions = [p.upper() for p in parts[1:] if len(p) == 2]
        if regions:
            return regions[-1] in LETTER_REGIONS
        return self.primary_language == "en"


def book_from(lib: Library, project: Project, items: list[tuple[Node, int]], title: str,
              whole_project: bool) -> Book:
    """The documents in ``items`` ((node, depth) in outline order) with ``project``'s metadata.

    The identifier names the project (or, for a selection, the project and its first document),
    so that an e-reader sees a re-export as a new edition of the same book, not another book.
    """
    parents = {node.parent_id for node, _ in items}
    entries = []
    for node, depth in items:
        starts = depth == 0 or node.kind in ("folder", "chapter") or node.id in parents
        entries.append(Entry(node.id, xml_safe(node.title), node.kind, depth, node.parent_id, starts,
                             tuple(parse_blocks(xml_safe(lib.get_text(node.id))))))
    key = f"writer-app:{project.id}:{project.created_at}"
    if not whole_project and items:
        key += f":{items[0][0].id}"
    return Book(title=xml_safe(title), author=xml_safe(project.author), language=xml_safe(project.language).strip() or "en",
                identifier=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}", entries=tuple(entries))
