"""Every writing task on the real embedded model: prompts, context limits, cleaned results."""

from __future__ import annotations

import pytest

from writer_app.errors import UserError
from writer_app.llm import tasks
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.summary import summarise

from .conftest import STORY

pytestmark = [pytest.mark.model, pytest.mark.slow]
SHORT = GenerationSettings(max_new_tokens=10, temperature=0.7, seed=11)


def test_continue_prompt_uses_the_chat_template_with_the_text_as_the_answer_so_far(runtime):
    request = tasks.TaskRequest("continue", text=STORY, bible=[("Mara", "the keeper's daughter, 17"),
                                                              ("Corso", "an island never mentioned")])
    prompt = tasks.build_prompt(runtime, request, 60)
    assert prompt.text.startswith("<|im_start|>system\n")
    assert prompt.text.endswith("<|im_start|>assistant\n" + STORY)
    assert "Mara: the keeper's daughter, 17" in prompt.text
    assert "Corso" not in prompt.text  # only entries whose names appear nearby
    assert not prompt.truncated and prompt.input_tokens == runtime.count_tokens(prompt.text)


def test_a_chinese_rewrite_is_asked_for_in_chinese_and_opens_with_the_selections_words(runtime):
    selection = "士隐正在书房中闲坐，忽见一僧一道走来，那僧便说道：施主，你把这有命无运的东西抱在怀中作甚？"
    prompt = tasks.build_prompt(runtime, tasks.TaskRequest("rewrite", text=selection, preset="vivid"), 60)
    assert "English" not in prompt.text.split("<|im_start|>user")[0]  # the system prompt asks for 中文
    assert prompt.opening == "士隐正在书房中闲坐，" and prompt.text.endswith("<|im_start|>assistant\n" + prompt.opening)
    assert prompt.constraints is not None and prompt.constraints.scripts == ("han",)


def test_long_text_keeps_the_most_recent_part_within_the_window(runtime):
    chapter = "\n\n".join(f"Chapter line {i}: the tide came in and went out again." for i in range(900))
    request = tasks.TaskRequest("continue", text=chapter + "\n\nThe last line.", story_so_far="Mara found a letter.")
    prompt = tasks.build_prompt(runtime, request, 120)
    assert prompt.truncated
    assert prompt.text.endswith("The last line.")
    assert "Chapter line 0:" not in prompt.text
    assert "The story so far: Mara found a letter." in prompt.text
    assert prompt.input_tokens + 120 <= runtime.info.context_window


def test_selection_longer_than_the_window_is_explained(runtime):
    with pytest.raises(UserError, match="selection is too long"):
        tasks.build_prompt(runtime, tasks.TaskRequest("rewrite", text="word " * 9000), 120)


def test_empty_input_and_unknown_choices_are_explained(runtime):
    with pytest.raises(UserError, match="no text before the cursor"):
        tasks.build_prompt(runtime, tasks.TaskRequest("continue", text="   "))
    with pytest.raises(UserError, match="select some text"):
        tasks.build_prompt(runtime, tasks.TaskRequest("rewrite", text=""))
    with pytest.raises(UserError, match="unknown rewrite preset"):
        tasks.build_prompt(runtime, tasks.TaskRequest("rewrite", text="Hi.", preset="pirate"))
    with pytest.raises(UserError, match="unknown task"):
        tasks.build_prompt(runtime, tasks.TaskRequest("dance", text="Hi."))
    with pytest.raises(UserError, match="no text to summarise"):
        summarise(runtime, " \n ")


def test_continue_writes_english_prose_without_chat_artefacts(fresh_runtime):
    result = tasks.run_task(fresh_runtime, tasks.TaskRequest("continue", text=STORY),
                            GenerationSettings(max_new_tokens=24, temperature=0.7, seed=1))
    words = result.text.split()
    assert len(words) >= 5
    assert "<|" not in result.text and "assistant" not in result.text.lower()
    assert sum(w.strip(".,;:!?\"'").isalpha() for w in words) >= 0.8 * len(words)


@pytest.mark.parametrize("task,extra", [
    ("rewrite", {"preset": "vivid"}),
    ("rewrite", {"instruction": "make it sound like a ghost story"}),
    ("expand", {}),
    ("describe", {"instruction": "the lamp room"}),
])
def test_selection_tasks_return_only_replacement_text(fresh_runtime, task, extra):
    deltas: list[str] = []
    request = tasks.TaskRequest(task, text="She was very sad because her dog had died.", before=STORY, **extra)
    result = tasks.run_task(fresh_runtime, request, SHORT, on_delta=deltas.append)
    assert deltas, "the answer streams"
    assert result.text.strip()
    assert not result.text.lower().startswith(("here is", "here's", "sure"))
    assert "<|" not in result.text


def test_brainstorm_returns_a_list(fresh_runtime):
    result = tasks.run_task(fresh_runtime, tasks.TaskRequest("brainstorm", instruction="names for a cat"),
                            GenerationSettings(max_new_tokens=20, temperature=0.7, seed=2))
    assert result.items and all(isinstance(i, str) and i for i in result.items)


def test_long_text_is_summarised_hierarchically_with_progress(fresh_runtime):
    text = "\n\n".join(
        f"Day {i}. Mara climbed the lighthouse, trimmed the wick and wrote in the log that the sea was calm."
        for i in range(7)
    )
    reports: list[tuple[float, str]] = []
    summary = summarise(fresh_runtime, text, progress=lambda f, m: reports.append((f, m)),
                        settings=GenerationSettings(max_new_tokens=8, temperature=0, seed=0), chunk_tokens=70)
    assert summary.strip()
    assert any("level 2" in message for _, message in reports), reports
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_style_suggestions_have_spans_that_index_the_text(fresh_runtime):
    text = "She was very very tired. It was a dark and stormy night, and she walked slowly to the door."
    found = tasks.run_task(fresh_runtime, tasks.TaskRequest("suggest", text=text),
                           GenerationSettings(max_new_tokens=24, temperature=0, seed=0)).suggestions
    assert found
    for suggestion in found:
        assert suggestion.applies_to(text) and suggestion.end > suggestion.start
        assert suggestion.source in ("rule", "model")
    assert found == sorted(found, key=lambda s: (s.start, s.end))
