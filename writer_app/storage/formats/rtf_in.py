"""Rich Text Format (.rtf) manuscripts, and the RTF inside a Scrivener project.

striprtf turns RTF into plain text and so loses italics; no
maintained Python library reads RTF with its character formatting, so this is
a small reader of our own: a tokenizer over control words and groups that
keeps what a manuscript needs and skips every destination it does not know
(``{\\*\\...}``, font and colour tables, pictures, headers, footnotes, fields'
instructions). It keeps ``\\i``/``\\b`` (and ``\\plain``), paragraphs
(``\\par``, and Cocoa's ``\\`` + newline), ``\\line`` as a new paragraph,
``\\page``/``\\pagebb``/section breaks, outline levels and heading styles from
the style sheet, Unicode (``\\uN`` with its ``\\ucN`` fallback skipped,
surrogate pairs joined) and ``\\'hh`` bytes decoded with the document's code
page or the current font's character set (GBK for Chinese Word files), and the
title and author from ``{\\info}``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from writer_app.errors import UserError
from writer_app.storage.formats.common import Block, Source, outline
from writer_app.storage.gutenberg import ParsedText
from writer_app.text.manuscript import Span

_TOKEN = re.compile(rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z])|([{}])|([\r\n]+)|([^\\{}\r\n]+)",
                    re.S)
# Destinations whose text is not the manuscript's (besides every {\*\...} one).
_SKIP_DESTINATIONS = {
    "fonttbl", "colortbl", "stylesheet", "pict", "object", "header", "headerl", "headerr", "headerf", "footer",
    "footerl", "footerr", "footerf", "footnote", "fldinst", "listtable", "listoverridetable", "revtbl", "rsidtbl",
    "xmlnstbl", "themedata", "colorschememapping", "datastore", "latentstyles", "pgdsctbl", "mmathPr", "annotation",
    "atnid", "atnauthor", "filetbl", "generator", "private", "nonshppict", "shppict", "bkmkstart", "bkmkend",
    "info", "txe", "xe", "tc", "operator", "expandedcolortbl", "field_tbl", "docvar", "userprops", "template",
}
_INFO_FIELDS = {"title", "author", "subject"}
# \fcharsetN -> Python codec
_CHARSETS = {0: None, 1: None, 2: None, 77: "mac_roman", 128: "cp932", 129: "cp949", 134: "gbk", 136: "big5",
             161: "cp1253", 162: "cp1254", 163: "cp1258", 177: "cp1255", 178: "cp1256", 186: "cp1257",
             204: "cp1251", 222: "cp874", 238: "cp1250"}
_SYMBOLS = {"emdash": "\u2014", "endash": "\u2013", "lquote": "\u2018", "rquote": "\u2019", "ldblquote": "\u201c",
            "rdblquote": "\u201d", "bullet": "\u2022", "tab": " ", "emspace": "\u2003", "enspace": "\u2002",
            "qmspace": "\u2005", "zwj": "\u200d", "zwnj": "\u200c"}


@dataclass
class _State:
    italic: bool = False
    bold: bool = False
    skip: bool = False
    uc: int = 1
    font: int = -1
    destination: str = ""  # the destination whose text this group collects ("" = the body)


@dataclass
class RtfDocument:
    blocks: list[Block]
    info: dict[str, str] = field(default_factory=dict)


def read_rtf(path: Path, label: str, source: Source) -> ParsedText:
    document = parse_rtf(source.read(path, label), label)
    sections, own_title = outline(document.blocks, document.info.get("title") or Path(label).stem)
    if not sections:
        raise UserError(f"{label} is empty; there is nothing to import")
    return ParsedText(sections, title=document.info.get("title") or own_title,
                      author=document.info.get("author", ""))


def parse_rtf(data: bytes, label: str) -> RtfDocument:
    if not data.strip():
        return RtfDocument([])
    if not data.lstrip().startswith(b"{\\rtf"):
        raise UserError(f"{label} is not an RTF document (it does not start with {{\\rtf); "
                        "save it again as Rich Text Format")
    return _Reader(data, label).run()


class _Reader:
    """One pass over the token stream; paragraph state is kept in ``self``."""

    def __init__(self, data: bytes, label: str) -> None:
        self.data, self.label = data, label
        self.codepage = "cp1252"
        self.fonts: dict[int, str | None] = {}
        self.styles: dict[int, tuple[str, int]] = {}  # \sN -> (name, outline level)
        self.blocks: list[Block] = []
        self.info: dict[str, str] = {}
        self.spans: list[Span] = []
        self.level = 0
        self.style_number = 0
        self.page_break = False
        self.pending_bytes = bytearray()
        self.pending_state: _State | None = None
        self.high_surrogate = 0
        self.collected: dict[int, list[str]] = {}  # id(group state) -> text of a table entry or info field

    def run(self) -> RtfDocument:
        state = _State()
        stack: list[_State] = []
        skip_chars = 0
        new_group = False
        position = 0
        data = self.data
        while position < len(data):
            match = _TOKEN.match(data, position)
            if match is None:  # a lone backslash at the very end
                break
            position = match.end()
            word, number, hex_byte, symbol, brace, newline, text = match.groups()
            if newline:
                continue
            if brace == b"{":
                self._flush_bytes()
                stack.append(state)
                state = replace(state)
                new_group = True
                continue
            if brace == b"}":
                self._flush_bytes()
                self._end_group(state)
                if not stack:
                    break  # the end of the document
                state = stack.pop()
                new_group = False
                continue
            starting, new_group = new_group, False
            if skip_chars and text:  # the ANSI stand-in after a \uN
                consumed = min(skip_chars, len(text))
                skip_chars, text = skip_chars - consumed, text[consumed:]
                if not text:
                    continue
            elif skip_chars and hex_byte:
                skip_chars -= 1
                continue
            elif word != b"u":
                skip_chars = 0
            if word:
                name = word.decode("ascii")
                value = int(number) if number is not None else None
                if name == "bin" and value:
                    position += value  # binary picture data
                    continue
                skip_chars = self._control(name, value, state, starting)
                continue
            if symbol:
                self._symbol(symbol.decode("latin-1"), state)
                continue
            if hex_byte:
                if not state.skip:
                    if self.pending_state is not None and self.pending_state != state:
                        self._flush_bytes()
                    self.pending_bytes.append(int(hex_byte, 16))
                    self.pending_state = state
                continue
            if text and not state.skip:
                self._flush_bytes()
                self._text(text.decode(self._codec(state), errors="replace"), state)
            elif text and state.destination:
                self._collect(state, text.decode(self._codec(state), errors="replace"))
        self._flush_bytes()
        self._end_paragraph()
        return RtfDocument(self.blocks, self.info)

    # -- control words -----------------------------------------------------------------------

    def _control(self, name: str, value: int | None, state: _State, starting: bool) -> int:
        """Apply one control word; returns how many fallback characters to skip after it."""
        if name == "u" and value is not None:
            self._unicode(value, state)
            return state.uc
        self._flush_bytes()
        if starting and (name in _SKIP_DESTINATIONS or name in _INFO_FIELDS):
            state.skip = True
            if name in _INFO_FIELDS or name in ("fonttbl", "stylesheet"):
                state.destination = name
            return 0
        if name == "ansicpg" and value:
            self.codepage = f"cp{value}"
        elif name == "mac":
            self.codepage = "mac_roman"
        elif name == "uc" and value is not None:
            state.uc = max(0, value)
        elif name == "f" and value is not None:
            state.font = value
            if state.destination == "fonttbl":
                self.fonts.setdefault(value, None)
        elif name == "fcharset" and value is not None and state.destination == "fonttbl":
            self.fonts[state.font] = _CHARSETS.get(value)
        elif name == "s" and value is not None:
            if state.destination == "stylesheet":
                self.collected.setdefault(id(state), []).append(f"\x00{value}")
            elif not state.skip:
                self.style_number = value
        elif name == "outlinelevel" and value is not None:
            if state.destination == "stylesheet":
                self.collected.setdefault(id(state), []).append(f"\x01{value}")
            elif not state.skip:
                self.level = value + 1 if 0 <= value < 9 else 0
        elif state.skip:
            return 0
        elif name == "i":
            state.italic = value != 0
        elif name == "b":
            state.bold = value != 0
        elif name == "plain":
            state.italic = state.bold = False
        elif name == "par":
            self._end_paragraph()
        elif name == "line":
            self._end_paragraph()
        elif name in ("page", "sect"):
            self._end_paragraph()
            self.page_break = True
        elif name == "pagebb":
            self.page_break = True
        elif name == "pard":
            self.level = 0
            self.style_number = 0
        elif name in _SYMBOLS:
            self._text(_SYMBOLS[name], state)
        elif name == "cell":
            self._end_paragraph()
        return 0

    def _symbol(self, symbol: str, state: _State) -> None:
        if symbol == "*":
            state.skip = True  # an optional destination we do not know
            return
        if symbol in "\n\r":  # Cocoa writes "\" + newline for \par
            if not state.skip:
                self._flush_bytes()
                self._end_paragraph()
            return
        text = {"~": "\u00a0", "_": "-", "-": "", "{": "{", "}": "}", "\\": "\\", "|": "", ":": ""}.get(symbol, "")
        if text and not state.skip:
            self._flush_bytes()
            self._text(text, state)
        elif text and state.destination:
            self._collect(state, text)

    def _unicode(self, value: int, state: _State) -> None:
        self._flush_bytes()
        code = value + 65536 if value < 0 else value
        if 0xD800 <= code < 0xDC00:
            self.high_surrogate = code
            return
        if 0xDC00 <= code < 0xE000 and self.high_surrogate:
            code = 0x10000 + ((self.high_surrogate - 0xD800) << 10) + (code - 0xDC00)
        self.high_surrogate = 0
        if 0xD800 <= code < 0xE000:
            return  # a lone surrogate cannot be stored
        if state.skip:
            if state.destination:
                self._collect(state, chr(code))
            return
        self._text(chr(code), state)

    # -- text ----------------------------------------------------------------------------------

    def _codec(self, state: _State) -> str:
        codec = self.fonts.get(state.font) or self.codepage
        try:
            codecs.lookup(codec)
        except LookupError:
            return "cp1252"
        return codec

    def _flush_bytes(self) -> None:
        if not self.pending_bytes:
            return
        state = self.pending_state or _State()
        text = bytes(self.pending_bytes).decode(self._codec(state), errors="replace")
        self.pending_bytes.clear()
        self.pending_state = None
        if state.skip:
            if state.destination:
                self._collect(state, text)
        else:
            self._text(text, state)

    def _text(self, text: str, state: _State) -> None:
        self.spans.append(Span(text, state.italic, state.bold))

    def _collect(self, state: _State, text: str) -> None:
        self.collected.setdefault(id(state), []).append(text)

    def _end_group(self, state: _State) -> None:
        pieces = self.collected.pop(id(state), None)
        if not pieces:
            return
        if state.destination in _INFO_FIELDS:
            value = " ".join("".join(pieces).split())
            if value:
                self.info.setdefault(state.destination, value)
        elif state.destination == "stylesheet":
            number, level, name = 0, 0, []
            for piece in pieces:
                if piece.startswith("\x00"):
                    number = int(piece[1:])
                elif piece.startswith("\x01"):
                    level = int(piece[1:]) + 1
                else:
                    name.append(piece)
            title = "".join(name).strip().rstrip(";").strip().casefold()
            if not level and title.startswith("heading ") and title[8:].isdigit():
                level = int(title[8:])
            self.styles[number] = (title, level if 0 < level <= 9 else 0)

    def _end_paragraph(self) -> None:
        spans, self.spans = self.spans, []
        name, style_level = self.styles.get(self.style_number, ("", 0))
        level = self.level or style_level
        block = Block.of(spans, heading=0 if name == "title" else level, title=name == "title",
                      page_break=self.page_break)
        if block.text:
            self.blocks.append(block)
            self.page_break = False
