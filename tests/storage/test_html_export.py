"""The HTML export is safe to open in a browser and shows the author's text as typed.

The text is prose in the paragraph model (text/manuscript.py): links, images, raw HTML, code
and tables are no markup at all, so a hostile link is its own words on the page, and no
character of prose is lost. (Before issue 13 this was python-markdown, whose placeholders
could leak into the page; the checks for those leaks stay.)"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from writer_app.storage.exporter import export_project
from writer_app.storage.html_render import render_manuscript
from writer_app.text.manuscript import paragraphs

SAFE_URL = re.compile(r"(https?://|mailto:|#|[^:/?#]*([/?#]|$))", re.I)


class Page(HTMLParser):
    """What a browser would see: every tag, every URL attribute, the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.attributes: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.tags.append(tag)
        for name, value in attrs:
            self.attributes.append(name)
            if name in ("href", "src", "action", "formaction", "srcset", "poster", "background"):
                self.urls.append((tag, name, value or ""))

    def handle_data(self, data):  # noqa: ANN001
        self.text.append(data)

    @property
    def visible(self) -> str:
        return " ".join("".join(self.text).split())


def parse(fragment: str) -> Page:
    page = Page()
    page.feed(fragment)
    page.close()
    return page


def browser_url(value: str) -> str:
    """How a browser reads an attribute URL (html.parser already decoded the entities)."""
    return re.sub(r"[\t\n\r]", "", value).strip("".join(chr(c) for c in range(0x21)))


def assert_safe(fragment: str) -> Page:
    assert "klzzwxh" not in fragment and "wzxhzdk" not in fragment
    assert "\x02" not in fragment and "\x03" not in fragment
    page = parse(fragment)
    assert not {"script", "iframe", "object", "embed", "style", "form", "base", "meta"} & set(page.tags)
    assert not [a for a in page.attributes if a.startswith("on")], page.attributes
    for tag, name, value in page.urls:
        url = browser_url(value)
        assert SAFE_URL.match(url), (tag, name, value)
        if tag == "img":
            assert not url.lower().startswith("mailto:"), value
    return page


