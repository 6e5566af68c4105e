"""A run that fits a time budget: the number of steps decided by the steps this machine has just done.

Why not a step count: the Quick preset promises "about ten minutes", and a
step on a two-core laptop takes 10 s when the author only writes and 30 s
while a browser compiles a page. A fixed count would be right on one of those
days at most. So the loop measures its own steps (``eta.EtaClock``) and,
after each one, fits the number of steps still to come into the minutes that
are left; the learning-rate schedule is a :class:`CosineSchedule` whose
``total`` follows, so the cosine still decays to its end at the last step
(and, being a callable object rather than a lambda, its ``total`` is saved in
the scheduler's state and restored on resume). The epochs (or max steps)
stay the ceiling: a short text finishes early, as without a budget.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any


@dataclass
class CosineSchedule:
    """Linear warm-up, then cosine decay to ``min_ratio`` of the peak at ``total`` steps.

    ``torch.optim.lr_scheduler.LambdaLR`` saves a callable object's ``__dict__`` in its
    ``state_dict`` (a lambda's it cannot), so a resumed run keeps the fitted ``total``.
    """

    warmup: int
    total: int
    min_ratio: float

    def __call__(self, step: int) -> float:
        if step < self.warmup:
            return (step + 1) / (self.warmup + 1)
        progress = min(1.0, (step - self.warmup) / max(1, self.total - self.warmup))
        return self.min_ratio + (1 - self.min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def steps_within(budget_s: float, used_s: float, done: int, ceiling: int, step_s: float,
                 eval_s: float = 0.0, eval_every: int = 0) -> int:
    """The total step count that ends the training loop within ``budget_s``.

    ``used_s`` is what the loop has taken so far (steps and evaluations), ``done``
    the steps done, ``step_s`` the measured seconds per step and ``eval_s`` per
    held-out evaluation, which comes every ``eval_every`` steps. Never fewer than
    ``done`` (the loop then ends now), never more than ``ceiling`` (the epochs).
    """
    if budget_s <= 0:
        return ceiling
    per_step = max(step_s, 1e-6) + (eval_s / eval_every if eval_every and eval_s else 0.0)
    left = max(0.0, budget_s - used_s)
    return max(done, min(ceiling, done + math.floor(left / per_step)))


def budget_eta(eta_s: float, budget_s: float, used_s: float, finished: bool = False) -> float:
    """The time left of a budgeted run: what is left of the budget, when that is more than the clock says.

    Why: the clock counts the steps fitted so far, and the first fits (from a first step that paid
    for warm-up) are short, so the ETA in the first minute was 30 % low on the Quick preset
    (benchmarks/README); the run itself goes on until the budget is spent (or its epochs end).
    """
    if budget_s <= 0 or finished:
        return eta_s
    return max(eta_s, budget_s - used_s)


def fit_run_to_budget(run: Any, clock: Any) -> None:
    """Fit a ``trainer._Run``'s steps still to come (``clock``: its ``eta.EtaClock``, which imports this
    module, hence ``Any``), and the evaluation after them, into the time budget
    (``training.time_budget``), the same in every process.

    The budget holds the held-out evaluation of the last step and the base-vs-adapter comparison
    after it (three evaluations): "about ten minutes" is the whole run, not ten minutes and then a
    report. Until an evaluation has been timed, one is guessed from the steps (scoring a row is a
    forward pass, about a third of what training on it costs).
    """
    cfg, state = run.cfg, run.state
    step_s = clock.step_s or 0.0
    per_eval = statistics.fmean(clock.eval_times) if clock.eval_times else \
        step_s * len(run.eval_rows) / max(1, run.rows_per_step) / 3
    # The reserve counts as used, not as a smaller budget: a budget below it is still a budget
    # (the loop then ends at once), never "no budget".
    total = steps_within(cfg.time_budget_minutes * 60, state["loop_s"] + 3 * per_eval, state["step"],
                         run.step_ceiling, step_s, per_eval, cfg.eval_every)
    from writer_app.training.multiprocess import group_min

    total = group_min(run.accelerator, total)
    if not state.get("budget_fitted"):  # the warm-up is fitted once, from the first step: later it would jump
        state["budget_fitted"] = True
        run.schedule.warmup = min(cfg.warmup_steps, max(1, total // 10))
    run.max_steps = run.schedule.total = clock.max_steps = total
