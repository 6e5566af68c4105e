"""The task-quality harness: the suite it builds, and a small subset run on the real embedded model.

The checks themselves are tested on hand-written answers (tests/text/test_quality_checks.py).
Here the subset (one English and one Chinese case per task, short answers, fixed seeds, fp32 so
the sampling is reproducible) asserts what holds deterministically: every task ran through the
editor's own code and was scored by the checks that apply to it, the spans of the style
suggestions index the text, the summary and JSON are well formed, and what the token masks make
certain holds: every answer is in its text's script, and no English rewrite or summary invents a
name. The other rates vary with the model and are measured by the benchmark (benchmarks/README.md).
"""

from __future__ import annotations

import json

import pytest

from writer_app.errors import UserError
from writer_app.llm import eval_tasks, tasks
from writer_app.llm.generation import GenerationSettings


def test_the_suite_covers_every_task_and_preset_in_both_languages_with_a_story_bible():
    assert set(eval_tasks.TASK_KEYS) >= {"continue", "expand", "shorten", "describe", "brainstorm",
                                          "summarise:scene", "summarise:chapter", "suggest"}
    assert {f"rewrite:{p}" for p in tasks.REWRITE_PRESETS} <= set(eval_tasks.TASK_KEYS)
    suite = eval_tasks.build_suite(2)
    assert len(suite) == 2 * len(eval_tasks.TASK_KEYS)
    for case in suite:
        assert case.language in ("en", "zh") and case.source.strip()
        assert case.request.language == case.language and case.request.bible
        if case.key.startswith("rewrite:"):
            assert case.request.preset == case.key.split(":")[1]
    for key in eval_tasks.TASK_KEYS:
        languages = {c.language for c in suite if c.key == key}
        assert languages == {"en", "zh"}, key
    # The cases are the same every time (the baseline is comparable from run to run).
    assert [c.case_id for c in suite] == [c.case_id for c in eval_tasks.build_suite(2)]
    # A rewrite's passage names someone in its bible, so the names check has something to guard.
    rewrite = [c for c in suite if c.key == "rewrite:vivid"]
    assert all(eval_tasks._mentions_bible(c.source, c.language) for c in rewrite)


def test_bad_suite_arguments_are_one_line_errors():
    with pytest.raises(UserError, match="at least 1"):
        eval_tasks.build_suite(0)
    with pytest.raises(UserError, match="unknown task"):
        eval_tasks.build_case("dance", 0)


def test_scoring_fails_a_renamed_heroine_and_an_english_answer_to_chinese():
    case = next(c for c in eval_tasks.build_suite(2) if c.key == "rewrite:vivid" and c.language == "en")
    faithful = eval_tasks.score(case, tasks.TaskResult(case.source))
    assert faithful["names"] and faithful["language"] and faithful["meta_text"] and faithful["invented_names"]
    name = sorted(eval_tasks.qc.names_in(case.source, [n for b in eval_tasks.ENGLISH_BIBLE for n in (b.name,)]))[0]
    renamed = eval_tasks.score(case, tasks.TaskResult(case.source.replace(name.split()[-1], "Emily")))
    assert not renamed["names"] and not renamed["invented_names"]
    chinese = next(c for c in eval_tasks.build_suite(2) if c.key == "summarise:scene" and c.language == "zh")
    english = eval_tasks.score(chinese, tasks.TaskResult("Shiyin falls asleep and dreams of a monk."))
    assert not english["language"]


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.timeout(2400)  # a hang guard only: ~30 short answers, minutes on a shared 2-core machine
def test_the_ci_subset_runs_every_task_on_the_embedded_model_and_reports_rates(fresh_runtime):
    settings = GenerationSettings(max_new_tokens=16, temperature=0.7, seed=3)
    keys = list(eval_tasks.TASK_KEYS)
    # An English and a Chinese case per task; a chapter's summary (several model calls) in English only.
    suite = [c for c in eval_tasks.build_suite(2, keys) if not (c.key == "summarise:chapter" and c.language == "zh")]
    results = eval_tasks.run_suite(fresh_runtime, suite, settings)
    summary = eval_tasks.summarise_results(results)
    assert list(summary["tasks"]) == keys
    for key, row in summary["tasks"].items():
        both = key != "summarise:chapter"
        assert row["cases"] == (2 if both else 1) and 0.0 <= row["pass_rate"] <= row["hard_pass_rate"] <= 1.0
        assert row["median_latency_s"] > 0 and set(row["by_language"]) == ({"en", "zh"} if both else {"en"})
        assert all(0.0 <= rate <= 1.0 for rate in row["checks"].values()), key
    # What the checks must say deterministically on these cases:
    assert summary["tasks"]["suggest"]["checks"] == {"spans": 1.0}  # spans are located in the text
    for key in keys:
        if key not in ("suggest", "brainstorm"):
            assert {"language", "meta_text", "length"} <= set(summary["tasks"][key]["checks"]), key
        if key.startswith("rewrite:") or key in ("expand", "shorten"):
            assert "names" in summary["tasks"][key]["checks"], key
    # What the token masks (llm.constraints) make certain: no answer leaves its text's script (a Chinese
    # selection was answered in English by every task but Continue before them), and no English
    # rewrite, shortening or summary names anyone its source and story bible do not.
    for key, row in summary["tasks"].items():
        if "language" in row["checks"]:
            assert row["checks"]["language"] == 1.0, key
    for result in results:
        if result.case.language == "en" and "invented_names" in result.checks:
            assert result.checks["invented_names"], (result.case.key, result.output)
    # The English Continue stays English; the same seeds give the same answers and the same rates.
    english_continue = next(r for r in results if r.case.key == "continue" and r.case.language == "en")
    assert english_continue.checks["language"] and english_continue.output.strip()
    again = eval_tasks.run_suite(fresh_runtime, [c for c in suite if c.key == "continue"], settings)
    first = [r for r in results if r.case.key == "continue"]
    assert [r.output for r in again] == [r.output for r in first]
    table = eval_tasks.format_table(summary)
    assert table.splitlines()[0].startswith("| task | cases | pass | hard |") and "**overall**" in table
    json.dumps(summary)  # plain data