HOSTILE = {
    "inline": "[click me](javascript:alert(1))",
    "mixed case": "[click me](JaVaScRiPt:alert(1))",
    "leading space and control": "[click me]( \x01\x1fjavascript:alert(1))",
    "tab inside the scheme": "[click me](java\tscript:alert(1))",
    "newline inside the scheme": "[click me](<java\nscript:alert(1)>)",
    "entity-encoded colon": "[click me](javascript&#58;alert(1))",
    "hex entity colon": "[click me](javascript&#x3A;alert(1))",
    "named entity colon": "[click me](javascript&colon;alert(1))",
    "encoded letters": "[click me](&#106;avascript:alert(1))",
    "vbscript": "[click me](vbscript:msgbox(1))",
    "data html": "[click me](data:text/html,<script>alert(1)</script>)",
    "data base64": "[click me](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "file": "[click me](file:///etc/passwd)",
    "angle brackets": "[click me](<javascript:alert(1)>)",
    "with a title": '[click me](javascript:alert(1) "a title")',
    "reference": "[click me][1]\n\n[1]: javascript:alert(1)",
    "reference with title": '[click me][evil]\n\n[evil]: JAVASCRIPT:alert(1) "t"',
    "short reference": "[click me]\n\n[click me]: javascript:alert(1)",
    "image data": "![click me](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "image javascript": "![click me](javascript:alert(1))",
    "image reference": "![click me][i]\n\n[i]: data:text/html,x",
    "image inside a link": "[![click me](javascript:x)](javascript:y)",
    "nested emphasis": "[**click** _me_](javascript:alert(1))",
    "raw html anchor": '<a href="javascript:alert(1)">click me</a>',
    "raw html script": "<script>alert(1)</script>click me",
    "raw html img": '<img src=x onerror="alert(1)">click me',
    "html block": '<div onclick="alert(1)">\nclick me\n</div>',
    "attribute list": '[click me](#here){: onclick="alert(1)" }',
    "autolink": "<javascript:alert(1)> click me",
    "ftp autolink": "<ftp://example.org/x> click me",
    "footnote": "click me[^1]\n\n[^1]: [x](javascript:alert(1))",
    "in a table": "| a |\n|---|\n| [click me](javascript:alert(1)) |",
    "in a heading": "# [click me](javascript:alert(1))",
    "in a list": "- [click me](javascript:alert(1))",
    "in a quote": "> [click me](javascript:alert(1))",
    "scheme without slashes": "[click me](javascript://%0aalert(1))",
    "colon before the path": "[click me](java script:alert(1))",
}


@pytest.mark.parametrize("source", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_links_are_plain_text(source):
    page = assert_safe(render_manuscript(source))
    assert "click me" in page.visible or "click" in page.visible
    assert not page.urls or all(tag == "a" and value.startswith("#") for tag, _, value in page.urls)


SAFE = {
    "https": ("[site](https://example.org/a?b=1&c=2#d)", "https://example.org/a?b=1&c=2#d"),
    "http": ("[site](http://example.org)", "http://example.org"),
    "mailto": ("[write](mailto:author@example.org)", "mailto:author@example.org"),
    "relative": ("[next](chapter-2.html)", "chapter-2.html"),
    "relative folder": ("[next](../notes/a.html)", "../notes/a.html"),
    "fragment": ("[top](#top)", "#top"),
    "autolink": ("<https://example.org/x>", "https://example.org/x"),
    "automail": ("<author@example.org>", "mailto:author@example.org"),
    "reference": ("[site][1]\n\n[1]: https://example.org", "https://example.org"),
    "image": ("![cover](images/cover.png)", "images/cover.png"),
}


@pytest.mark.parametrize(("source", "url"), SAFE.values(), ids=SAFE.keys())
def test_links_and_images_are_the_words_typed(source, url):
    """A manuscript has no links: even a harmless one is shown as the author typed it."""
    page = assert_safe(render_manuscript(source))
    assert page.urls == [] and page.tags == ["p"] * len(paragraphs(source))
    assert url.removeprefix("mailto:") in page.visible


def test_prose_is_text_not_markup_and_code_is_no_code():
    source = "AT&T said `a < b && c` is &amp; stays &copy; and <b>bold</b> is text."
    fragment = render_manuscript(source)
    page = assert_safe(fragment)
    assert page.visible == source and page.tags == ["p"]
    assert "&amp;lt;" not in fragment
    block = render_manuscript("```\nif a < b and c & d:\n```\n\n    x <= y")
    assert "<pre" not in block and "<code" not in block
    assert parse(block).tags == ["p"] * 4 and parse(block).visible == "``` if a < b and c & d: ``` x <= y"


# Found by fuzzing python-markdown 3.11: a backslash escape or code span at the end of a link's
# "(...)" was cut in half and "\x02klzzwxh:000" went into the page; emphasis that could not be
# paired dropped text ("5*3**2*4" came out as "5*3<strong>2</strong>").
LEAKS = ['[a]("(\\)', "[~]('#>(\\)", "[](_<|'``]) `(", '![">~_]("(|!"\\)', "[#](&amp;\n\"~\\)(",
         "**\n#*'['**[*<b>&", '[x]("(\\) and `code` after']


@pytest.mark.parametrize("source", LEAKS)
def test_no_placeholder_ever_leaks(source):
    assert_safe(render_manuscript(source))


@pytest.mark.parametrize(("source", "visible"), [
    ("He typed 5*3**2*4 in the box.", "He typed 5*3**2*4 in the box."),
    ("*a**b*c", "*a**b*c"),
    ("She was *very** tired.", "She was *very** tired."),
    ("She *was* **very** tired, _truly_.", "She was very tired, truly."),
])
def test_emphasis_never_loses_a_character(source, visible):
    assert parse(render_manuscript(source)).visible == visible


def test_the_exported_page_is_safe_end_to_end(lib, project, tmp_path):
    lib.create_node(project.id, "chapter", "Links <&> “quotes”", text="\n\n".join(HOSTILE.values()))
    lib.create_node(project.id, "chapter", "Fine", text="\n\n".join(s for s, _ in SAFE.values()))
    page_text = export_project(lib, project.id, "html", tmp_path / "book.html").read_text(encoding="utf-8")
    head, body = page_text.split("<body>")
    assert parse(head).tags == ["html", "head", "meta", "meta", "title", "style"]
    page = assert_safe(body)
    assert page.urls == [] and set(page.tags) <= {"h1", "p", "em", "strong"}
    assert "Links <&> “quotes”" in page.visible
    assert "[click me](javascript:alert(1))" in page.visible


# -- properties ------------------------------------------------------------------------------------

MARKUP = "*_`[]()!<>&#\\|~:-+=.\"'{}^@/\n \t"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.one_of(st.sampled_from(MARKUP), st.characters(codec="utf-8")), max_size=120))
def test_any_text_renders_without_leaks_or_unsafe_links(source):
    assert_safe(render_manuscript(source))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.sampled_from(list("ab *_[]()<>&:!\\`\"'\njavscript:")), max_size=60))
def test_markup_heavy_text_renders_without_leaks_or_unsafe_links(source):
    assert_safe(render_manuscript(source))


LETTER = st.characters(categories=("Lu", "Ll", "Lo"), codec="utf-8")
PROSE = st.one_of(LETTER, st.sampled_from(list("0123456789 .,;?!'\"()&<>/=%$*_"
                                               "–—…“”‘’«»")))
LINE = st.builds(lambda first, rest: first + rest, LETTER, st.text(alphabet=PROSE, max_size=50))
DOCUMENT = st.lists(st.tuples(LINE, st.sampled_from(["\n", "\n\n"])), min_size=1, max_size=6).map(
    lambda lines: "".join(line + end for line, end in lines))


def _no_emphasis_marks(text: str) -> str:
    return " ".join(text.replace("*", "").replace("_", "").split())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_prose_round_trips_to_the_visible_text(source):
    """Whatever the author types (outside Markdown syntax) is what the reader sees: every
    letter, digit, ``<``, ``&`` and quote; only the emphasis marks may turn into italics."""
    page = assert_safe(render_manuscript(source))
    assert _no_emphasis_marks(page.visible) == _no_emphasis_marks(source)


@pytest.mark.parametrize("source", ["- " * 2000 + "[x](javascript:alert(1))", "*" * 5000 + "x" + "*" * 5000,
                                    "> " * 3000 + "deep", "[a](" * 2000])
def test_pathologically_nested_text_still_exports(source):
    """python-markdown recurses per nesting level; the export neither fails nor turns unsafe."""
    page = assert_safe(render_manuscript(source))
    assert page.visible
