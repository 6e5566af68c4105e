"""The automatic checks, on hand-written good and bad answers in English and Chinese.

Each check is shown failing on the harm it exists for (a renamed heroine,
an invented name in a summary, English for a Chinese chapter, commentary
instead of prose) and passing on an answer a careful writer would give, so
the harness's pass rates mean what they say.
"""

from __future__ import annotations

import pytest

from writer_app.text import quality_checks as qc
from writer_app.text.name_keeping import check_names_kept
from writer_app.text.suggestions import Suggestion

STORY = (
    "The rain had not stopped for three days when Mara finally opened the door of the lighthouse. "
    "Inside, the air smelled of salt and old paper, and the stairs spiralled up into darkness.\n\n"
    "She climbed slowly, counting the steps as her father had taught her. At the top, the great lamp "
    "was dark, and someone had left a letter on the desk from Captain Orrin of Port Evel."
)
PRIDE = (
    "“My dear Mr. Bennet,” said his lady to him one day, “have you heard that Netherfield Park is let at "
    "last?” Mr. Bennet replied that he had not. “But it is,” returned she; “for Mrs. Long has just been here, "
    "and she told me all about it.” I said nothing. Lizzy laughed."
)
HONG = ("一日，炎夏永昼，士隐于书房闲坐，至手倦抛书，伏几少憩，不觉朦胧睡去。忽见那厢来了一僧一道，且行且谈。"
        "那僧笑道：“你放心。”士隐因说道：“适闻仙师所谈因果，实人世罕闻者。”又见奶母正抱了英莲走来。")
HONG_BIBLE = ["甄士隐", "士隐", "英莲", "贾雨村", "雨村"]


# --- names ----------------------------------------------------------------------------------------

def test_names_are_capitalised_words_that_are_not_only_sentence_starts_titles_or_i():
    assert qc.names_in(STORY) == {"Mara", "Captain Orrin", "Port Evel"}
    names = qc.names_in(PRIDE)
    assert names == {"Bennet", "Netherfield Park", "Long"}  # not "My", "I", "Mr.", "Mrs.", nor "But"
    # A bible name is found even at a sentence start, where capitalisation proves nothing.
    assert "Lizzy" in qc.names_in(PRIDE, known=["Lizzy"])


def test_a_rewrite_that_renames_the_heroine_fails_and_a_faithful_one_passes():
    renamed = STORY.replace("Mara", "Emily")
    assert not check_names_kept(STORY, renamed)
    assert "Mara" in check_names_kept(STORY, renamed).reason
    faithful = ("After three days of rain, Mara pushed open the lighthouse door. The air inside smelled of salt "
                "and old paper. She climbed, counting steps, and found the lamp dark and a letter from Captain "
                "Orrin of Port Evel on the desk.")
    assert check_names_kept(STORY, faithful)
    # "Orrin" alone keeps "Captain Orrin"; an alias keeps its name.
    assert check_names_kept(STORY, faithful.replace("Captain Orrin", "Orrin"))
    assert check_names_kept(PRIDE, "Lizzy heard that Netherfield was let; Mr Bennet and Mrs Long talked.",
                               known=["Elizabeth"], aliases={"Elizabeth": ["Lizzy"]})


def test_a_bible_name_the_passage_never_mentions_is_not_required():
    assert check_names_kept(STORY, STORY, known=["Corso", "Mara"])


def test_invented_names_in_a_summary_fail_even_at_a_sentence_start():
    assert qc.check_no_invented_names(STORY, "Mara opens the lighthouse. Inside, she finds a letter. Meanwhile "
                                             "the rain goes on.")
    bad = qc.check_no_invented_names(STORY, "Emily opens the lighthouse and finds a letter.")
    assert not bad and "Emily" in bad.reason
    assert not qc.check_no_invented_names(STORY, "Mara finds a letter. Author's Bio: Jane Smith is a writer.")
    # The bible's names are allowed even where the passage does not use them.
    assert qc.check_no_invented_names(STORY, "Mara, the keeper's daughter, finds a letter.", known=["Mara"])


