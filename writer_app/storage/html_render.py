"""Manuscript Markdown to HTML that is safe to open in any browser.

One renderer for the HTML export and the editor's Preview, so the two can
never disagree. A manuscript is prose with light Markdown (emphasis, links,
lists, footnotes, tables): every ``<`` and ``&`` the author typed is text,
shown as typed, never markup or an entity. Built on python-markdown's own
extension API rather than on regular expressions over its output:

- raw HTML and entities are switched off (the ``html_block`` preprocessor and
  the ``html``/``entity`` inline patterns), so nothing is escaped twice and a
  code span shows ``a < b``, not ``a &lt; b``;
- the link and image patterns refuse a match whose end would fall inside one
  of python-markdown's internal placeholders (``[a]("(\\)`` used to leave
  ``\\x02klzzwxh:000`` in the page); the text is then kept as written;
- emphasis that python-markdown 3.11 cannot pair is left as typed instead of
  losing the characters after it (``5*3**2*4`` came out as ``5*3<strong>2</strong>``);
- a text nested too deep for python-markdown's recursion is shown as plain
  paragraphs rather than failing the export;
- a last tree processor keeps only http(s), mailto, relative and ``#``
  links (images: http(s) and relative), judged the way a browser reads the
  URL (entities decoded, tabs and newlines dropped, controls trimmed, any
  case), turns any other link into its plain text and any other image into
  its alt text, keeps only attributes Markdown itself writes, and drops any
  placeholder fragment that still slipped through.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as etree

import markdown
from markdown import util
from markdown.extensions import Extension
from markdown.inlinepatterns import (
    IMAGE_LINK_RE,
    LINK_RE,
    ImageInlineProcessor,
    LinkInlineProcessor,
)
from markdown.treeprocessors import Treeprocessor

try:
    from markdown.inlinepatterns import DelimiterProcessor
except ImportError:  # python-markdown before 3.11 pairs emphasis with regular expressions
    DelimiterProcessor = None

LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_SCHEMES = frozenset({"http", "https"})
# Extra (less attr_list, which lets text set any attribute, and md_in_html) plus sane lists.
EXTENSIONS = ("abbr", "def_list", "fenced_code", "footnotes", "tables", "sane_lists")
# Every attribute the enabled extensions write; anything else is dropped.
ALLOWED_ATTRIBUTES = frozenset({"href", "src", "alt", "title", "id", "class", "rel", "start", "style"})
_TABLE_STYLE = re.compile(r"text-align: (?:left|right|center);")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
# python-markdown's own placeholders are STX...ETX tokens; the postprocessors resolve all but
# inline ones (``STX klzzwxh:0000 ETX``), which must be gone before the tree is serialised.
_TOKEN = re.compile(f"({util.STX}[^{util.STX}{util.ETX}]*{util.ETX})")
_INLINE_TOKEN = util.INLINE_PLACEHOLDER_PREFIX
# What is left of an inline placeholder that a pattern cut in two: STX and the start of
# "klzzwxh:0000", or the end of it and ETX (longest alternatives first).
_NAME = util.INLINE_PLACEHOLDER_PREFIX[1:]
_HEADS = "|".join(re.escape(_NAME[:i]) for i in range(len(_NAME), -1, -1))
_TAILS = "|".join(re.escape(_NAME[i:]) for i in range(len(_NAME) + 1))
_RESIDUE = re.compile(f"{util.STX}(?:{re.escape(_NAME)}\\d{{0,4}}|{_HEADS})|(?:{_TAILS})\\d{{0,4}}{util.ETX}")
_OBFUSCATED = re.compile(re.escape(util.AMP_SUBSTITUTE) + r"#(\d+);")


def _drop_leaks(text: str) -> str:
    """``text`` without unresolved or broken inline placeholders; other tokens stay for the postprocessors."""
    if util.STX not in text and util.ETX not in text:
        return text
    parts = _TOKEN.split(text)
    return "".join(("" if part.startswith(_INLINE_TOKEN) else part) if i % 2 else _RESIDUE.sub("", part)
                   for i, part in enumerate(parts))


def _splits_placeholder(data: str, start: int, end: int) -> bool:
    consumed = data[start:end]
    return consumed.count(util.STX) != consumed.count(util.ETX)


class _WholeLinkProcessor(LinkInlineProcessor):
    """A link whose ``(...)`` ends inside a placeholder is no link: keep the text as written."""

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: ANN201 - python-markdown's signature
        el, start, end = super().handleMatch(m, data)
        if el is not None and _splits_placeholder(data, start, end):
            return None, None, None
        return el, start, end


class _WholeImageProcessor(ImageInlineProcessor):
    def handleMatch(self, m: re.Match[str], data: str):  # noqa: ANN201 - python-markdown's signature
        el, start, end = super().handleMatch(m, data)
        if el is not None and _splits_placeholder(data, start, end):
            return None, None, None
        return el, start, end


_EMPHASIS_TOKENS = str.maketrans("", "", "*_")


def _keeps_every_character(el: etree.Element, source: str) -> bool:
    visible = "".join(el.itertext())
    return visible.translate(_EMPHASIS_TOKENS) == source.translate(_EMPHASIS_TOKENS)


if DelimiterProcessor is not None:
    class _LosslessEmphasis(DelimiterProcessor):
        """python-markdown 3.11's emphasis drops text it cannot pair (``5*3**2*4`` came out
        as ``5*3<strong>2</strong>``): such a match is refused and its span stays as typed."""

        def handleMatch(self, m: re.Match[str], data: str):  # noqa: ANN201, N802 - python-markdown's API
            el, start, end = super().handleMatch(m, data)
            if el is not None and not _keeps_every_character(el, data[start:end]):
                self.reset()
                return None, start, end
            return el, start, end


def _literal_url(value: str) -> str:
    """The URL as written: automail's ``&#NNN;`` obfuscation decoded, stray placeholders dropped."""
    return _drop_leaks(_OBFUSCATED.sub(lambda m: chr(int(m.group(1))), value))


