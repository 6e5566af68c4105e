"""`writer-app generate` and `writer-app doctor` from a terminal's point of view."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from writer_app.cli import main

from .conftest import STORY

pytestmark = [pytest.mark.model, pytest.mark.slow]


def test_generate_continue_prints_a_continuation(tmp_path, embedded_model_dir):
    result = subprocess.run(
        [sys.executable, "-m", "writer_app", "generate", "--data-dir", str(tmp_path), "--task", "continue",
         "--text", STORY, "--max-new-tokens", "30", "--seed", "1"],
        capture_output=True, text=True, env={**os.environ}, timeout=900,
    )
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    assert len(words) >= 4
    assert "<|" not in result.stdout


def test_generate_suggest_json_spans_index_the_input(tmp_path, embedded_model_dir, capsys):
    text = "It was a dark and stormy night. She walked very very slowly to the door."
    code = main(["generate", "--data-dir", str(tmp_path), "--task", "suggest", "--text", text, "--json",
                 "--max-new-tokens", "24", "--seed", "0"])
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["suggestions"]
    for s in payload["suggestions"]:
        assert 0 <= s["start"] < s["end"] <= len(text)
        assert text[s["start"] : s["end"]].strip()


def test_generate_brainstorm_from_a_library_document(tmp_path, embedded_model_dir, capsys):
    from writer_app.paths import profile_paths
    from writer_app.storage import Library

    paths = profile_paths(tmp_path).ensure()
    with Library.open(paths.database) as lib:
        project = lib.create_project("The Lighthouse")
        lib.create_node(project.id, "chapter", "Chapter One", text=STORY)
    code = main(["generate", "--data-dir", str(tmp_path), "--task", "brainstorm", "--project", "The Lighthouse",
                 "--document", "chapter one", "--instruction", "what happens next", "--max-new-tokens", "20",
                 "--seed", "2"])
    assert code == 0
    assert capsys.readouterr().out.strip()


@pytest.mark.parametrize("argv,message", [
    (["--task", "continue", "--text", "   "], "the text is empty"),
    (["--task", "rewrite", "--text", "Hi.", "--preset", "pirate"], "unknown rewrite preset"),
    (["--task", "continue", "--file", "/no/such/file.txt"], "/no/such/file.txt cannot be used: it does not exist"),
    (["--task", "continue", "--text", "Hi.", "--model", "Nobody/Not-Downloaded"], "not downloaded yet"),
    (["--task", "continue", "--text", "Hi.", "--adapter", "no-such-adapter"], "no adapter folder"),
    (["--task", "continue", "--project", "Missing", "--document", "x"], "no library yet"),
])
def test_bad_input_is_one_clear_line_and_a_nonzero_exit(tmp_path, embedded_model_dir, capsys, argv, message):
    code = main(["generate", "--data-dir", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert code != 0
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_corrupt_model_folder_is_refused_from_the_cli(tmp_path, embedded_model_dir, capsys):
    folder = tmp_path / "broken-model"
    folder.mkdir()
    (folder / "config.json").write_text((embedded_model_dir / "config.json").read_text())
    (folder / "model.safetensors").write_bytes((embedded_model_dir / "model.safetensors").read_bytes()[:100_000])
    code = main(["generate", "--data-dir", str(tmp_path), "--task", "continue", "--text", "Hi.", "--model", str(folder)])
    assert code == 2
    assert "download the model again" in capsys.readouterr().err


def test_doctor_reports_the_machine_and_the_model(tmp_path, embedded_model_dir, capsys):
    assert main(["doctor", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for label in ("python", "torch", "CPU decoding", "bitsandbytes", "embedded", "model setting", "memory", "disk"):
        assert label in out
    assert "converted" in out
    from writer_app.llm.weights import cpu_has_bf16

    # What the CPU decodes with, so a slow machine can tell why.
    assert ("int4 weights" in out or "int8 weights" in out) if cpu_has_bf16() else "no bf16 instructions" in out
