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

    evaluation = cli(tmp_path, "eval", "--project", "Austen", "--style-samples", "1", "--eval-sequences", "4",
                     "--json")
    assert evaluation.returncode == 0, evaluation.stderr[-2000:]
    report = json.loads(evaluation.stdout)
    assert report["adapter"] == "austen-style"
    assert report["adapter_perplexity"] < report["base_perplexity"]
    assert report["perplexity_change_percent"] < 0
    # Held out: whole chapters the trainer never saw, named; the style compared on their openings.
    assert report["heldout"]["mode"] == "chapters"
    assert report["heldout"]["chapters"] == adapter.metadata["metrics"]["heldout"]["chapters"]
    assert set(report["heldout"]["chapters"]).isdisjoint(adapter.metadata["dataset"]["train_titles"])
    stylometry = report["style"]["stylometry"]
    assert stylometry["language"] == "en"
    for feature in ("sentence_length", "dialogue_share", "function_words", "type_token_ratio", "overall"):
        row = stylometry["distance"][feature]
        assert 0 <= row["base"] <= 1 and 0 <= row["adapter"] <= 1 and "percent_closer" in row
    text = cli(tmp_path, "eval", "--project", "Austen", "--style-samples", "1", "--eval-sequences", "4")
    assert text.returncode == 0, text.stderr[-2000:]
    assert "held-out chapters" in text.stdout and "% closer" in text.stdout and "perplexity  base" in text.stdout

    # The trained adapter is attached for a continuation (--adapter by name), the plain model without it.
    # (Four tiny steps lower the held-out perplexity, above, but need not change 16 greedy tokens.)
    prompt = ["generate", "--task", "continue", "--text", "It is a truth universally acknowledged, that",
              "--max-new-tokens", "16", "--seed", "1", "--temperature", "0", "--json"]

    def attached(*extra):
        result = cli(tmp_path, *prompt, *extra)
        assert result.returncode == 0, result.stderr[-1000:]
        payload = json.loads(result.stdout)
        assert payload["text"].strip()
        return payload["model"].partition(", adapter ")[2], payload["text"]

    base, base_text = attached()
    styled, styled_text = attached("--adapter", "austen-style")
    assert (base, styled) == ("", "austen-style")

    # Made active (as the Trainer tab does), it is what generate uses without --adapter, like the editor.
    with Library.open(profile_paths(tmp_path).database) as lib:
        lib.set_active_adapter(lib.get_adapter_by_name("austen-style").id)
    assert attached() == (styled, styled_text)
    assert attached("--no-adapter") == (base, base_text)
    # eval, too, takes the active adapter over a newer one.
    import shutil

    adapters = profile_paths(tmp_path).adapters
    shutil.copytree(adapters / "austen-style", adapters / "newer")
    with Library.open(profile_paths(tmp_path).database) as lib:
        lib.register_adapter("newer", adapters / "newer", "embedded", None, adapter.metadata)
    evaluation = cli(tmp_path, "eval", "--style-samples", "0", "--eval-sequences", "2", "--json")
    assert evaluation.returncode == 0, evaluation.stderr[-2000:]
    assert json.loads(evaluation.stdout)["adapter"] == "austen-style"

    # An active adapter whose folder is gone is an error saying so, never a silent plain answer.
    (profile_paths(tmp_path).adapters / "austen-style").rename(tmp_path / "moved-away")
    missing = cli(tmp_path, *prompt)
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert "“austen-style” cannot be used" in missing.stderr and "--no-adapter" in missing.stderr


@pytest.mark.parametrize("name, message", [("", "an adapter needs a name"), ("x" * 300, "at most 200 characters")])
def test_an_empty_or_huge_adapter_name_is_refused_in_one_line_before_training(tmp_path, name, message):
    make_project(tmp_path, 6)
    result = cli(tmp_path, "train", "--project", "Austen", "--name", name, *TINY_ARGS, "--max-steps", "1")
    assert result.returncode == 2, result.stdout[-500:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not profile_paths(tmp_path).training_runs.exists()


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


def _malicious_pickle(marker) -> bytes:
    """A pickle whose loading would run ``open(marker, "w")``: if the marker appears, code ran."""
    import pickle

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    return pickle.dumps({"adapter": {}, "optimizer": Evil()})


@pytest.mark.slow
@pytest.mark.model
def test_the_trainer_refuses_a_malicious_checkpoint_in_one_sentence_and_runs_nothing(make_job, tmp_path):
    """The trainer process's own resume (the Trainer tab's path), not only the CLI's check before it."""
    from .conftest import run_trainer

    job = make_job(chapters=4)
    marker = tmp_path / "code-ran"
    step = job.parent / "checkpoints" / "step-000000002"
    step.mkdir(parents=True)
    (step / "checkpoint.pt").write_bytes(_malicious_pickle(marker))
    code, events = run_trainer(job)
    assert code == 1
    message = events[-1]["message"]
    assert events[-1]["event"] == "error"
    assert message == (f"the checkpoint {step}/checkpoint.pt holds objects other than tensors (it may be "
                       "malicious), so it was not loaded; delete its folder and resume again (from an earlier "
                       "checkpoint, or from the start)")
    assert not marker.exists()
    assert not (profile_paths(tmp_path / "profile").adapters / "austen-test").exists()


def test_load_checkpoint_refuses_what_a_resume_cannot_use(tmp_path):
    import torch

    from writer_app.errors import UserError
    from writer_app.training.checkpoint import load_checkpoint

    marker = tmp_path / "code-ran"
    cases = {
        "malicious.pt": (_malicious_pickle(marker), "holds objects other than tensors"),
        "empty.pt": (b"", "is damaged"),
        "text.pt": (b"hello, not a checkpoint", "is damaged"),
    }
    for name, (data, reason) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(UserError, match=reason):
            load_checkpoint(tmp_path / name)
    torch.save({"adapter": {}}, tmp_path / "partial.pt")  # tensors only, but not what save_checkpoint writes
    with pytest.raises(UserError, match="not a writer-app training checkpoint"):
        load_checkpoint(tmp_path / "partial.pt")
    assert not marker.exists()