def _browser_form(url: str) -> str:
    """What a browser's URL parser starts from: tabs and newlines removed, controls and spaces trimmed."""
    return _TAB_OR_NEWLINE.sub("", url).strip(_C0_OR_SPACE)


def _allowed(url: str, schemes: frozenset[str]) -> bool:
    if url.startswith("#"):
        return True
    scheme = _SCHEME.match(url)
    if scheme:
        return scheme.group(1).lower() in schemes
    # A colon before the first "/", "?" or "#" is a scheme to somebody: refuse it.
    return ":" not in re.split(r"[/?#]", url, maxsplit=1)[0]


def is_safe_url(value: str, schemes: frozenset[str] = LINK_SCHEMES) -> bool:
    """True for a fragment, a relative URL, or one of ``schemes`` (any case), read both as
    written (what the exported page holds) and with entities decoded (``javascript&#58;``)."""
    literal = _literal_url(value)
    return all(_allowed(_browser_form(form), schemes) for form in (literal, html.unescape(literal)))


def _clean(text: str) -> str:
    """Raw tree text made literal: no placeholder leaks, and every ``&`` is an ampersand
    (the serialiser would keep ``&copy;`` as an entity otherwise)."""
    return "&amp;".join(_drop_leaks(text).split("&"))


def _append_text(parent: etree.Element, index: int, text: str) -> None:
    """Put raw ``text`` (made literal here) where the child at ``index`` was (already removed)."""
    if not text:
        return
    text = _clean(text)
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        previous = parent[index - 1]
        previous.tail = (previous.tail or "") + text


def _unwrap(parent: etree.Element, index: int) -> None:
    """Replace ``parent[index]`` by its content: children, text and tail stay, the tag goes."""
    child = parent[index]
    tail = child.tail or ""
    parent.remove(child)
    if child.tag == "img":
        _append_text(parent, index, (child.get("alt") or "") + tail)
        return
    _append_text(parent, index, child.text or "")
    for offset, grandchild in enumerate(list(child)):
        parent.insert(index + offset, grandchild)
    _append_text(parent, index + len(child), tail)


