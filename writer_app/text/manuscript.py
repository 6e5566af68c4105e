"""The paragraph model: what a document's stored text means, read one way everywhere.

A document is prose. Every line is one paragraph (the editor's Enter ends a
paragraph, as in a word processor); blank lines are spacing and carry no
meaning, so text imported with blank lines between paragraphs and text typed
with single Enters read the same. Leading spaces, tabs and ideographic spaces
(the Chinese ``　　`` convention) are an indent, never a code block. A line that
holds nothing but a scene-break mark (``* * *``, ``***``, ``#``, ``~``, ``⁂``)
is a scene break. Inside a paragraph, ``*text*`` / ``_text_`` is emphasis and
``**text**`` / ``__text__`` is strong; ``\\*`` and ``\\_`` are a literal
asterisk and underscore. Nothing else is markup: a line that starts with
``#``, ``>``, ``-`` or ``1.`` is a paragraph that starts with that character.

Preview and every exporter (Markdown, HTML, plain text, docx, epub, odt) read
the text through :func:`parse_blocks`, so they cannot disagree about where a
paragraph ends; importers write their text through :func:`paragraph_markup`,
so what comes in reads back as the same paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A scene break: one to five marks of one kind, optionally spaced, alone on a line (matched on the
# line stripped of any whitespace, the same whitespace a paragraph's edges lose, so "#" followed by
# a no-break space is a break and never a paragraph "#" that would read back as one).
_SCENE_BREAK = re.compile(r"^(?:([*#~⁂＊])(?:\s*\1){0,4}|⁂)$")
_INDENT = re.compile(r"^[ \t\u3000\u00a0]+")
# An emphasised run: the delimiter is not preceded by a word character or a backslash, is followed
# by a character that is not a space or another delimiter, and closes on a non-space that is not a
# backslash, with no word character after it (so snake_case and 2*3*4 stay as typed).
_RUN = re.compile(
    r"(?<![\w\\])(?P<d>\*\*\*|\*\*|\*|___|__|_)(?=[^\s*_])(?P<body>.*?[^\s\\*_]|[^\s\\*_])(?P=d)(?![\w*_])"
)
_ESCAPE = re.compile(r"\\([*_])")
_NEEDS_ESCAPE = re.compile(r"([*_])")


@dataclass(frozen=True)
class Span:
    """A run of text with one style; ``text`` is what the reader sees (no marks, no escapes)."""

    text: str
    emphasis: bool = False
    strong: bool = False


@dataclass(frozen=True)
class Paragraph:
    spans: tuple[Span, ...]
    indented: bool = False

    @property
    def text(self) -> str:
        """The paragraph as the reader sees it, without marks or indent."""
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class SceneBreak:
    mark: str = "#"


Block = Paragraph | SceneBreak


def is_scene_break(line: str) -> bool:
    return bool(_SCENE_BREAK.match(line.strip()))


def parse_inline(line: str, emphasis: bool = False, strong: bool = False) -> tuple[Span, ...]:
    """The styled runs of one paragraph's text; unpaired delimiters stay as typed."""
    spans: list[Span] = []
    pos = 0
    for match in _RUN.finditer(line):
        if match.start() > pos:
            spans.append(Span(_ESCAPE.sub(r"\1", line[pos:match.start()]), emphasis, strong))
        delimiter = match.group("d")
        spans.extend(parse_inline(match.group("body"),
                                  emphasis or len(delimiter) in (1, 3),
                                  strong or len(delimiter) >= 2))
        pos = match.end()
    if pos < len(line):
        spans.append(Span(_ESCAPE.sub(r"\1", line[pos:]), emphasis, strong))
    return _merged(spans)


def _merged(spans: list[Span]) -> tuple[Span, ...]:
    out: list[Span] = []
    for span in spans:
        if not span.text:
            continue
        if out and (out[-1].emphasis, out[-1].strong) == (span.emphasis, span.strong):
            out[-1] = Span(out[-1].text + span.text, span.emphasis, span.strong)
        else:
            out.append(span)
    return tuple(out)


def parse_blocks(text: str) -> list[Block]:
    """The document's paragraphs and scene breaks, in order; blank lines are dropped."""
    blocks: list[Block] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            continue
        if is_scene_break(line):
            blocks.append(SceneBreak(line.strip()))
            continue
        indent = _INDENT.match(line)
        body = line[indent.end():] if indent else line
        spans = parse_inline(body.rstrip())
        if spans:
            blocks.append(Paragraph(spans, indented=bool(indent)))
    return blocks


def paragraphs(text: str) -> list[str]:
    """Each paragraph's visible text (scene breaks left out): what a round trip must keep."""
    return [block.text for block in parse_blocks(text) if isinstance(block, Paragraph)]


def escape_literal(text: str) -> str:
    """``text`` written so that none of its characters reads as a mark."""
    return _NEEDS_ESCAPE.sub(r"\\\1", text)


def span_markup(span: Span) -> str:
    """One span in the stored form: escaped text inside its delimiters."""
    body = escape_literal(span.text)
    if not (span.emphasis or span.strong) or not body.strip():
        return body
    delimiter = "***" if span.emphasis and span.strong else "**" if span.strong else "*"
    # Delimiters must touch the text; spaces at the run's edges go outside them.
    lead = body[: len(body) - len(body.lstrip())]
    trail = body[len(body.rstrip()):]
    return f"{lead}{delimiter}{body.strip()}{delimiter}{trail}"


def paragraph_markup(spans: tuple[Span, ...] | list[Span]) -> str:
    """A paragraph in the stored form, for importers: one line that :func:`parse_inline` reads back.

    Line breaks inside the paragraph become spaces (a stored line is a whole paragraph). A style
    the stored form cannot express where it stands (emphasis inside a word, ``un*believ*able``)
    is dropped rather than shown as stray asterisks: the words always survive.
    """
    cleaned = _merged([Span(" ".join(s.text.replace("\t", " ").split("\n")), s.emphasis, s.strong)
                       for s in spans])
    markup = "".join(span_markup(span) for span in cleaned).strip()
    if _reads_back(markup, cleaned):
        return markup
    kept = []
    for i, span in enumerate(cleaned):
        before = cleaned[i - 1].text[-1:] if i else ""
        after = cleaned[i + 1].text[:1] if i + 1 < len(cleaned) else ""
        inside_word = before.isalnum() or after.isalnum() or before in "*_" or after in "*_"
        kept.append(Span(span.text) if (span.emphasis or span.strong) and inside_word else span)
    markup = "".join(span_markup(span) for span in _merged(kept)).strip()
    if _reads_back(markup, _merged(kept)):
        return markup
    return escape_literal("".join(span.text for span in cleaned)).strip()


def _reads_back(markup: str, spans: tuple[Span, ...]) -> bool:
    expected = _merged([Span(s.text, s.emphasis, s.strong) for s in spans])
    got = parse_inline(markup)
    return _strip_edges(got) == _strip_edges(expected)


def _strip_edges(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """Spans compared as the stored (stripped) line holds them."""
    text = "".join(s.text for s in spans)
    lead, trail = len(text) - len(text.lstrip()), len(text) - len(text.rstrip())
    out: list[Span] = []
    pos = 0
    for span in spans:
        start, end = pos, pos + len(span.text)
        pos = end
        lo, hi = max(start, lead), min(end, len(text) - trail)
        if hi > lo:
            out.append(Span(text[lo:hi], span.emphasis, span.strong))
    # Whitespace-only spans carry no visible style.
    return _merged([Span(s.text, s.emphasis and bool(s.text.strip()), s.strong and bool(s.text.strip()))
                    for s in out])
