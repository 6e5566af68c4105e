"""Markdown export then import gives back the same paragraphs, scene breaks and titles, for any
text the editor can hold; and another Markdown tool reads the export as the same paragraphs."""

from __future__ import annotations

import html
import re
import tempfile
from pathlib import Path

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from writer_app.storage import Library
from writer_app.storage.exporter import export_project
from writer_app.storage.importer import import_plan, plan_import
from writer_app.storage.markdown_io import heading_line, markdown_body, parse_markdown
from writer_app.text.manuscript import Paragraph, parse_blocks

# The editor stores "\n" for Enter and for Shift+Enter (text_positions.document_text); it holds no
# "\r", U+2028 or U+2029, and storage turns NULs and lone surrogates into U+FFFD before saving.
_NOT_HELD = "\r\n\u2028\u2029\x00"
_MARKS = list("#*_>-+=.~`[]<>&;\\!|{}()1234567890 \t\u3000\u00a0")
_WORDS = ["the", "She ran.", "红楼梦", "却说那日。", "😀", "👩‍👩‍👧", "é", "snake_case", "2*3*4", "&amp;",
          "&#42;", "<b>", "[a](b)", "`code`", "\\*", "\\_", "\\\\", "\\", "*em*", "**strong**", "_u_",
          "***both***", "x\\", "{.note}", "---", "===", "* * *", "1.", "1)", "> ", "# ", "- ", "~~"]
_ANY_CHAR = st.characters(codec="utf-8", exclude_characters=_NOT_HELD)
_PIECE = st.one_of(st.sampled_from(_WORDS), st.sampled_from(_MARKS), st.text(_ANY_CHAR, min_size=1, max_size=4))
_LINE = st.lists(_PIECE, max_size=8).map("".join)
_SCENE_BREAK = st.sampled_from(["* * *", "***", "#", "~", "⁂", "*", "* *", "**", "# # #", "~~~", "  *  *  * ",
                                "＊＊＊", "###"])
_TEXT = st.lists(st.tuples(st.one_of(_LINE, _LINE, _LINE, _SCENE_BREAK), st.sampled_from(["\n", "\n\n", "\n \n"])),
                 max_size=8).map(lambda lines: "".join(line + end for line, end in lines))


def _mark(mark: str) -> str:
    """The scene-break mark a Markdown export keeps: "*" and "* *" would be list items, so they
    are written as "* * *"; every other mark comes back as typed."""
    stars = re.sub(r"[ \t]", "", mark)
    return "* * *" if set(stars) == {"*"} and len(stars) <= 2 and stars != "**" else mark


def _blocks(text: str) -> list:
    return [("p", b.text) if isinstance(b, Paragraph) else ("break", _mark(b.mark)) for b in parse_blocks(text)]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_TEXT)
def test_any_text_survives_markdown_export_and_import(text):
    parsed = parse_markdown("# Chapter\n\n" + markdown_body(text) + "\n", "fallback")
    [section] = parsed.sections
    assert section.title == "Chapter"
    assert _blocks(section.text) == _blocks(text)
    # The stored form is one paragraph per line: importing it again changes nothing.
    assert _blocks(parse_markdown("# C\n\n" + markdown_body(section.text), "f").sections[0].text) == _blocks(text)


_TITLE_CHARS = st.one_of(st.sampled_from(list("#*_\\{}.<>&[]`~ ") + ["{.note}", "&amp;", " #", "##"]),
                         st.characters(codec="utf-8", exclude_characters=_NOT_HELD, exclude_categories=("Cc", "Cs")))
_TITLE = st.lists(_TITLE_CHARS, min_size=1, max_size=12).map("".join).filter(lambda t: " ".join(t.split()))


@settings(max_examples=300, deadline=None)
@given(_TITLE, st.sampled_from(["chapter", "scene", "note", "folder"]))
def test_any_title_and_kind_survive_a_heading(title, kind):
    title = " ".join(title.split())  # as the library keeps a title (textnorm.clean_line)
    parsed = parse_markdown(heading_line(1, title, kind, False) + "\n\nBody.\n\n# Next\n", "f")
    assert (parsed.sections[0].title, parsed.sections[0].kind) == (title, kind)


# -- through the real importer, into a real library -------------------------------------------------

_PRINTABLE = st.characters(codec="utf-8", exclude_characters=_NOT_HELD, exclude_categories=("Cc", "Cs", "Co", "Cn"))
_PROSE_LINE = st.lists(st.one_of(st.sampled_from(_WORDS), st.sampled_from(_MARKS),
                                 st.text(_PRINTABLE, min_size=1, max_size=4)), max_size=8).map("".join)
_PROSE = st.lists(st.tuples(st.one_of(_PROSE_LINE, _PROSE_LINE, _SCENE_BREAK), st.sampled_from(["\n", "\n\n"])),
                  max_size=6).map(lambda lines: "".join(line + end for line, end in lines))
_DOCUMENT = st.tuples(st.sampled_from(["chapter", "scene", "note"]), _TITLE, _PROSE)
_OUTLINE = st.lists(st.one_of(_DOCUMENT.map(lambda d: (d, [])),
                              st.tuples(st.tuples(st.just("folder"), _TITLE, _PROSE),
                                        st.lists(_DOCUMENT, min_size=1, max_size=3))),
                    min_size=1, max_size=4)


