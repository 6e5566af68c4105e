"""The paragraphs of an (X)HTML content document, for the epub reader.

Block elements (``p``, ``div``, ``li``, ``h1``..``h6``, ``blockquote``, table
cells) become paragraphs; a ``<br>`` ends one (a line the author broke stays
a line); ``<hr>`` is a scene break; ``em``/``i``/``cite`` and an inline
``font-style: italic`` are emphasis, ``strong``/``b`` and ``font-weight:
bold`` strong. Scripts, styles, images, SVG and ruby annotations are left
out. An element whose id the table of contents points at is reported as an
:class:`Anchor`, so one file holding several chapters can be cut there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.html
from lxml import etree

from writer_app.storage.formats.common import Block, local, xml_parser
from writer_app.text.manuscript import Span

_BLOCK = {"p", "div", "li", "dt", "dd", "blockquote", "pre", "td", "th", "caption", "figcaption", "section",
          "article", "header", "footer", "aside", "nav", "table", "tr", "ul", "ol", "dl", "figure", "address",
          "center", "main", "body", "hgroup", "tbody", "thead", "tfoot", "details", "summary"}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SKIP = {"head", "script", "style", "svg", "img", "object", "video", "audio", "rt", "rp", "noscript", "math",
         "template", "iframe", "title", "meta", "link"}
_ITALIC = {"em", "i", "cite", "dfn", "var"}
_BOLD = {"strong", "b"}
_SPACES = re.compile(r"[ \t\r\n\f]+")
_STYLE_ITALIC = re.compile(r"font-style\s*:\s*(italic|oblique)", re.I)
_STYLE_BOLD = re.compile(r"font-weight\s*:\s*(bold|[6-9]00)", re.I)


@dataclass(frozen=True)
class Anchor:
    """The place an id the table of contents points at begins."""

    id: str


def parse_document(data: bytes) -> etree._Element:
    """The document's root: strict XHTML first, then the forgiving HTML parser (undeclared
    entities such as ``&nbsp;``, unclosed tags); neither loads DTDs or entities."""
    try:
        return etree.fromstring(data, xml_parser())
    except (etree.XMLSyntaxError, ValueError):
        parser = lxml.html.HTMLParser(no_network=True, remove_comments=True)
        root = lxml.html.document_fromstring(data, parser=parser)
        return root


def document_title(root: etree._Element) -> str:
    for element in root.iter():
        if local(element.tag).lower() == "title":
            return " ".join("".join(element.itertext()).split())
    return ""


def blocks_of(root: etree._Element, anchors: frozenset[str] = frozenset()) -> list[Block | Anchor]:
    body = next((e for e in root.iter() if local(e.tag).lower() == "body"), root)
    out: list[Block | Anchor] = []
    current: list[Span] = []

    def flush(heading: int = 0) -> None:
        if current:
            block = Block.of(list(current), heading=heading)
            if block.text:
                out.append(block)
            current.clear()

    def add(text: str | None, italic: bool, bold: bool) -> None:
        if text:
            current.append(Span(_SPACES.sub(" ", text), italic, bold))

    def walk(element, italic: bool, bold: bool, in_heading: bool) -> None:
        if not isinstance(element.tag, str):  # a comment or processing instruction
            add(element.tail, italic, bold)
            return
        name = local(element.tag).lower()
        ident = element.get("id")
        if ident and ident in anchors:
            if not in_heading:
                flush()
            out.append(Anchor(ident))
        style = element.get("style") or ""
        own_italic = italic or name in _ITALIC or bool(_STYLE_ITALIC.search(style))
        own_bold = bold or name in _BOLD or bool(_STYLE_BOLD.search(style))
        if name in _SKIP:
            pass
        elif name == "br":
            if in_heading:
                add(" ", italic, bold)
            else:
                flush()
        elif name == "hr":
            flush()
            out.append(Block.of([], scene_break=True))
        elif name in _HEADINGS and not in_heading:
            flush()
            add(element.text, own_italic, own_bold)
            for child in element:
                walk(child, own_italic, own_bold, True)
            flush(heading=_HEADINGS[name])
        elif name in _BLOCK and not in_heading:
            flush()
            add(element.text, own_italic, own_bold)
            for child in element:
                walk(child, own_italic, own_bold, False)
            flush()
        else:
            add(element.text, own_italic, own_bold)
            for child in element:
                walk(child, own_italic, own_bold, in_heading)
        add(element.tail, italic, bold)

    add(body.text, False, False)
    for child in body:
        walk(child, False, False, False)
    flush()
    return out