def test_chinese_names_come_from_the_bible_and_a_speaker_rule():
    assert qc.names_in(HONG, HONG_BIBLE) == {"士隐", "英莲"}
    assert check_names_kept(HONG, "士隐在书房睡去，梦见一僧一道，醒来见奶母抱着英莲。", HONG_BIBLE)
    assert not check_names_kept(HONG, "他在书房睡去，梦见一僧一道。", HONG_BIBLE)
    invented = qc.check_no_invented_names(HONG, "宝玉笑道：“好。”士隐说道：“是。”", HONG_BIBLE)
    assert not invented and "宝玉" in invented.reason
    assert qc.check_no_invented_names(HONG, "士隐笑道：“是。”", HONG_BIBLE)
    assert not qc.check_no_invented_names(HONG, "士隐和Emily在书房。", HONG_BIBLE)


# --- language -----------------------------------------------------------------------------------

def test_english_in_chinese_out_fails_and_chinese_in_english_out_fails():
    assert qc.detect_language(STORY) == "en" and qc.detect_language(HONG) == "zh"
    assert not qc.check_language(STORY, "玛拉打开了灯塔的门，走了进去。")
    assert not qc.check_language(HONG, "One day Shiyin dozed in his study and dreamt of a monk.")
    assert qc.check_language(STORY, "Mara opened the door.") and qc.check_language(HONG, "士隐在书房睡去。")


def test_a_chinese_answer_quoting_a_latin_name_is_still_chinese():
    assert qc.detect_language("她对 Elizabeth Bennet 说：“我们明天去伦敦吧。”") == "zh"
    assert qc.detect_language("こんにちは、世界。東京へ行きます。") == "ja"
    assert qc.detect_language("안녕하세요 세계") == "ko"
    assert qc.detect_language("  ... 123 ") == ""
    assert qc.check_language(STORY, "")  # an empty answer is the length check's business


# --- form ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("answer", [
    "This passage describes a lighthouse in the rain.",
    "Here is the rewritten text: Mara opened the door.",
    "Sure! Mara opened the door.",
    "The story begins with a description of the rain.",
    "The author uses vivid imagery to portray the sea.",
    "In this passage, Mara opens the door.",
    "The story has been edited and reworked to preserve the original meaning.",
    "The story unfolds in the style of professional narratives.",
    "The story takes place in the great house of the Bennets.",
    "As an AI, I cannot write fiction.",
    "# The Lighthouse\n\nMara opened the door.",
    "**Rewritten passage**\nMara opened the door.",
    "- Mara opens the door\n- She climbs the stairs",
    "Mara opened the door.<|im_end|>",
    "<|im_start|>assistant\nMara opened the door.",
    "以下是改写后的文字：士隐睡去。",
    "好的，士隐在书房睡去。",
    "这段文字描写了士隐的梦。",
    "The sentence was rewritten to make it more concise, keeping Mr. Bennet.",  # seen in the harness
    "This sentence is now shorter.",
])
def test_commentary_headings_lists_and_chat_tokens_are_not_prose(answer):
    assert not qc.check_meta_text(answer)


@pytest.mark.parametrize("answer", [
    "Mara opened the door. “Here is the letter,” she said, and the sea roared below.",
    "She climbed. At the top: darkness, and a letter.",
    "士隐笑道：“这是哪里？”那僧不答，只管往前走。",
    "The passage was narrow and smelled of tar.",  # a corridor, not commentary
    "This was invitation enough.",
    "The story was over before she had finished her tea.",
    "The sentence was passed at dawn, and the prisoner wept.",  # a verdict, not commentary
])
def test_prose_passes_the_form_check(answer):
    assert qc.check_meta_text(answer)


def test_summaries_may_speak_of_the_chapter_but_not_wear_a_preamble_and_lists_are_a_brainstorms_form():
    assert qc.check_meta_text("In this chapter, Mara finds a letter in the lighthouse.", "summary")
    assert not qc.check_meta_text("Here is a summary: Mara finds a letter.", "summary")
    assert not qc.check_meta_text("Mara finds a letter.\n\nAuthor's Bio: a writer from Ohio.", "summary")
    assert qc.check_meta_text("1. Mara reads the letter\n2. A storm cuts the island off", "list")
    assert not qc.check_meta_text("1. Mara reads the letter<|im_end|>", "list")


