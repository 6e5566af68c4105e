"""`writer-app generate` through the guards: an answer failing a hard check is re-sampled, and what is
still wrong with the one printed is said (``warnings`` in --json, warning lines on stderr)."""

from __future__ import annotations

import json

import pytest

from writer_app.cli import main
from writer_app.llm import guards, tasks
from writer_app.llm.guards import DEFAULT_POLICY

pytestmark = [pytest.mark.model, pytest.mark.slow]
HONG = "一日，炎夏永昼，士隐于书房闲坐，至手倦抛书，伏几少憩，不觉朦胧睡去。又见奶母正抱了英莲走来。"
ARGS = ["--task", "rewrite", "--preset", "vivid", "--text", HONG, "--max-new-tokens", "16", "--seed", "1",
        "--temperature", "0.8"]
REQUEST = tasks.TaskRequest("rewrite", text=HONG, preset="vivid")


def _found(text: str) -> list[str]:
    return guards.hard_failures(guards.task_checks(REQUEST, tasks.TaskResult(text)))


def test_generate_json_reports_the_tries_and_the_warnings_of_the_answer_it_prints(tmp_path, embedded_model_dir,
                                                                                  capsys):
    assert main(["generate", "--data-dir", str(tmp_path), *ARGS, "--json", "--no-guard"]) == 0
    unguarded = json.loads(capsys.readouterr().out)
    assert unguarded["tries"] == 1 and unguarded["warnings"] == _found(unguarded["text"])
    assert main(["generate", "--data-dir", str(tmp_path), *ARGS, "--json"]) == 0
    guarded = json.loads(capsys.readouterr().out)
    assert guarded["warnings"] == _found(guarded["text"])
    assert guarded["tries"] == (1 if not unguarded["warnings"] else guarded["tries"])
    if guarded["warnings"]:
        assert guarded["tries"] == 1 + DEFAULT_POLICY.retries


def test_generate_prints_the_answer_and_one_warning_line_per_failed_check(tmp_path, embedded_model_dir, capsys):
    assert main(["generate", "--data-dir", str(tmp_path), *ARGS, "--no-guard"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip()
    warnings = [line for line in captured.err.splitlines() if line.startswith("writer-app: warning: ")]
    assert [w.removeprefix("writer-app: warning: ") for w in warnings] == _found(captured.out.strip())
