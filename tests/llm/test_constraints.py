"""The token masks of ``llm.constraints``, on the embedded model's own tokenizer and then in a real answer.

The masks decide what the model can write at all, so they are tested
token by token: a Chinese source never gets a token with a Latin letter, a
capitalised word that no allowed name begins with is masked while a known
name (and a sentence's ordinary opener) is not, a name being written can only
be finished as an allowed one, and "This passage" cannot be completed at the
start of an answer. The last test runs a real answer through them.
"""

from __future__ import annotations

import re

import pytest

from writer_app.llm import constraints, tasks
from writer_app.llm.generation import GenerationSettings
from writer_app.text import quality_checks as qc

SOURCE = ("Mara climbed the stairs of the lighthouse while Tobias waited below in the rain. "
          "The lamp was dark, and someone had left a letter on the desk for her.")
CHINESE = "士隐正在书房中闲坐，忽见一僧一道走来，那僧便说道：“施主，你把这有命无运的东西抱在怀中作甚？”"


@pytest.fixture(scope="module")
def tokenizer(embedded_model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(embedded_model_dir)


def _allowed(mask: constraints.TokenMask, tokenizer, so_far: str, candidate: str) -> bool:
    """Whether the first token of ``candidate`` may follow ``so_far`` in the answer."""
    import torch

    ids = tokenizer.encode(candidate, add_special_tokens=False)
    generated = tokenizer.encode(so_far, add_special_tokens=False) if so_far else []
    scores = torch.zeros(len(tokenizer))
    mask(generated, scores)
    return bool(torch.isfinite(scores[ids[0]]))


def test_a_chinese_source_never_gets_a_token_with_a_latin_letter(tokenizer):
    import torch

    rules = constraints.for_source("rewrite", CHINESE, ["甄士隐", "士隐"])
    assert rules.scripts == ("han",) and not rules.guard_names
    mask = constraints.TokenMask(tokenizer, rules)
    scores = torch.zeros(len(tokenizer))
    mask(tokenizer.encode("士隐", add_special_tokens=False), scores)
    texts = [tokenizer.decode([i]) for i in range(len(tokenizer))]
    special = set(tokenizer.all_special_ids)  # the end of the answer (chat tokens are cut off by the cleaning)
    latin = [i for i, text in enumerate(texts) if re.search("[A-Za-z]", text) and i not in special]
    assert len(latin) > 10_000  # the vocabulary is mostly English
    assert not torch.isfinite(scores[latin]).any()
    # Chinese, punctuation and the end of the answer stay possible.
    for token in ("，", "。", "的"):
        assert _allowed(mask, tokenizer, "士隐", token)
    assert bool(torch.isfinite(scores[tokenizer.eos_token_id]))


def test_an_unknown_capitalised_name_is_masked_and_a_known_one_is_allowed(tokenizer):
    mask = constraints.TokenMask(tokenizer, constraints.for_source("rewrite", SOURCE, ["Mara Venn"]))
    mid = "She climbed the stairs while"
    assert _allowed(mask, tokenizer, mid, " Mara")
    assert not _allowed(mask, tokenizer, mid, " Emily")
    assert not _allowed(mask, tokenizer, mid, " John")
    assert _allowed(mask, tokenizer, mid, " the")  # lower-case words are not touched
    assert _allowed(mask, tokenizer, mid, " I")
    # At a sentence start an ordinary opener is allowed, an invented name still is not.
    start = "She climbed the stairs."
    assert _allowed(mask, tokenizer, start, " She")
    assert _allowed(mask, tokenizer, start, " Suddenly")
    assert not _allowed(mask, tokenizer, start, " Emily")
    assert _allowed(mask, tokenizer, "", "Mara")  # the answer's first word


def test_a_name_being_written_can_only_be_finished_as_an_allowed_one(tokenizer):
    mask = constraints.TokenMask(tokenizer, constraints.for_source("rewrite", SOURCE + " Emma smiled.", []))
    so_far = "She waited for Em"
    assert " Em" in tokenizer.decode(tokenizer.encode(so_far, add_special_tokens=False)[-1:])
    assert _allowed(mask, tokenizer, so_far, "ma")
    assert not _allowed(mask, tokenizer, so_far, "ily")
    assert not _allowed(mask, tokenizer, so_far, " and")  # "Em" is no word of the source: it may not end here


def test_commentary_openers_cannot_be_completed_at_the_start_of_an_answer(tokenizer):
    mask = constraints.TokenMask(tokenizer, constraints.for_source("rewrite", SOURCE, []))
    assert not _allowed(mask, tokenizer, "", "Sure")
    assert _allowed(mask, tokenizer, "", "Here")
    assert not _allowed(mask, tokenizer, "Here", " is")  # the token that would complete "Here is"
    assert not _allowed(mask, tokenizer, "", "#")
    assert _allowed(mask, tokenizer, "", "This")
    assert not _allowed(mask, tokenizer, "This", " passage")
    assert _allowed(mask, tokenizer, "This", " morning")
    assert not _allowed(mask, tokenizer, "The lamp was dark.\nHere", " is")  # at a line's start too
    assert _allowed(mask, tokenizer, "The lamp was here", " is")  # not inside a sentence
    # A summary may speak of "the story"; a preamble it may not have.
    summary = constraints.TokenMask(tokenizer, constraints.for_source("summarise", SOURCE, []))
    assert _allowed(summary, tokenizer, "The", " story")
    assert not _allowed(summary, tokenizer, "", "Sure")


def test_a_rewrite_starts_with_the_selections_first_words_and_a_short_one_does_not():
    request = tasks.TaskRequest("rewrite", text=SOURCE, preset="vivid")
    assert tasks.answer_opening(request) == "Mara climbed the stairs"
    assert tasks.answer_opening(tasks.TaskRequest("rewrite", text="Mara waits.")) == ""
    assert tasks.answer_opening(tasks.TaskRequest("describe", text=SOURCE)) == ""
    assert tasks.answer_opening(tasks.TaskRequest("shorten", text=CHINESE)) == "士隐正在书房中闲坐，"


@pytest.mark.model
def test_a_chinese_rewrite_on_the_embedded_model_has_no_latin_letter_and_an_english_one_no_new_name(
        fresh_runtime):
    settings = GenerationSettings(max_new_tokens=40, temperature=0.8, seed=5)
    chinese = tasks.run_task(fresh_runtime, tasks.TaskRequest("rewrite", text=CHINESE, preset="vivid"), settings)
    assert chinese.text.startswith("士隐正在书房中闲坐，")
    assert not re.search("[A-Za-z]", chinese.text), chinese.text
    english_request = tasks.TaskRequest("rewrite", text=SOURCE, preset="vivid")
    english = tasks.run_task(fresh_runtime, english_request, settings)
    assert english.text.startswith("Mara climbed the stairs")
    assert qc.check_no_invented_names(SOURCE, english.text), english.text
    assert qc.check_meta_text(english.text), english.text
