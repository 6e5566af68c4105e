"""Shared helpers for the trainer tests: real Austen chapters, tiny bounded runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults import trainer_faults_env
from writer_app.paths import profile_paths
from writer_app.training.config import TrainingConfig
from writer_app.training.dataset import SourceDocument
from writer_app.training.runs import prepare_job

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pride-and-prejudice.txt"


def austen_chapters(count: int) -> list[SourceDocument]:
    """The first ``count`` chapters of Pride and Prejudice, as separate documents."""
    text = FIXTURE.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    parts = re.split(r"\n(Chapter \d+)\n", text)
    chapters = [SourceDocument(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]
    return chapters[:count]


def tiny_config(**overrides) -> TrainingConfig:
    """A run of a few steps on 32-token sequences: seconds per step on a shared 2-core CPU."""
    config = TrainingConfig(
        rank=4, alpha=8, seq_len=32, overlap_tokens=4, batch_size=1, grad_accum=1, max_steps=6,
        learning_rate=1e-3, warmup_steps=1, eval_every=3, eval_max_sequences=2, checkpoint_every=2,
        early_stopping_patience=0, style_samples=0, style_tokens=8,
    )
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@pytest.fixture
def make_job(tmp_path, embedded_model_dir):
    """Write a job for a tiny run on the first chapters; returns (job_path, paths)."""

    def make(chapters: int = 6, name: str = "austen-test", processes: int = 1, **config) -> Path:
        paths = profile_paths(tmp_path / "profile").ensure()
        return prepare_job(paths, austen_chapters(chapters), base_model="embedded",
                           base_model_path=embedded_model_dir, config=tiny_config(**config),
                           adapter_name=name, project_title="Austen", device="cpu", processes=processes)

    return make


def run_trainer(job_path: Path, **faults) -> tuple[int, list[dict]]:
    """Run the trainer process to its end; ``faults`` are its test faults (``tests.faults.trainer_faults_env``)."""
    proc = subprocess.run([sys.executable, "-m", "writer_app.training", str(job_path)],
                          capture_output=True, text=True, env=trainer_faults_env(**faults) if faults else None)
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, events
