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
from dataclasses import dataclass


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
