"""Chinese and Japanese answers carry no spaces between sentences; English keeps every space."""

from __future__ import annotations

import pytest

from writer_app.llm.answers import clean_output, join_cjk
from writer_app.ui.assistant import jobs

CASES = [
    ("他走了。 他又回来了。", "他走了。他又回来了。"),
    ("他 说：“你 好。” 她笑了。", "他说：“你好。”她笑了。"),
    ("。 “你好”", "。“你好”"),
    ("我用 Python 写代码。 然后 OK 了。", "我用 Python 写代码。然后 OK 了。"),  # Latin words keep theirs
    ("雨停了。  \t风也停了！ 真好？ 是的。", "雨停了。风也停了！真好？是的。"),
    ("彼は来た。 そして帰った。", "彼は来た。そして帰った。"),  # Japanese too
    ("第一段。\n\n第二段。", "第一段。\n\n第二段。"),  # paragraph breaks stay
    ("\u3000\u3000他来了。", "\u3000\u3000他来了。"),  # the ideographic-space indent stays
    ("He said. She left.  Then “yes” 他", "He said. She left.  Then “yes” 他"),  # English untouched
    ("안녕 하세요. 감사 합니다.", "안녕 하세요. 감사 합니다."),  # Korean separates words with spaces
    ("𠀀 𠀁。 他", "𠀀𠀁。他"),  # Han beyond the Basic Multilingual Plane
]


@pytest.mark.parametrize(("raw", "expected"), CASES)
def test_spaces_between_cjk_characters_go_and_all_others_stay(raw, expected):
    assert join_cjk(raw) == expected


def test_every_task_gets_the_cjk_clean_up():
    assert clean_output("continue", "他走了。 他又回来了。") == "他走了。他又回来了。"
    assert clean_output("rewrite", "Here is the rewritten text:\n雨停了。 风也停了。") == "雨停了。风也停了。"


def test_a_chinese_continuation_needs_no_joining_space_an_english_one_keeps_it():
    assert jobs.clean_output("continue", " 他又回来了。 她笑了。") == "他又回来了。她笑了。"
    assert jobs.clean_output("continue", " “你好。” 她笑了。") == "“你好。”她笑了。"
    assert jobs.clean_output("continue", "\n他又回来了。") == "\n他又回来了。"  # a new paragraph stays one
    assert jobs.clean_output("continue", " She ran. The door was") == " She ran."
    assert jobs.clean_output("continue", " “Run,” she said.") == " “Run,” she said."


JOINS = [
    ("The ferry left.", "Mara waited.", " "),
    ("The ferry left. ", "Mara waited.", ""),
    ("", "Mara waited.", ""),
    ("雨停了。", "他走了。", ""),  # Insert after, in Chinese: no space after 。
    ("雨停了。", "“走吧。”", ""),
    ("He said OK", "他走了。", ""),
    ("他说：“好。”", "She left.", ""),
    ("The ferry left.", "“Run,” she said.", " "),  # an English quote keeps its space
    ("“Run,” she said. “Now.”", "Mara ran.", " "),
]


@pytest.mark.parametrize(("before", "addition", "expected"), JOINS)
def test_insert_after_joins_with_a_space_only_between_latin_texts(before, addition, expected):
    from writer_app.llm.answers import joining_space

    assert joining_space(before, addition) == expected
