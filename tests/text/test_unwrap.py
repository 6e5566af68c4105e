"""Hard wraps undone, line structure that matters kept (verse, letters, indented paragraphs)."""

import textwrap

from writer_app.text.manuscript import paragraphs
from writer_app.text.unwrap import unwrap, wrap_column

PROSE = [
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of "
    "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light.",
    "There were a king with a large jaw and a queen with a plain face, on the throne of England; there were "
    "a king with a large jaw and a queen with a fair face, on the throne of France.",
    "It was the year of Our Lord one thousand seven hundred and seventy-five. Spiritual revelations were "
    "conceded to England at that favoured period, as at this.",
]


def wrapped(paragraph_texts, width=70):
    return "\n\n".join(textwrap.fill(p, width) for p in paragraph_texts)


def test_hard_wrapped_prose_becomes_one_line_per_paragraph():
    text = wrapped(PROSE)
    assert text.count("\n") >= 10
    result = unwrap(text)
    assert 60 <= result.width <= 70 and result.joined > 0
    assert result.text.split("\n\n") == PROSE
    assert paragraphs(result.text) == PROSE


def test_text_already_one_paragraph_per_line_is_left_alone():
    typed = "\n".join(PROSE + ["Yes.", "No.", "“Never,” she said."])
    assert unwrap(typed).text == typed and unwrap(typed).joined == 0
    spaced = "\n\n".join(PROSE)
    assert unwrap(spaced).text == spaced
    dialogue = "\n".join(["“Are you coming?”", "“No.”", "“Why not?”", "“Because it is raining.”"] * 5)
    assert unwrap(dialogue).text == dialogue


def test_verse_inside_wrapped_prose_keeps_its_lines():
    verse = "The woods are lovely, dark and deep,\nBut I have promises to keep,\nAnd miles to go before I sleep."
    long_verse = ("Of man's first disobedience, and the fruit of that forbidden tree\n"
                  "Whose mortal taste brought death into the world,\n"
                  "With loss of Eden, till one greater Man restore us")
    text = wrapped(PROSE[:2]) + "\n\n" + verse + "\n\n" + long_verse + "\n\n" + wrapped(PROSE[2:])
    result = unwrap(text).text
    assert verse in result and long_verse in result
    assert paragraphs(result) == [PROSE[0], PROSE[1], *verse.split("\n"), *long_verse.split("\n"), PROSE[2]]


def test_a_letter_keeps_salutation_and_signature_and_joins_its_body():
    body = ("I write in haste, for the coach leaves within the hour, and I would not have you hear the news "
            "from anyone but me: we are to be married in the spring, and you must come.")
    letter = "My dear Jane,\n" + textwrap.fill(body, 70) + "\nYours ever,\nLizzy"
    result = unwrap(wrapped(PROSE) + "\n\n" + letter).text
    assert paragraphs(result)[-4:] == ["My dear Jane,", body, "Yours ever,", "Lizzy"]


def test_indented_paragraphs_without_blank_lines_are_told_apart():
    text = "\n".join("    " + textwrap.fill(p, 70, subsequent_indent="") for p in PROSE)
    result = unwrap(text).text
    assert result.split("\n") == ["    " + p for p in PROSE]


def test_hyphens_dashes_and_cjk_join_without_spaces():
    prose = ("The well-known traveller came home at last--and nobody knew him, not even the dog that had "
             "waited by the gate for twenty years of his absence, nor the old nurse who washed his feet.")
    lines = textwrap.wrap(prose, 40, break_on_hyphens=True)
    text = "\n".join(lines) + "\n\n" + "\n".join(textwrap.wrap(PROSE[0], 40)) + "\n\n" + "\n".join(
        textwrap.wrap(PROSE[1], 40))
    assert paragraphs(unwrap(text).text)[0] == prose
    chinese = "却说那日宝玉同黛玉在园中闲步，见桃花飞落，满地皆是，黛玉便拿了花锄来葬花，口内吟道：花谢花飞飞满天，红消香断有谁怜？" * 3
    cjk = "\n\n".join("\n".join(chinese[i:i + 30] for i in range(0, len(chinese), 30)) for _ in range(3))
    result = unwrap(cjk)
    assert result.width == 60 and paragraphs(result.text) == [chinese] * 3


def test_short_texts_and_long_lines_are_no_evidence_of_wrapping():
    assert wrap_column("First line\nsecond line") == 0
    assert wrap_column("\n".join(PROSE)) == 0
    assert unwrap("").text == ""