def _documents(lib: Library, project_id: int) -> list:
    return [(n.kind, n.title, _blocks(lib.get_text(n.id))) for n in lib.nodes(project_id)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_OUTLINE, _TITLE, st.sampled_from(["", "A. Writer", "O'Brien: \"Jr.\"", "曹雪芹"]),
       st.sampled_from(["en", "zh"]))
def test_a_project_exported_to_markdown_imports_as_the_same_documents(outline, title, author, language):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        with Library.open(folder / "one.sqlite3") as lib:
            project = lib.create_project(title, author=author, language=language)
            for (kind, name, text), children in outline:
                parent = lib.create_node(project.id, kind, name, text=text)
                for child_kind, child_name, child_text in children:
                    lib.create_node(project.id, child_kind, child_name, parent_id=parent.id, text=child_text)
            out = export_project(lib, project.id, "md", folder / "book.md")
            expected = _documents(lib, project.id)
            project = lib.get_project(project.id)
        with Library.open(folder / "two.sqlite3") as again:
            imported = import_plan(again, plan_import(out))
            assert (imported.title, imported.author) == (project.title, project.author)
            assert _documents(again, imported.id) == expected


# -- what another Markdown tool reads ---------------------------------------------------------------

def _tags(page: str) -> list[str]:
    return re.findall(r"<([a-z0-9]+)", page)


LOOKS_LIKE_MARKDOWN = ["# Not a heading", "## Nor this", "> not a quote", "- not a list", "+ nor this",
                       "* nor this", "1. not numbered", "2) nor this", "===", "---", "___", "```",
                       "    not code", "\u3000\u3000却说那日。", "[not](a-link)", "<b>not bold</b>",
                       "`not code`", "~~not struck~~", "a line that ends with a backslash\\"]


@pytest.mark.parametrize("engine", ["python-markdown", "commonmark"])
def test_another_markdown_tool_reads_each_paragraph_as_one_plain_paragraph(engine):
    if engine == "commonmark":
        markdown_it = pytest.importorskip("markdown_it")
        render = markdown_it.MarkdownIt("commonmark").render
    else:
        render = markdown.markdown
    text = "\n".join(LOOKS_LIKE_MARKDOWN) + "\nShe *ran* and **ran**.\n* * *\nThe end."
    page = render(markdown_body(text))
    tags = _tags(page)
    assert tags.count("p") == len(LOOKS_LIKE_MARKDOWN) + 2
    assert sorted(set(tags)) == ["em", "hr", "p", "strong"] and tags.count("hr") == 1
    visible = html.unescape(re.sub(r"<[^>]+>", "", page))  # what a browser shows
    for line in LOOKS_LIKE_MARKDOWN:
        assert line.strip() in visible


def test_a_hard_wrapped_markdown_file_comes_in_as_whole_paragraphs(tmp_path):
    """What another tool wrote: soft-wrapped lines are one paragraph (Markdown's meaning), list items
    and quoted lines paragraphs of their own, and escapes are undone."""
    source = ("# One\n\nIt is a truth universally\nacknowledged, that a *single*\nman\n\n"
              "却说那日\n甄士隐。\n\n- first\n- second\n\n> quoted\n> still quoted\n\n1\\. Not a list\n\n"
              "Hard  \nbreak\n\n***\n\nAfter &amp; \\[x\\]\n")
    path = tmp_path / "other.md"
    path.write_text(source, encoding="utf-8")
    with Library.open(tmp_path / "lib.sqlite3") as lib:
        project = import_plan(lib, plan_import(path))
        [node] = lib.nodes(project.id)
        assert _blocks(lib.get_text(node.id)) == [
            ("p", "It is a truth universally acknowledged, that a single man"), ("p", "却说那日甄士隐。"),
            ("p", "- first"), ("p", "- second"), ("p", "quoted still quoted"), ("p", "1. Not a list"),
            ("p", "Hard"), ("p", "break"), ("break", "***"), ("p", "After & [x]")]


def test_an_export_from_before_the_paragraph_model_keeps_its_paragraphs(tmp_path):
    """The old exporter wrote a chapter typed with Enter one paragraph per line, no blank lines
    between: its lines are whole paragraphs, not one soft-wrapped Markdown paragraph."""
    old = ("---\ntitle: The Novel\nauthor: A. Writer\nlanguage: en\n---\n\n# Arrival\n\n"
           "She opened the door.\nThe hall was dark, and somewhere above her a board creaked.\n"
           "“Hello?” she called.\n#\nNobody answered.\n\n# Two\n\n\\# hashtag line\nplain\n")
    path = tmp_path / "old-export.md"
    path.write_text(old, encoding="utf-8")
    with Library.open(tmp_path / "lib.sqlite3") as lib:
        project = import_plan(lib, plan_import(path))
        assert _documents(lib, project.id) == [
            ("chapter", "Arrival", [("p", "She opened the door."),
                                    ("p", "The hall was dark, and somewhere above her a board creaked."),
                                    ("p", "“Hello?” she called."), ("break", "#"), ("p", "Nobody answered.")]),
            ("chapter", "Two", [("p", "# hashtag line"), ("p", "plain")])]
