"""A run with a time budget (the Quick preset) fits its steps to the minutes it was given."""

from __future__ import annotations

import pytest

from tests.training.conftest import run_trainer
from writer_app.training.config import PRESETS, preset_config, suggest_config
from writer_app.training.time_budget import CosineSchedule, steps_within


def test_steps_are_fitted_into_what_is_left_of_the_budget():
    # 600 s budget, 100 s used, 10 s a step: 50 more steps after the 5 done.
    assert steps_within(600, 100, 5, 1000, 10.0) == 55
    # Evaluations every 10 steps at 20 s each add 2 s a step.
    assert steps_within(600, 100, 5, 1000, 10.0, eval_s=20.0, eval_every=10) == 5 + 41
    assert steps_within(600, 100, 5, 30, 10.0) == 30  # the epochs stay the ceiling
    assert steps_within(600, 700, 5, 1000, 10.0) == 5  # over budget: the loop ends now
    assert steps_within(0, 100, 5, 1000, 10.0) == 1000  # no budget


def test_the_fitted_total_is_saved_and_restored_with_the_scheduler():
    torch = pytest.importorskip("torch")
    weight = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([weight], lr=1.0)
    schedule = CosineSchedule(warmup=2, total=100, min_ratio=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    schedule.total = 7  # fitted to the budget during the run
    saved = scheduler.state_dict()

    fresh = CosineSchedule(warmup=10, total=100, min_ratio=0.1)  # what a resumed process builds first
    resumed = torch.optim.lr_scheduler.LambdaLR(torch.optim.AdamW([weight], lr=1.0), fresh)
    resumed.load_state_dict(saved)
    assert (fresh.total, fresh.warmup) == (7, 2)
    assert fresh(7) == pytest.approx(0.1)  # the cosine ends at its floor on the fitted last step


def test_quick_preset_trains_for_minutes_not_epochs():
    thorough = preset_config("thorough", 150_000)
    quick = preset_config("quick", 150_000)
    assert thorough == suggest_config(150_000) and thorough.time_budget_minutes == 0
    assert 0 < quick.time_budget_minutes <= 12
    assert quick.early_stopping_patience == 0 and quick.learning_rate > thorough.learning_rate
    assert PRESETS == ("thorough", "quick")


def test_a_budgeted_run_stops_within_its_budget_and_finishes_its_schedule(make_job):
    # 50 epochs of six chapters would be thousands of steps; each step here takes over a second.
    job = make_job(max_steps=0, epochs=50.0, time_budget_minutes=0.05, eval_every=1000,
                   checkpoint_every=1000)
    code, events = run_trainer(job, sleep_per_micro_batch_s=1.0)
    assert code == 0, events[-1]
    ceiling = next(e for e in events if e["event"] == "dataset")["max_steps"]
    progress = [e for e in events if e["event"] == "progress"]
    done = events[-1]
    assert done["event"] == "done"
    assert ceiling > 100
    assert 1 <= done["metrics"]["steps"] <= 3 < ceiling  # 3 s of budget, over 1 s a step
    assert progress[-1]["step"] == progress[-1]["max_steps"] == done["metrics"]["steps"]
    assert progress[-1]["eval_loss"] is not None  # the last step is evaluated, as at the end of any run


def test_a_budgeted_run_reports_what_is_left_of_its_budget_until_its_last_step():
    from writer_app.training.time_budget import budget_eta

    assert budget_eta(400.0, 600.0, 30.0) == 570.0  # the early fits undercount the steps to come
    assert budget_eta(120.0, 600.0, 550.0) == 120.0  # the final comparison may outlast the budget
    assert budget_eta(40.0, 600.0, 30.0, finished=True) == 40.0  # the last step: the clock knows
    assert budget_eta(400.0, 0.0, 30.0) == 400.0  # no budget
