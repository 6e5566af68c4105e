"""A test seam: faults a test makes the trainer process show. The app never sets it.

Proving the NaN stop needs a NaN at a known step without waiting for a
divergent run, and killing or cancelling a run at a known point needs a run
slow enough to catch. A test asks for either by putting JSON in the
trainer's environment::

    WRITER_APP_TRAINER_TEST_FAULTS='{"nan_loss_at_step": 3}' python -m writer_app.training JOB.json

(``"nan_loss_process": 1`` with it: the NaN in the second process of a group
only, the case where the others must stop with it rather than wait for it.)

(``tests/faults.py:trainer_faults_env`` builds that environment). It lives in
the environment rather than in the job file so that the production format
carries nothing but the run; a job file of an older version that still has a
``fault_injection`` entry is read with it ignored (``job.from_dict``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

FAULTS_ENV = "WRITER_APP_TRAINER_TEST_FAULTS"


@dataclass(frozen=True)
class InjectedFaults:
    nan_loss_at_step: int = -1  # that step's loss becomes NaN (-1: never)
    nan_loss_process: int = -1  # ... in this process of an ``accelerate launch`` group only (-1: in all)
    sleep_per_step_s: float = 0.0  # a pause after each step
    sleep_per_micro_batch_s: float = 0.0  # a pause after each micro-batch (a long step, to cancel inside)

    @classmethod
    def from_environment(cls) -> InjectedFaults:
        """The faults asked for in ``FAULTS_ENV``; none when it is unset (always, outside tests)."""
        raw = os.environ.get(FAULTS_ENV, "")
        return cls(**json.loads(raw)) if raw.strip() else cls()

    def nan_at(self, step: int, process_index: int) -> bool:
        """Whether this process's loss of ``step`` (counted from 1) is to be made NaN."""
        return step == self.nan_loss_at_step and self.nan_loss_process in (-1, process_index)