class SafeTreeprocessor(Treeprocessor):
    """The last step before serialising: safe links and images, known attributes, literal text."""

    def run(self, root: etree.Element) -> None:
        self._tidy(root)
        parents = [root]  # a stack, not recursion: "*" * 5000 nests thousands deep
        while parents:
            parent = parents.pop()
            index = 0
            while index < len(parent):
                child = parent[index]
                if self._unsafe(child):
                    _unwrap(parent, index)
                    continue  # the unwrapped children now sit at ``index``
                self._tidy(child)
                parents.append(child)
                index += 1

    @staticmethod
    def _unsafe(el: etree.Element) -> bool:
        if el.tag == "a":
            href = el.get("href")
            return href is None or not is_safe_url(href)
        if el.tag == "img":
            src = el.get("src")
            return src is None or not is_safe_url(src, IMAGE_SCHEMES)
        return False

    @staticmethod
    def _tidy(el: etree.Element) -> None:
        for name in list(el.keys()):
            value = el.get(name) or ""
            if name not in ALLOWED_ATTRIBUTES or (name == "style" and not _TABLE_STYLE.fullmatch(value)):
                del el.attrib[name]
            elif name in ("href", "src"):
                el.set(name, _browser_form(_literal_url(value)).replace("&", "&amp;"))
            else:
                el.set(name, _clean(value))
        # Code is escaped by python-markdown already (code_escape); everything else is raw text.
        if el.text and el.tag != "code":
            el.text = _clean(el.text)
        elif el.text:
            el.text = _drop_leaks(el.text)
        if el.tail:
            el.tail = _clean(el.tail)


class SafeManuscriptExtension(Extension):
    """Prose, not markup: no raw HTML, no entities, no unsafe links, no placeholder leaks."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - python-markdown's name
        md.preprocessors.deregister("html_block", strict=False)
        md.inlinePatterns.deregister("html", strict=False)
        md.inlinePatterns.deregister("entity", strict=False)
        md.inlinePatterns.register(_WholeLinkProcessor(LINK_RE, md), "link", 160)
        md.inlinePatterns.register(_WholeImageProcessor(IMAGE_LINK_RE, md), "image_link", 150)
        if DelimiterProcessor is not None and "em_strong" in md.inlinePatterns:
            md.inlinePatterns.register(_LosslessEmphasis("*", "strong,em", md), "em_strong", 60)
            md.delimiters.add("_", "strong,em", smart=True)
        md.treeprocessors.register(SafeTreeprocessor(md), "writer_safe", -100)


class ManuscriptRenderer:
    """Renders several texts into one page (footnote ids stay unique across them).

    Not thread-safe: make one per export or per Preview render.
    """

    def __init__(self) -> None:
        self._md = markdown.Markdown(
            extensions=[*EXTENSIONS, SafeManuscriptExtension()],
            extension_configs={"footnotes": {"UNIQUE_IDS": True}},
            output_format="html",
        )

    def render(self, text: str) -> str:
        """One text's HTML body fragment."""
        self._md.reset()
        try:
            return self._md.convert(text)
        except RecursionError:
            # python-markdown recurses once per level of nesting ("- " * 2000 is 2000 lists):
            # such a text is shown as the plain paragraphs it is rather than failing the export.
            return plain_paragraphs(text)


def plain_paragraphs(text: str) -> str:
    """``text`` as escaped paragraphs, no Markdown at all."""
    blocks = (block.strip("\n") for block in re.split(r"\n[ \t]*\n", text))
    return "\n".join(f"<p>{html.escape(block)}</p>" for block in blocks if block.strip())


def render_manuscript(text: str) -> str:
    """``text`` (a document's Markdown) as a safe HTML body fragment."""
    return ManuscriptRenderer().render(text)
