"""Time left in a run, and the estimate before one: from measured times, never a constant.

Two places need a duration. Before training, the Trainer tab shows "about
N min": :func:`estimate_seconds` adds up the parts of a run from a
*calibration* (``training.calibrate``: a timed warm-up on this machine, this
model and this data). During training, :class:`EtaClock` predicts the rest
from the steps measured so far. In both, the first step after the model is
loaded is left out of the per-step time: it pays for allocations, kernel
selection and (when used) compilation, and it made the old ETA overshoot
threefold in its first minute. Held-out evaluations are timed apart from the
steps, since they come every ``eval_every`` steps and then cost several steps'
worth. Pure Python: the UI and the trainer both import it.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

from writer_app.training.time_budget import steps_within


@dataclass
class EtaClock:
    """Fed by the training loop; ``eta_s(step)`` is the time left after ``step``.

    ``step_done(now)`` after each optimiser step (before its evaluation),
    ``eval_done(now)`` after a held-out evaluation.
    """

    max_steps: int
    eval_every: int
    started: float  # when the loop started (after loading), a monotonic time
    final_s: float = 0.0  # the evaluation after the last step (base vs adapter), when known
    step_times: list[float] = field(default_factory=list)
    eval_times: list[float] = field(default_factory=list)
    _mark: float = 0.0

    def __post_init__(self) -> None:
        self._mark = self.started

    def step_done(self, now: float) -> float:
        """Record a step that ended at ``now``; its duration."""
        duration = max(0.0, now - self._mark)
        self.step_times.append(duration)
        self._mark = now
        return duration

    def eval_done(self, now: float) -> None:
        self.eval_times.append(max(0.0, now - self._mark))
        self._mark = now

    @property
    def step_s(self) -> float | None:
        """Seconds per step: the mean without the first (warm-up) step once there is a second."""
        measured = self.step_times[1:] or self.step_times
        return statistics.fmean(measured) if measured else None

    def eta_s(self, step: int) -> float | None:
        """Seconds left after ``step``: the steps and held-out evaluations still to come, then the final one."""
        per_step = self.step_s
        if per_step is None:
            return None
        remaining = max(0, self.max_steps - step)
        per_eval = statistics.fmean(self.eval_times) if self.eval_times else 0.0
        if not remaining:
            return 0.0
        evals_left = evaluations_between(step, self.max_steps, self.eval_every)
        # The final comparison scores the held-out rows twice (adapter, then base).
        return remaining * per_step + evals_left * per_eval + 2 * per_eval + self.final_s


def evaluations_between(done: int, max_steps: int, eval_every: int) -> int:
    """Held-out evaluations after step ``done`` up to ``max_steps`` (every ``eval_every`` and the last step)."""
    every = max(1, eval_every)
    count = max_steps // every - done // every
    return count + (1 if max_steps % every and done < max_steps else 0)


def planned_steps(config: Any, train_rows: int, processes: int = 1) -> int:
    """The trainer's own step count (``trainer._set_up``) for ``train_rows`` packed training rows."""
    rows_per_step = config.batch_size * config.grad_accum * processes
    return config.max_steps or max(1, math.ceil(config.epochs * train_rows / rows_per_step))


def estimated_rows(words: int, tokens_per_word: float, seq_len: int, heldout_fraction: float) -> int:
    """Packed training rows for ``words`` words (each row is ``seq_len`` tokens; no padding)."""
    return max(1, math.ceil(words * tokens_per_word * (1 - heldout_fraction) / seq_len))


def estimate_seconds(calibration: dict[str, float], config: Any, words: int, heldout_fraction: float) -> float:
    """The whole run: loading and dataset, every step, the held-out evaluations, the final comparison.

    ``calibration`` is what ``training.calibrate`` measured: ``load_s``,
    ``step_s`` (one optimiser step at these settings, warm-up excluded),
    ``eval_row_s`` (one held-out row scored), ``token_s`` (one generated
    token) and ``tokens_per_word`` (this tokenizer on this text).
    """
    rows = estimated_rows(words, calibration["tokens_per_word"], config.seq_len, heldout_fraction)
    steps = planned_steps(config, rows)
    eval_rows = max(1, math.ceil(words * calibration["tokens_per_word"] * heldout_fraction / config.seq_len))
    if config.eval_max_sequences:
        eval_rows = min(eval_rows, config.eval_max_sequences)
    budget_s = float(getattr(config, "time_budget_minutes", 0.0) or 0.0) * 60
    if budget_s:  # the trainer fits its steps (and their evaluations) into the budget: trainer._fit_to_budget
        per_eval = eval_rows * calibration["eval_row_s"]
        # As the trainer: the last step's evaluation and the comparison after it (3) are in the budget.
        steps = steps_within(budget_s, 3 * per_eval, 0, steps, calibration["step_s"], per_eval, config.eval_every)
    evaluations = evaluations_between(0, steps, config.eval_every)
    final = 2 * eval_rows * calibration["eval_row_s"] + \
        2 * config.style_samples * config.style_tokens * calibration["token_s"]
    return (calibration["load_s"] + steps * calibration["step_s"]
            + evaluations * eval_rows * calibration["eval_row_s"] + final)