def test_spaces_after_chinese_full_stops_fail_and_plain_chinese_passes():
    assert not qc.check_cjk_spacing("士隐笑了。 他走出书房。")
    assert not qc.check_cjk_spacing("士隐 笑了。")
    assert qc.check_cjk_spacing("士隐笑了。他走出书房。")
    assert qc.check_cjk_spacing("Mara laughed. She left.")  # not Chinese: nothing to check


def test_a_continuation_that_repeats_the_prompt_fails():
    echo = "At the top, the great lamp was dark, and someone had left a letter on the desk. Then she read it."
    assert not qc.check_no_prompt_echo(STORY, echo)
    assert qc.check_no_prompt_echo(STORY, " She broke the seal with cold fingers and read the first line twice.")
    assert not qc.check_no_prompt_echo(HONG, "伏几少憩，不觉朦胧睡去。忽见那厢来了一僧一道，且行且谈。")
    assert qc.check_no_prompt_echo(HONG, "士隐醒来，只见窗外烈日炎炎，芭蕉冉冉。")


def test_a_looping_answer_fails_the_repetition_check():
    assert not qc.check_repetition("and the sea was grey and " * 8)
    assert not qc.check_repetition("士隐走了出去，" * 10)
    assert qc.check_repetition("Mara opened the door of the lighthouse and climbed the stairs to the dark lamp.")


# --- length -------------------------------------------------------------------------------------

def test_length_bands_shorten_shorter_expand_longer_rephrase_within_thirty_percent():
    source = " ".join(["word"] * 100)
    assert qc.check_length(source, " ".join(["word"] * 50), "shorten")
    assert not qc.check_length(source, " ".join(["word"] * 100), "shorten")
    assert qc.check_length(source, " ".join(["word"] * 200), "expand")
    assert not qc.check_length(source, " ".join(["word"] * 105), "expand")
    assert qc.check_length(source, " ".join(["word"] * 125), "rephrase")
    assert not qc.check_length(source, " ".join(["word"] * 135), "rephrase")
    assert not qc.check_length(source, " ".join(["word"] * 65), "rephrase")
    assert not qc.check_length(source, "", "rephrase")
    # Chinese counts characters.
    assert qc.check_length("士" * 100, "隐" * 50, "shorten") and not qc.check_length("士" * 100, "隐" * 95, "shorten")


# --- suggestions --------------------------------------------------------------------------------

def test_suggestion_spans_must_index_the_text_on_word_edges():
    text = "There was the old lamp, very dark."
    good = [Suggestion(24, 33, "model", "wordy", "pitch-black"), Suggestion(0, 9, "rule", "weak start")]
    assert qc.check_suggestions(text, good)
    assert not qc.check_suggestions(text, [Suggestion(30, 99, "model", "x")])
    assert not qc.check_suggestions(text, [Suggestion(5, 5, "model", "x")])
    assert not qc.check_suggestions(text, [Suggestion(0, 3, "model", "'the' inside 'There'")])
    assert not qc.check_suggestions(text, [Suggestion(24, 28, "model", "same", "very")])
    assert qc.check_suggestions("士隐笑了。", [Suggestion(0, 2, "model", "name")])


def test_sentence_starts_contractions_and_articles_are_not_taken_for_invented_names():
    # Seen in the embedded model's answers: none of these is a name the answer made up.
    answer = ("Despite the rain, Mara climbed. He’ll spend the night there. Demonstrating her courage, she read "
              "the letter. The Lighthouse Board would hear of it.")
    result = qc.check_no_invented_names(STORY, answer)
    assert not result and "Lighthouse Board" in result.reason  # the only name that is not in the story
    assert "Despite" not in result.reason and "He’ll" not in result.reason and "The " not in result.reason
    # A title and its name are one required name, reported once.
    assert check_names_kept(PRIDE, "She left.", known=["Mr. Bennet"]).reason.count("Bennet") == 1
