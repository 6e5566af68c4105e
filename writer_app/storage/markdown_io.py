"""Markdown manuscripts: front matter, a heading tree, and bodies in the paragraph model.

Export writes ``---`` front matter (title, author, language), one heading per
node with its depth as the level, and each document's body as one Markdown
paragraph per stored paragraph (a line, then a blank line). Whatever another
Markdown tool would read as structure is escaped, so that tool shows the
words as typed: ``#``/``>``/list markers/``1.`` at a paragraph's start, a
line of ``===`` or ``---``, and anywhere a backslash, backtick or bracket
(backslash escapes, which CommonMark and python-markdown both undo), ``~``,
``<`` before a tag and ``&`` before an entity name (character references,
which both read too). Emphasis is written as ``*em*``/``**strong**``, which
CommonMark reads the same way; a leading indent of spaces or tabs is dropped
(Markdown would make it a code block), an ideographic one (``　　``) is kept,
since Markdown reads it as text.

Import reads bodies back into the paragraph model (:mod:`writer_app.text.manuscript`):
backslash escapes and entities are undone, the lines of one blank-line
separated block are joined with spaces as Markdown means (a hard-wrapped file
comes in as whole paragraphs; no space between two CJK characters; a file
whose lines are already whole paragraphs, such as an export from before the
paragraph model, keeps each line a paragraph), list
items, quoted lines, code lines and hard line breaks start paragraphs of
their own, and every paragraph is stored through :func:`paragraph_markup`
(or as the exported line itself when that reads back the same), so a project
exported and imported again has exactly the same paragraphs and scene breaks.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata

from writer_app.storage.gutenberg import ParsedText, Section, normalize_newlines
from writer_app.text.chunking import is_hard_wrapped
from writer_app.text.manuscript import (
    Paragraph,
    Span,
    is_scene_break,
    paragraph_markup,
    parse_blocks,
    parse_inline,
)

# An ATX heading: CommonMark's closing sequence needs a space before it ("C#" keeps its "#").
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
# A kind the heading's place would not imply is kept as a pandoc-style class.
_KIND_ATTR = re.compile(r"[ \t]*(?<!\\)\{\.(folder|chapter|scene|note)\}$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_THEMATIC_BREAK = re.compile(r"^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_LIST_ITEM = re.compile(r"^ {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_QUOTE = re.compile(r"^ {0,3}>[ ]?")
_CODE_INDENT = re.compile(r"^(?: {4}|\t| {1,3}\t)")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# Backslash escapes are written only for marks CommonMark and python-markdown both unescape
# (\\ ` * _ { } [ ] ( ) > # + - .); "~", "<", "&" and "=" get character references instead.
# Inline marks another tool would read as code, links or strikethrough.
_INLINE_SPECIAL = frozenset("`[]")
_REFERENCE = {"~": "&#126;", "<": "&lt;", "&": "&amp;", "=": "&#61;"}
# "<" starts raw HTML or an autolink only before a letter, "/", "!" or "?".
_TAG_START = re.compile(r"<[A-Za-z/!?]")
# Structure at a paragraph's start: a heading, a quote, a list item, a setext line.
_START_MARK = re.compile(r"^(?:[#>]|[-+*](?=[ \t]|$)|-+[ \t]*$)")
_SETEXT_LINE = re.compile(r"^=+[ \t]*$")
_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=[ \t]|$)")
_INDENT = re.compile(r"^[ \t\u3000\u00a0]+")
_MARKS = re.compile(r"[*_\\]")


def implied_kind(depth: int, has_children: bool) -> str:
    """The kind an imported heading gets from its place in the outline."""
    if has_children:
        return "folder"
    return "chapter" if depth <= 1 else "scene"


# -- export ----------------------------------------------------------------------------------------

def _escape_inline(stored: str, extra: frozenset[str] = frozenset(), *, keep_escapes: bool = True) -> str:
    """Text in Markdown with every backslash and special character escaped. With ``keep_escapes``
    (a stored paragraph) its ``\\*``/``\\_`` escapes and emphasis marks stay as they are: CommonMark
    reads them alike."""
    out: list[str] = []
    i, n = 0, len(stored)
    while i < n:
        char = stored[i]
        if keep_escapes and char == "\\" and i + 1 < n and stored[i + 1] in "*_":
            out.append(stored[i:i + 2])
            i += 2
            continue
        if char == "\\" or char in _INLINE_SPECIAL or char in extra:
            out.append("\\" + char)
        elif char == "~" or char == "&" and _ENTITY.match(stored, i) or char == "<" and _TAG_START.match(stored, i):
            out.append(_REFERENCE[char])
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _escape_start(line: str) -> str:
    """``line`` with a Markdown block marker at its start escaped (``\\#``, ``1\\.``)."""
    if _START_MARK.match(line):
        return "\\" + line
    if _SETEXT_LINE.match(line):
        return _REFERENCE["="] + line[1:]
    ordered = _ORDERED.match(line)
    if ordered:
        return ordered.group(1) + "\\" + line[len(ordered.group(1)):]
    return line


def _scene_break_markdown(mark: str) -> str:
    """A scene break Markdown reads as a break or as the mark itself, never as a heading or list."""
    stars = re.sub(r"[ \t]", "", mark)
    if set(stars) == {"*"} and len(stars) <= 2 and stars != "**":
        return "* * *"  # "*" and "* *" would be list items
    if mark.startswith("#"):
        return "\\" + mark
    return mark.replace("~", _REFERENCE["~"]) if "~~" in mark else mark


def paragraph_markdown(body: str) -> str:
    """One stored paragraph line (its indent removed) as a Markdown paragraph line."""
    body = body.rstrip()
    if not _MARKS.search(body):  # no emphasis, escapes or stars: the common case, and fast
        return _escape_start(_escape_inline(body))
    spans = parse_inline(body)
    regenerated = paragraph_markup(spans)
    # The regenerated form escapes every literal star, so no other tool sees emphasis where this
    # model sees none ("2*3*4"); the line as stored is the fallback when that would change a span.
    source = regenerated if parse_inline(regenerated) == spans else body
    return _escape_start(_escape_inline(source))


def markdown_body(text: str) -> str:
    """A document's stored text as Markdown: each paragraph on one line, then a blank line."""
    out: list[str] = []
    for line in normalize_newlines(text).split("\n"):
        blocks = parse_blocks(line)
        if not blocks:
            continue
        if not isinstance(blocks[0], Paragraph):
            out.append(_scene_break_markdown(line.strip()))
            continue
        indent = _INDENT.match(line)
        body = line[indent.end():] if indent else line
        kept = "".join(c for c in indent.group() if c == "\u3000") if indent else ""
        out.append(kept + paragraph_markdown(body))
    return "\n\n".join(out)


def escape_title(title: str) -> str:
    """A binder title as a heading's text: no emphasis, link, kind class or closing ``#`` for
    another tool (or this importer) to read into it."""
    escaped = _escape_inline(title, frozenset("*_{"), keep_escapes=False)
    trailing = len(escaped) - len(escaped.rstrip("#"))
    if trailing:
        escaped = escaped[: len(escaped) - trailing] + "\\#" * trailing
    return _escape_start(escaped) if escaped.startswith("#") else escaped


def heading_line(level: int, title: str, kind: str, has_children: bool) -> str:
    suffix = "" if kind == implied_kind(level, has_children) else f" {{.{kind}}}"
    return f"{'#' * level} {escape_title(title)}{suffix}"


_YAML_PLAIN_START = frozenset("\"'[]{}&*!|>%@`#,?:-")


def _yaml_value(value: str) -> str:
    """``value`` as a YAML scalar: plain where YAML reads it back as written, else double-quoted."""
    if value and value[0] not in _YAML_PLAIN_START and ": " not in value and " #" not in value \
            and value == value.strip() and not value.endswith(":"):
        return value
    return json.dumps(value, ensure_ascii=False)


def front_matter(title: str, author: str, language: str) -> str:
    lines = ["---", f"title: {_yaml_value(title)}"]
    if author:
        lines.append(f"author: {_yaml_value(author)}")
    if language:
        lines.append(f"language: {_yaml_value(language)}")
    return "\n".join(lines + ["---", "", ""])


def _read_yaml_value(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        try:
            loaded = json.loads(value)
        except ValueError:
            loaded = None
        if isinstance(loaded, str):
            return loaded
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value.strip("\"'")


# -- import ----------------------------------------------------------------------------------------

def _placeholder(text: str) -> str:
    """A private-use character ``text`` does not contain, to stand for a literal backslash."""
    code = 0xE000
    while chr(code) in text:
        code += 1
    return chr(code)


def _unescape(markdown: str, backslash: str, keep: str = "*_") -> str:
    """Markdown's backslash escapes and entities undone; ``\\*``/``\\_`` (``keep``) stay escaped,
    as the stored form writes them, and a literal backslash becomes ``backslash``."""
    out: list[str] = []
    i, n = 0, len(markdown)
    while i < n:
        char = markdown[i]
        if char == "\\" and i + 1 < n and markdown[i + 1] in _ASCII_PUNCTUATION:
            escaped = markdown[i + 1]
            out.append("\\" + escaped if escaped in keep else backslash if escaped == "\\" else escaped)
            i += 2
            continue
        if char == "&":
            entity = _ENTITY.match(markdown, i)
            if entity:
                decoded = html.unescape(entity.group())
                if decoded != entity.group():
                    for c in decoded.replace("\x00", "\ufffd"):
                        out.append("\\" + c if c in keep else backslash if c == "\\" else " " if c.isspace() else c)
                    i = entity.end()
                    continue
        out.append(char)
        i += 1
    return "".join(out)


def title_from_markdown(text: str) -> str:
    """A heading's text as a binder title: escapes and entities undone, spaces collapsed."""
    return " ".join(_unescape(text, "\\", keep="").split())


def stored_paragraph(markdown: str) -> str:
    """One Markdown paragraph's inline text as a stored paragraph line (no indent)."""
    if not _MARKS.search(markdown) and "&" not in markdown:
        return markdown
    backslash = _placeholder(markdown)
    escaped = _unescape(markdown, backslash)
    spans = tuple(Span(s.text.replace(backslash, "\\"), s.emphasis, s.strong) for s in parse_inline(escaped))
    candidate = escaped.replace(backslash, "\\")
    if parse_inline(candidate) == spans:
        return candidate
    return paragraph_markup(spans)


def _joined(lines: list[str]) -> str:
    """The lines of one Markdown paragraph as one line: a soft break is a space, except between
    two wide (CJK) characters, where it is nothing."""
    out = ""
    for line in lines:
        line = line.strip(" \t")
        if not line:
            continue
        if out and not (_wide(out[-1]) and _wide(line[0])):
            out += " "
        out += line
    return out


def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _ends_hard_break(line: str) -> bool:
    if line.endswith("  "):
        return True
    backslashes = len(line) - len(line.rstrip("\\"))
    return backslashes % 2 == 1


class _BodyReader:
    """Markdown body lines to stored paragraph lines, one block at a time."""

    def __init__(self, join_lines: bool = True) -> None:
        self.join_lines = join_lines
        self.out: list[str] = []
        self.buffer: list[str] = []
        self.indented = False
        self.quoted = False
        self.fence: str | None = None

    def flush(self) -> None:
        if self.buffer:
            first = self.buffer[0]
            ideographic = first[: len(first) - len(first.lstrip("\u3000"))]
            text = _joined(self.buffer)
            if text.strip():
                stored = stored_paragraph(text.lstrip("\u3000"))
                if stored:
                    indent = ideographic or ("    " if self.indented else "")
                    self.out.append(indent + stored)
        self.buffer, self.indented, self.quoted = [], False, False

    def literal(self, line: str, indented: bool) -> None:
        """A code line: its own paragraph, every character as typed."""
        text = line.strip()
        if text:
            self.out.append(("    " if indented else "") + paragraph_markup((Span(text),)))

    def feed(self, line: str) -> None:
        if self.fence is not None:
            if re.match(rf"^ {{0,3}}{re.escape(self.fence[0])}{{{len(self.fence)},}}[ \t]*$", line):
                self.fence = None
            else:
                self.literal(line, indented=False)
            return
        if not line.strip():
            self.flush()
            return
        fence = _FENCE.match(line)
        if fence:
            self.flush()
            self.fence = fence.group(1)
            return
        if not self.buffer and _CODE_INDENT.match(line):
            self.literal(line, indented=True)
            return
        marked = _unescape(line.strip(" \t"), "\\", keep="*")
        if is_scene_break(marked):
            self.flush()
            self.out.append(marked.strip())
            return
        if _THEMATIC_BREAK.match(line):
            self.flush()
            self.out.append("* * *")
            return
        quote = _QUOTE.match(line)
        if quote:
            content = line
            while quote:
                content = content[quote.end():]
                quote = _QUOTE.match(content)
            if not self.quoted:
                self.flush()
            self.quoted = self.indented = True
            if not content.strip():
                self.flush()
                return
            line = content
        elif _LIST_ITEM.match(line):
            self.flush()
        hard_break = _ends_hard_break(line)
        self.buffer.append((line.rstrip(" ") if line.endswith("  ") else line[:-1]) if hard_break else line)
        if hard_break or not self.join_lines:
            quoted = self.quoted
            self.flush()
            self.quoted = self.indented = quoted

    def text(self) -> str:
        self.flush()
        return "\n\n".join(self.out)


def markdown_to_stored(lines: list[str], join_lines: bool = True) -> str:
    """A document's Markdown body as stored text: one paragraph per line, blank lines between.

    ``join_lines``: the lines of a block are one paragraph (Markdown's meaning); without it each
    line is a paragraph of its own.
    """
    reader = _BodyReader(join_lines)
    for line in lines:
        reader.feed(line)
    return reader.text()


def _heading(lines: list[str], index: int, in_fence: bool) -> tuple[int, str, int] | None:
    """(level, raw title, lines used) when a heading starts at ``lines[index]``."""
    if in_fence:
        return None
    line = lines[index]
    atx = _HEADING.match(line)
    if atx and not is_scene_break(line) and (atx.group(2) or "").strip():
        return len(atx.group(1)), atx.group(2) or "", 1
    if index + 1 < len(lines) and line.strip() and not _CODE_INDENT.match(line) \
            and (index == 0 or not lines[index - 1].strip()):
        underline = _SETEXT.match(lines[index + 1])
        if underline and not _LIST_ITEM.match(line) and not _QUOTE.match(line) and not _FENCE.match(line) \
                and not _THEMATIC_BREAK.match(line):
            return (1 if underline.group(1)[0] == "=" else 2), line.strip(), 2
    return None


def parse_markdown(text: str, fallback_title: str) -> ParsedText:
    text = normalize_newlines(text)
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        for line in match.group(1).split("\n"):
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() in ("title", "author", "language"):
                meta[key.strip().lower()] = _read_yaml_value(value)
        text = text[match.end():]

    root = Section("", "", kind="folder")
    stack: list[tuple[int, Section]] = [(0, root)]
    bodies: dict[int, list[str]] = {id(root): []}
    lines = text.split("\n")
    fence: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        heading = _heading(lines, index, fence is not None)
        if heading:
            level, raw_title, used = heading
            while stack[-1][0] >= level:
                stack.pop()
            explicit = _KIND_ATTR.search(raw_title)
            section = Section(title_from_markdown(_KIND_ATTR.sub("", raw_title)), "",
                              kind=explicit.group(1) if explicit else "")
            stack[-1][1].children.append(section)
            stack.append((level, section))
            bodies[id(section)] = []
            index += used
            continue
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None and re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", line):
            fence = None
        bodies[id(stack[-1][1])].append(line)
        index += 1

    # Markdown joins the lines of a block into one paragraph, and a hard-wrapped file means just
    # that. A file whose lines are whole paragraphs (they end sentences, or run past 100
    # characters: an export from before issue 13 wrote a chapter typed with Enter that way,
    # with no blank lines) keeps each line a paragraph rather than merging a chapter into one.
    join_lines = is_hard_wrapped("\n".join(line for body in bodies.values() for line in body))

    def finish(section: Section) -> None:
        section.text = markdown_to_stored(bodies[id(section)], join_lines)
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
