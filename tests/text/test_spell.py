"""The spell checker: real Hunspell en_US, a real personal dictionary file in a temporary profile."""

from __future__ import annotations

import pytest

from writer_app.errors import UserError
from writer_app.text.spell import SpellChecker, checks_language, words_in


def flagged(checker: SpellChecker, text: str) -> list[str]:
    return [text[start:start + length] for start, length in checker.misspelled(text)]


def test_misspelled_words_are_found_where_they_are():
    checker = SpellChecker()
    text = "She recieved the letter and red it twice, then wrte back."
    assert flagged(checker, text) == ["recieved", "wrte"]
    assert "received" in checker.suggest("recieved")


def test_contractions_with_curly_apostrophes_acronyms_and_ordinals_are_not_flagged():
    checker = SpellChecker()
    assert flagged(checker, "She didn’t know the NATO rules on the 3rd of May; we’re late.") == []
    assert checker.suggest("did’nt")[0].count("’") == 1  # suggestions keep the author's apostrophe


def test_story_bible_names_and_their_possessives_are_not_flagged():
    checker = SpellChecker()
    text = "Elspeth Quarrington met Tamsk at Vellmoor; Tamsk’s horse waited."
    assert {"Quarrington", "Tamsk", "Vellmoor"} <= set(flagged(checker, text))
    checker.set_names(["Elspeth Quarrington", "Tamsk", "Vellmoor Keep"])
    assert flagged(checker, text) == []


def test_add_to_dictionary_is_kept_in_the_profile_and_survives_a_restart(tmp_path):
    personal = tmp_path / "profile" / "personal-dictionary.txt"
    checker = SpellChecker(personal)
    assert flagged(checker, "The grimwold stirred.") == ["grimwold"]
    checker.add_to_dictionary("grimwold")
    assert flagged(checker, "The grimwold stirred.") == []
    assert personal.read_text(encoding="utf-8") == "grimwold\n"
    again = SpellChecker(personal)
    assert flagged(again, "The grimwold stirred.") == []


def test_ignore_lasts_for_the_session_only(tmp_path):
    personal = tmp_path / "personal-dictionary.txt"
    checker = SpellChecker(personal)
    checker.ignore("thrumble")
    assert flagged(checker, "A thrumble of bees.") == []
    assert not personal.exists()
    assert flagged(SpellChecker(personal), "A thrumble of bees.") == ["thrumble"]


def test_an_unreadable_personal_dictionary_is_one_clear_error(tmp_path):
    personal = tmp_path / "personal-dictionary.txt"
    personal.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(UserError, match="personal dictionary"):
        SpellChecker(personal)


def test_chinese_is_not_checked_and_han_text_has_no_words():
    assert not checks_language("zh-Hans")
    assert not checks_language("ja")
    assert checks_language("en")
    assert words_in("她走进了房间。") == []


def test_a_word_outside_the_dictionary_alphabet_is_not_flagged():
    checker = SpellChecker()
    assert flagged(checker, "Dvořák wrote it.") == []
