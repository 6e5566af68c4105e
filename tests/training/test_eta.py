"""The ETA and the estimate come from measured times; the warm-up step is not taken for a typical one."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from writer_app.training.config import TrainingConfig
from writer_app.training.eta import EtaClock, estimate_seconds, evaluations_between, planned_steps

from .conftest import austen_chapters, tiny_config


def test_the_first_step_does_not_make_the_eta_overshoot():
    # The first step after loading takes 30 s (allocations, compile), the others 5 s; an evaluation 12 s.
    clock = EtaClock(max_steps=100, eval_every=10, started=0.0)
    now = 30.0
    clock.step_done(now)
    for _step in range(2, 11):
        now += 5.0
        clock.step_done(now)
    now += 12.0
    clock.eval_done(now)
    assert clock.step_s == pytest.approx(5.0)
    # 90 steps, 9 evaluations, and the final comparison (two evaluations) left.
    assert clock.eta_s(10) == pytest.approx(90 * 5 + 9 * 12 + 2 * 12)
    old_style = now / 10 * 90  # elapsed / steps * remaining: what the trainer used to report
    assert old_style > 1.2 * clock.eta_s(10)
    assert clock.eta_s(100) == 0.0


def test_evaluations_are_counted_as_the_trainer_runs_them():
    # The trainer evaluates every eval_every steps and at the last step.
    for done, total, every in ((0, 10, 3), (3, 10, 3), (9, 10, 3), (0, 9, 3), (4, 4, 2), (0, 1, 25)):
        expected = sum(1 for s in range(done + 1, total + 1) if s % every == 0 or s == total)
        assert evaluations_between(done, total, every) == expected


def test_the_estimate_adds_load_steps_evaluations_and_final_comparison():
    config = TrainingConfig(seq_len=256, batch_size=2, grad_accum=4, epochs=2.0, eval_every=10,
                            eval_max_sequences=8, style_samples=2, style_tokens=60)
    calibration = {"load_s": 20.0, "step_s": 10.0, "eval_row_s": 1.0, "token_s": 0.1, "tokens_per_word": 1.3}
    words = 40_000
    rows = -(-int(words * 1.3 * (1 - 0.075)) // 256)
    steps = planned_steps(config, rows)
    expected = 20 + steps * 10 + evaluations_between(0, steps, 10) * 8 + 2 * 8 + 2 * 2 * 60 * 0.1
    assert estimate_seconds(calibration, config, words, 0.075) == pytest.approx(expected, rel=0.01)


def test_with_a_time_budget_the_estimate_is_the_budget_and_not_the_epochs():
    config = TrainingConfig(seq_len=256, batch_size=2, grad_accum=2, epochs=1.0, eval_every=20,
                            eval_max_sequences=24, style_samples=3, style_tokens=60, time_budget_minutes=10)
    calibration = {"load_s": 15.0, "step_s": 12.0, "eval_row_s": 0.5, "token_s": 0.05, "tokens_per_word": 1.3}
    whole_novel = estimate_seconds(calibration, config, 120_000, 0.075)
    style_s = 2 * 3 * 60 * 0.05
    # The steps and every evaluation (the final comparison included) within the ten minutes.
    assert 600 - 12 - 12 <= whole_novel - 15 - style_s <= 600
    config.time_budget_minutes = 0  # the same settings without a budget: all of a novel's steps
    assert estimate_seconds(calibration, config, 120_000, 0.075) > 2.5 * whole_novel


@pytest.mark.slow
@pytest.mark.model
def test_calibration_times_the_real_loop_on_this_machine(embedded_model_dir):
    config = tiny_config(seq_len=32, batch_size=1, grad_accum=3)
    sample = [{"title": d.title, "text": d.text} for d in austen_chapters(3)]
    done = subprocess.run([sys.executable, "-m", "writer_app.training.calibrate", "--base", str(embedded_model_dir),
                           "--device", "cpu"], input=json.dumps({"config": config.to_dict(), "sample": sample}),
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-1000:]
    result = json.loads(done.stdout)
    assert set(result) == {"load_s", "step_s", "eval_row_s", "token_s", "tokens_per_word"}
    assert all(result[k] > 0 for k in result)
    assert 1.0 < result["tokens_per_word"] < 2.0  # this tokenizer on Austen
