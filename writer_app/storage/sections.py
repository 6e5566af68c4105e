"""What an importer hands the library: an outline of sections, and the book's metadata.

Every importer (plain text, Markdown, and the other formats) parses into these,
:mod:`writer_app.storage.long_text` makes them editable, and
:func:`writer_app.storage.importer.import_plan` writes them. Kinds are the
binder's: folder, chapter, scene, note (notes are left out of training).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass
class Section:
    title: str
    text: str
    kind: str = "chapter"
    children: list[Section] = field(default_factory=list)


@dataclass
class ParsedText:
    sections: list[Section]
    title: str = ""
    author: str = ""
    language: str = ""
    notes: list[str] = field(default_factory=list)  # what the parser changed, for the import notes


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def tidy_block(text: str) -> str:
    """Drop blank lines at the start and trailing whitespace at the end (indents kept)."""
    return re.sub(r"\A(?:[ \t\u3000]*\n)+", "", text).rstrip()
