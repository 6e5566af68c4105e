"""Model output is untrusted text: cleaning and parsing never crash and keep only what belongs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from writer_app.llm.answers import clean_output, parse_list
from writer_app.llm.critique import parse_critique

TEXT = "She was very very tired. It was a dark and stormy night, and she walked slowly to the door."


def test_critique_lines_become_spans_in_the_text():
    output = (
        'Here are my suggestions:\n'
        '1. "very very tired" -> "exhausted" : doubled intensifier\n'
        '- “walked slowly” → “trudged”: a stronger verb\n'
        '"a phrase that is not there" -> "x" : dropped\n'
        '"Dark and Stormy night" -> "a night of gales" : cliché\n'
    )
    found = parse_critique(output, TEXT)
    assert [TEXT[s.start : s.end] for s in found] == ["very very tired", "walked slowly", "dark and stormy night"]
    assert [s.replacement for s in found] == ["exhausted", "trudged", "a night of gales"]
    assert found[0].problem == "doubled intensifier"
    assert all(s.source == "model" and s.category == "model" for s in found)


def test_critique_offset_maps_chunk_spans_back():
    found = parse_critique('"door" -> "gate" : plain', "the door", offset=100)
    assert (found[0].start, found[0].end) == (104, 108)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.binary().map(lambda b: b.decode("latin-1"))))
def test_critique_parser_never_crashes_on_garbage(garbage):
    for suggestion in parse_critique(garbage, TEXT):
        assert suggestion.applies_to(TEXT)
        assert TEXT[suggestion.start : suggestion.end]


def test_critique_parser_ignores_non_strings():
    assert parse_critique(None, TEXT) == []
    assert parse_critique('"x" -> "y"', None) == []


def test_rewrite_preambles_quotes_and_chat_tokens_are_stripped():
    assert clean_output("rewrite", 'Sure! Here is the rewritten text:\n\n"The sea was grey."<|im_end|>') == "The sea was grey."
    assert clean_output("rewrite", "Rewritten text: The sea was grey.") == "The sea was grey."
    assert clean_output("shorten", "The sea was grey.\n\nNote: I removed two adjectives.") == "The sea was grey."
    assert clean_output(
        "rewrite", "I can do that! Here's a revised version:\n\n\"He bought bread.\"\n\nI changed the verb."
    ) == "He bought bread."


def test_a_quote_left_open_by_the_length_limit_is_dropped():
    assert clean_output("shorten", '"The rain stopped. Mara opened the door') == "The rain stopped."
    assert clean_output("rewrite", 'She said "no" twice.') == 'She said "no" twice.'


def test_continuation_keeps_its_leading_space_and_drops_a_dangling_half_sentence():
    assert clean_output("continue", " She ran. The door was") == " She ran."
    assert clean_output("continue", " She ran.<|im_end|><|im_start|>user\nmore") == " She ran."


def test_brainstorm_list_parsing():
    raw = "Here are some ideas:\n1. Whiskers\n2) Salt\n- Beacon\n* Beacon\n\n• Fog"
    assert parse_list(raw) == ["Whiskers", "Salt", "Beacon", "Fog"]


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_cleaning_never_crashes(garbage):
    for task in ("continue", "rewrite", "brainstorm", "summarise"):
        assert isinstance(clean_output(task, garbage), str)
    assert isinstance(parse_list(garbage), list)


def test_a_chinese_continuation_is_trimmed_at_its_last_full_sentence():
    # Chinese puts no space after 。！？, so the English rule alone never found the sentence end.
    assert clean_output("continue", "士隐走到门前。那僧笑道：“施主请了！”他正要") == "士隐走到门前。那僧笑道：“施主请了！”"
    assert clean_output("continue", "士隐走到门前，见那僧道一路行来。") == "士隐走到门前，见那僧道一路行来。"
    # Byte tokens that never made a whole character are dropped, not pasted in as "�".
    assert clean_output("rewrite", "他倒在任\ufffd那家。") == "他倒在任那家。"
