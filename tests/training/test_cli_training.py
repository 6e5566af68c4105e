"""``writer-app train`` / ``eval`` end to end on a real library and the embedded model."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from writer_app.paths import profile_paths
from writer_app.storage import Library
from writer_app.training import runs

from .conftest import austen_chapters, tiny_config

TINY_ARGS = ["--max-steps", "4", "--seq-len", "32", "--batch-size", "1", "--grad-accum", "1",
             "--eval-every", "2", "--eval-sequences", "4", "--style-samples", "1", "--style-tokens", "12", "--learning-rate", "1e-3", "--rank", "4"]


def cli(data_dir, *args):
    return subprocess.run([sys.executable, "-m", "writer_app", args[0], "--data-dir", str(data_dir), *args[1:]],
                          capture_output=True, text=True)


def make_project(data_dir, chapters: int, title: str = "Austen") -> int:
    with Library.open(profile_paths(data_dir).ensure().database) as lib:
        project = lib.create_project(title)
        for doc in austen_chapters(chapters):
            lib.create_node(project.id, "chapter", doc.title, text=doc.text)
        trashed = lib.create_node(project.id, "chapter", "Deleted draft", text="Ignore me. " * 500)
        lib.trash_node(trashed.id)
        return project.id


def test_too_little_text_is_refused_in_one_line(tmp_path):
    make_project(tmp_path, 1, title="Short")
    result = cli(tmp_path, "train", "--project", "Short")
    assert result.returncode == 2
    assert "at least 2,000 words" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
@pytest.mark.model
def test_train_registers_adapter_and_eval_compares(tmp_path, embedded_model_dir):
    make_project(tmp_path, 6)
    result = cli(tmp_path, "train", "--project", "Austen", "--name", "austen-style", "--json", *TINY_ARGS)
    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(line) for line in result.stdout.splitlines()]
    steps = [e["step"] for e in events if e["event"] == "progress"]
    assert steps == [1, 2, 3, 4]
    dataset = next(e for e in events if e["event"] == "dataset")
    assert "Deleted draft" not in dataset["heldout_titles"]
    with Library.open(profile_paths(tmp_path).database) as lib:
        adapter = lib.get_adapter_by_name("austen-style")
        assert adapter is not None
        assert (profile_paths(tmp_path).adapters / "austen-style" / "adapter_model.safetensors").is_file()
        assert adapter.metadata["dataset"]["documents"] == [d.title for d in austen_chapters(6)]
        assert adapter.metadata["metrics"]["style"]["samples"][0]["adapter"]
        runs_dir = profile_paths(tmp_path).training_runs
        assert not list(runs_dir.glob("*/checkpoints"))  # cleaned once registered

    evaluation = cli(tmp_path, "eval", "--project", "Austen", "--style-samples", "0", "--eval-sequences", "4",
                     "--json")
    assert evaluation.returncode == 0, evaluation.stderr[-2000:]
    report = json.loads(evaluation.stdout)
    assert report["adapter"] == "austen-style"
    assert report["adapter_perplexity"] < report["base_perplexity"]

    # The registered adapter, named on the command line, is attached for a continuation. (Not "the
    # text differs": four training steps moved the held-out loss by 4%, and the 16 greedy tokens of
    # this opening came out the same with and without it on a float32 CPU.)
    prompt = ["generate", "--task", "continue", "--text", "It is a truth universally acknowledged, that",
              "--max-new-tokens", "16", "--seed", "1", "--temperature", "0", "--json"]
    base = cli(tmp_path, *prompt)
    styled = cli(tmp_path, *prompt, "--adapter", "austen-style")
    assert base.returncode == 0 and styled.returncode == 0, (base.stderr[-1000:], styled.stderr[-1000:])
    base, styled = json.loads(base.stdout), json.loads(styled.stdout)
    assert base["text"].strip() and styled["text"].strip()
    assert "adapter austen-style" in styled["model"] and "adapter" not in base["model"]


@pytest.mark.slow
@pytest.mark.model
def test_cancelled_run_registers_nothing(tmp_path, embedded_model_dir):
    make_project(tmp_path, 6)
    paths = profile_paths(tmp_path).ensure()
    job = runs.prepare_job(paths, austen_chapters(6), base_model="embedded", base_model_path=embedded_model_dir,
                           config=tiny_config(max_steps=50), adapter_name="never", project_title="Austen",
                           device="cpu")
    stop = threading.Event()
    seen = []

    def on_event(event):
        seen.append(event)
        if event["event"] == "progress":
            stop.set()

    with Library.open(paths.database) as lib:
        with pytest.raises(runs.TrainingCancelled):
            runs.train_and_register(lib, job, None, on_event, stop)
        assert lib.adapters() == []
    assert seen[-1]["event"] == "cancelled"
    assert max(e["step"] for e in seen if e["event"] == "progress") < 50
    assert not (paths.adapters / "never").exists()
    assert not any(p.name.startswith(".tmp") for p in paths.adapters.iterdir())
