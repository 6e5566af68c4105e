"""Real faults for tests: a write limit the kernel enforces (a full disk, for root too)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def writes_fail_past(nbytes: int) -> Iterator[None]:
    """Every write() past ``nbytes`` into any file fails with EFBIG, for real.

    RLIMIT_FSIZE is enforced by the kernel for root too (chmod is not, and an
    already open file ignores chmod anyway). SIGXFSZ is ignored so the write
    returns the error instead of killing the process; SQLite turns EFBIG into
    SQLITE_IOERR_WRITE. The limit covers this whole process, so nothing but
    the one call under test may run inside.
    """
    import resource
    import signal

    old_limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, old_limit[1]))
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, old_limit)
    finally:
        signal.signal(signal.SIGXFSZ, old_handler)


def trainer_faults_env(**faults: object) -> dict[str, str]:
    """This process's environment plus the trainer's test faults (``writer_app.training.faults``).

    For example ``trainer_faults_env(nan_loss_at_step=3)`` for a run whose
    third step's loss is NaN, or ``sleep_per_step_s=0.5`` for one slow enough
    to kill at a known point. Pass it as ``env=`` to the trainer's process.
    """
    import json
    import os

    from writer_app.training.faults import FAULTS_ENV

    return {**os.environ, FAULTS_ENV: json.dumps(faults)}
