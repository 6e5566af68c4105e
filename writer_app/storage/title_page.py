"""A book's title and author from its own first lines, and book titles in a sensible case.

Read only the top of the text (``TOP_LINES`` non-blank lines), in this order:

* ``《红楼梦》曹雪芹`` / ``《红楼梦》`` at the start of the first line: the Chinese
  title between the book-title marks, and a short name after them (``著`` and
  ``作者：`` dropped) as the author;
* a "title page": up to three short lines followed by ``by NAME`` (or ``BY``
  alone on a line, then the name): ``PRIDE AND PREJUDICE / By Jane Austen``;
* a first line that is a Markdown heading (``# The Visit``) or a Setext one
  (``The Visit`` over ``=========``);
* with ``bare_title_ok`` (the caller found chapters after it), a first line
  alone in its block that reads like a title: ALL CAPS, or a short CJK line
  without sentence punctuation (``红楼梦``);
* an ``作者：NAME`` / ``Author: NAME`` line among those top lines.

The lines that gave the title and author are reported, so that the caller
keeps them out of the front matter (they are the project's metadata now).
A shouted ALL-CAPS title or name is shown in title case ("Pride and
Prejudice", "Jane Austen"); any other capitalisation is the book's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from writer_app.text.numerals import roman_value
from writer_app.text.unwrap import display_width

TOP_LINES = 12
MAX_TITLE_WIDTH = 60

_BOOK_MARKS = re.compile(r"^[ \t\u3000]*《(?P<title>[^《》]{1,40})》[ \t\u3000]*(?P<rest>.*)$")
_ATX = re.compile(r"^#{1,6}[ \t]+(?P<title>\S.*?)[ \t]*#*[ \t]*$")
_UNDERLINE = re.compile(r"^[ \t]*(?:=+|-+)[ \t]*$")
_BY = re.compile(r"^(?:by|BY|By)[ \t]+(?P<name>\S.{0,60})$")
_BY_ALONE = re.compile(r"^(?:by|BY|By)\.?$")
_AUTHOR_FIELD = re.compile(r"^(?:作者|著者|Author|AUTHOR)[ \t]*[:：][ \t]*(?P<name>\S.{0,40})$")
_SENTENCE_END = re.compile(r"[.!?。！？，,;；:：…]$")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Headings of front matter, never a book's title.
_FRONT_HEADINGS = re.compile(
    r"(?i)^(?:(?:table of )?contents|preface|foreword|introduction|dedication|epigraph|acknowledge?ments?"
    r"|(?:list of )?illustrations|transcriber'?s note|author'?s note|note|prologue|目录|目錄|序|序言|前言|自序)\.?$"
)
SMALL_WORDS = frozenset(
    "a an the and but or nor for of in on at to by with from as into upon over per via vs".split()
)


@dataclass
class TitlePage:
    title: str = ""
    author: str = ""
    lines: set[int] = field(default_factory=set)  # indexes of the lines that gave them


def is_shouted(text: str) -> bool:
    letters = [c for c in text if c.isalpha() and c.lower() != c.upper()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _cap(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


def title_case(text: str, small_words: bool = True) -> str:
    """"PRIDE AND PREJUDICE" -> "Pride and Prejudice"; text not in ALL CAPS is returned as it is."""
    text = " ".join(text.split())
    if not is_shouted(text):
        return text
    words = text.split(" ")
    out = []
    for index, word in enumerate(words):
        core = word.strip("\"'“”‘’([{.,:;!?")
        if core and roman_value(core) is not None and len(core) > 1 and core not in ("MIX", "DIM", "MID"):
            out.append(word)  # HENRY VIII keeps its numeral
        elif small_words and 0 < index < len(words) - 1 and core.lower() in SMALL_WORDS:
            out.append(word.lower())
        else:
            lead = len(word) - len(word.lstrip("\"'“”‘’([{"))
            out.append(word[:lead] + _cap(word[lead:]))
    return " ".join(out)


def _clean_name(name: str) -> str:
    name = re.sub(r"[ \t\u3000]*(?:著|撰|编著|原著)$", "", name.strip()).strip(" ,;")
    return title_case(name, small_words=False)


def _title_like(line: str) -> bool:
    stripped = line.strip()
    return (0 < display_width(stripped) <= MAX_TITLE_WIDTH and not _SENTENCE_END.search(stripped.rstrip("”’\"'"))
            and not stripped.startswith(("[", "(", "*", "#")))


def find_title_page(lines: list[str], bare_title_ok: bool = False) -> TitlePage:
    """The title and author the top of ``lines`` names (see the module doc); empty if none."""
    top: list[int] = []
    for index, line in enumerate(lines):
        if line.strip():
            top.append(index)
            if len(top) == TOP_LINES:
                break
    page = TitlePage()
    if not top:
        return page
    first = lines[top[0]]
    marks = _BOOK_MARKS.match(first)
    if marks:
        page.title = marks.group("title").strip()
        page.lines.add(top[0])
        rest = marks.group("rest").strip()
        if rest and display_width(rest) <= 24 and not _SENTENCE_END.search(rest):
            page.author = _clean_name(rest)
    elif _ATX.match(first.strip()) or (len(top) > 1 and top[1] == top[0] + 1 and _UNDERLINE.match(lines[top[1]])
                                        and _title_like(first)):
        atx = _ATX.match(first.strip())
        page.title = title_case(atx.group("title") if atx else first.strip())
        page.lines.update([top[0]] if atx else [top[0], top[1]])
        rest = [i for i in top if i not in page.lines]
        by = _BY.match(lines[rest[0]].strip()) if rest else None
        if by:
            page.author = _clean_name(by.group("name"))
            page.lines.add(rest[0])
    else:
        for position, index in enumerate(top[:5]):
            line = lines[index].strip()
            by = _BY.match(line)
            name_index = index
            if not by and _BY_ALONE.match(line) and position + 1 < len(top):
                name_index = top[position + 1]
                by = re.match(r"(?P<name>.+)", lines[name_index].strip())
            if not by or position == 0:
                continue
            title_lines = [i for i in top[:position] if _title_like(lines[i])]
            if len(title_lines) != position or position > 3:
                break
            page.title = title_case(" ".join(lines[i].strip() for i in title_lines))
            page.author = _clean_name(by.group("name"))
            page.lines.update(title_lines + [index, name_index])
            break
        if not page.title and bare_title_ok and _title_like(first):
            alone = top[0] + 1 >= len(lines) or not lines[top[0] + 1].strip()
            stripped = first.strip()
            cjk_title = bool(_CJK.search(stripped)) and display_width(stripped) <= 40
            if alone and (is_shouted(stripped) or cjk_title) and not _FRONT_HEADINGS.match(stripped):
                page.title = title_case(stripped)
                page.lines.add(top[0])
    if not page.author:
        for index in top:
            field_match = _AUTHOR_FIELD.match(lines[index].strip())
            if field_match:
                page.author = _clean_name(field_match.group("name"))
                page.lines.add(index)
                break
    return page
