"""The paragraph model that Preview, every exporter and every importer share."""

from hypothesis import given, settings
from hypothesis import strategies as st

from writer_app.text.manuscript import (
    Paragraph,
    SceneBreak,
    Span,
    paragraph_markup,
    paragraphs,
    parse_blocks,
    parse_inline,
)


def test_every_line_is_a_paragraph_and_blank_lines_mean_nothing():
    typed = "She ran.\nHe followed.\nThe door shut."
    imported = "She ran.\n\nHe followed.\n\n\nThe door shut.\n"
    assert paragraphs(typed) == paragraphs(imported) == ["She ran.", "He followed.", "The door shut."]


def test_indented_paragraphs_are_prose_not_code():
    blocks = parse_blocks("\u3000\u3000却说那日。\n    To my mother,\n\twho read first.")
    assert [b.text for b in blocks] == ["却说那日。", "To my mother,", "who read first."]
    assert all(isinstance(b, Paragraph) and b.indented for b in blocks)


def test_markdown_looking_line_starts_are_text():
    lines = ["# not a heading", "> not a quote", "- not a list", "1. not a list", "+ plus"]
    assert paragraphs("\n".join(lines)) == lines


def test_scene_breaks():
    blocks = parse_blocks("One.\n* * *\nTwo.\n#\nThree.\n~\n***\n⁂")
    kinds = [type(b).__name__ for b in blocks]
    assert kinds == ["Paragraph", "SceneBreak", "Paragraph", "SceneBreak", "Paragraph", "SceneBreak",
                     "SceneBreak", "SceneBreak"]


def test_a_mark_beside_any_whitespace_is_a_scene_break_not_a_paragraph():
    # "#" + a no-break space used to be a paragraph "#" that an exporter wrote as "#", read back as a break.
    for line in ("#\xa0", "\u3000* * *\u3000", "\t~ ~\t"):
        assert [type(b).__name__ for b in parse_blocks(line)] == ["SceneBreak"], repr(line)


def test_emphasis_and_strong():
    assert parse_inline("a *b* c") == (Span("a "), Span("b", emphasis=True), Span(" c"))
    assert parse_inline("**loud** and _soft_") == (Span("loud", strong=True), Span(" and "),
                                                   Span("soft", emphasis=True))
    assert parse_inline("***both***") == (Span("both", True, True),)
    assert parse_inline("*a **b** c*") == (Span("a ", True), Span("b", True, True), Span(" c", True))


def test_arithmetic_snake_case_and_lone_stars_stay_as_typed():
    for text in ("2*3*4", "snake_case_name", "a * b * c", "5 * 3", "*", "**", "an * alone", "file_"):
        assert parse_inline(text) == (Span(text),), text


def test_escaped_marks_are_literal():
    assert parse_inline(r"\*not\* emphasis") == (Span("*not* emphasis"),)


def test_markup_for_importers_reads_back():
    spans = (Span("He said "), Span("never", emphasis=True), Span(", and "), Span("meant", strong=True),
             Span(" it * twice."))
    assert parse_inline(paragraph_markup(spans)) == spans


def test_emphasis_inside_a_word_keeps_the_word():
    spans = (Span("un"), Span("believ", emphasis=True), Span("able"))
    assert parse_inline(paragraph_markup(spans)) == (Span("unbelievable"),)


def test_line_breaks_inside_an_imported_paragraph_become_spaces():
    assert paragraphs(paragraph_markup([Span("one\ntwo")])) == ["one two"]


_TEXT = st.text(alphabet=st.sampled_from(list("ab xyZ*_#>1.-\\\u3000红楼梦。😀'\"")), min_size=1, max_size=20)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_TEXT, st.booleans(), st.booleans()), min_size=1, max_size=5))
def test_any_styled_paragraph_survives_markup_and_parse(runs):
    spans = [Span(text, emphasis, strong) for text, emphasis, strong in runs]
    line = paragraph_markup(spans)
    assert "\n" not in line
    visible = "".join(s.text for s in spans).replace("\n", " ").replace("\t", " ").strip()
    got = parse_blocks(line)
    if not visible:
        assert got == []
        return
    # A line made only of marks is a scene break; otherwise the words come back exactly.
    if len(got) == 1 and isinstance(got[0], SceneBreak):
        return
    assert len(got) == 1
    assert got[0].text.strip() == visible.lstrip("\u3000 \t").strip() or got[0].text == visible.strip()
