"""A document's text as HTML, for the HTML export and the editor's Preview alike.

The text is read with :func:`writer_app.text.manuscript.parse_blocks`, the one
reader every exporter uses, so Preview, HTML, Markdown and plain text cannot
disagree about where a paragraph ends: each stored line is one ``<p>``, an
indented one is ``<p class="indent">`` (never a code block), a scene-break
line is ``<p class="scene-break">`` holding its mark, and ``*em*``/``**strong**``
become ``<em>``/``<strong>``. Nothing else is markup: every character the
author typed, ``<``, ``&`` and brackets included, is escaped text, so the page
holds no raw HTML, links, images, tables or code for a browser to act on.
"""

from __future__ import annotations

import html
import re

from writer_app.text.manuscript import Block, Paragraph, Span, parse_blocks

# What the classes mean; the export puts it in the page's <head>, Preview in its own style sheet.
MANUSCRIPT_CSS = """\
p.indent { text-indent: 2em; }
p.scene-break { text-align: center; text-indent: 0; margin: 1em 0; }
"""


# C0 and C1 controls (but the tab): invisible in a browser and not allowed in XHTML (epub).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def escape_text(text: str, quote: bool = False) -> str:
    """``text`` as HTML character data (``quote``: an attribute value): ``<``, ``>`` and ``&``
    escaped, control characters dropped."""
    return html.escape(_CONTROL.sub("", text), quote=quote)


def _span(span: Span) -> str:
    text = escape_text(span.text)
    if span.strong:
        text = f"<strong>{text}</strong>"
    if span.emphasis:
        text = f"<em>{text}</em>"
    return text


def render_blocks(blocks: list[Block]) -> str:
    """Paragraphs and scene breaks as an HTML body fragment, one element per line."""
    out = []
    for block in blocks:
        if isinstance(block, Paragraph):
            opening = '<p class="indent">' if block.indented else "<p>"
            out.append(opening + "".join(_span(span) for span in block.spans) + "</p>")
        else:
            out.append(f'<p class="scene-break">{escape_text(block.mark)}</p>')
    return "\n".join(out)


def render_manuscript(text: str) -> str:
    """A document's stored text as a safe HTML body fragment."""
    return render_blocks(parse_blocks(text))
