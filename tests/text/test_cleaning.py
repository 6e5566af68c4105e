"""Cleaning manuscripts for training: the prose stays, the markup goes."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from writer_app.text.cleaning import clean_for_training


def test_markdown_marks_are_removed_and_their_text_kept():
    markdown = (
        "# Chapter One\n"
        "It was a **dark** and _stormy_ night, said *Anna*.\n"
        "She opened [the letter](https://example.com/x) and read `nothing`.\n"
        "~~Crossed~~ out, <em>emphasised</em>, and ![a picture](pic.png) gone.\n"
    )
    assert clean_for_training(markdown) == (
        "Chapter One\n\n"
        "It was a dark and stormy night, said Anna.\n\n"
        "She opened the letter and read nothing.\n\n"
        "Crossed out, emphasised, and gone."
    )


def test_scene_separators_become_one_more_blank_line():
    for separator in ("***", "* * *", "#", "~~~", "---", "§", "⁂"):
        text = f"The door closed.\nShe slept.\n\n{separator}\n\nMorning came."
        assert clean_for_training(text) == "The door closed.\n\nShe slept.\n\n\nMorning came.", separator
    assert clean_for_training("***\nStart.\n***\n\n* * *\nEnd.\n***") == "Start.\n\n\nEnd."


def test_paragraphs_are_kept_and_hard_wrapping_is_joined():
    wrapped = (
        "It is a truth universally acknowledged, that a single man in\n"
        "possession of a good fortune, must be in want of a wife.\n"
        "\n"
        "However little known the feelings or views of such a man may\n"
        "be on his first entering a neighbourhood, this truth is fixed.\n"
    )
    assert clean_for_training(wrapped) == (
        "It is a truth universally acknowledged, that a single man in possession of a good fortune, "
        "must be in want of a wife.\n\n"
        "However little known the feelings or views of such a man may be on his first entering a "
        "neighbourhood, this truth is fixed."
    )
    one_per_line = "“Yes,” she said.\n“No,” he said.\nThey left."
    assert clean_for_training(one_per_line) == one_per_line.replace("\n", "\n\n")
    stored = "“Yes,” she said.\n\n“No,” he said.\n\nThey left."  # as the importer stores paragraphs
    assert clean_for_training(stored) == stored


def test_whitespace_is_normalised_and_words_inside_underscores_survive():
    text = "  Tabs\tand   spaces\u00a0here.  \r\nsnake_case_name and 2*3*4 stay.\r\n\r\n\r\n"
    assert clean_for_training(text) == "Tabs and spaces here.\n\nsnake_case_name and 2*3*4 stay."


def test_code_fences_quotes_and_bullets_lose_their_marks():
    text = "> Quoted words\n\n```python\nprint(1)\n```\n- first item\n- second item\n"
    assert clean_for_training(text) == "Quoted words\n\nprint(1)\n\nfirst item\n\nsecond item"


def test_chinese_text_is_untouched_apart_from_markup():
    text = "第一回\n\n　　**甄士隐**梦幻识通灵，贾雨村风尘怀闺秀。\n"
    assert clean_for_training(text) == "第一回\n\n甄士隐梦幻识通灵，贾雨村风尘怀闺秀。"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["\n", "\n\n", "***", "* * *", "#", "# ", "**", "_", "`", "[a](b)", "> ", "- ", "\r\n"]
            ),
            st.text(alphabet=st.characters(exclude_categories=()), max_size=20),
        ),
        max_size=30,
    ).map("".join)
)
def test_output_shape_holds_for_any_input(text):
    cleaned = clean_for_training(text)
    assert cleaned == cleaned.strip("\n")
    assert "\n\n\n\n" not in cleaned
    assert re.search(r"[^\n]\n[^\n]", cleaned) is None  # paragraphs are always a blank line apart
    for line in cleaned.split("\n"):
        assert line == line.strip(" \t")


def test_a_chinese_table_of_contents_is_dropped_but_a_single_chapter_heading_kept():
    from writer_app.text.cleaning import is_apparatus_title, strip_apparatus

    contents = "目录\n\n第一回 甄士隐梦幻识通灵\n\n第二回 贾夫人仙逝扬州城\n\n第三回 贾雨村夤缘复旧职"
    body = "第一回 甄士隐梦幻识通灵\n\n此开卷第一回也．作者自云：因曾历过一番梦幻之后，故将真事隐去。"
    text, dropped = strip_apparatus(contents + "\n\n" + body)
    assert dropped == 5  # the contents, and the first heading after it
    assert text == body.split("\n\n")[1]
    assert strip_apparatus(body) == (body, 0)
    assert is_apparatus_title("目录") and is_apparatus_title("Table of Contents") and is_apparatus_title("Notes")
    assert not is_apparatus_title("Prologue") and not is_apparatus_title("A Note from Mr. Darcy")
