"""``python -m writer_app.training JOB.json`` — the trainer process.

Prints one JSON object per line on stdout (``progress``, ``checkpoint``,
``done``, ``error``, ``cancelled``…) and nothing else there; warnings and
library chatter go to stderr. While it runs it holds the run folder's
``trainer.lock`` (see ``recovery``), and it keeps training when the app that
reads its stdout dies. Exit codes: 0 done, 1 error (including a NaN
stop), 130 cancelled. SIGTERM/SIGINT only set a flag: the loop finishes the
current step, writes a checkpoint and exits, so a cancelled run can resume.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import traceback
from contextlib import nullcontext
from pathlib import Path
from typing import Any

EXIT_DONE, EXIT_ERROR, EXIT_CANCELLED = 0, 1, 130


_reader = {"gone": False}


def _emit(event: dict[str, Any]) -> None:
    """One JSON line on stdout; once the app reading it is gone, on stderr (the run's trainer.log).

    The editor or the CLI that started this process may die while it trains;
    its end of the pipe closes, and a write would raise BrokenPipeError and end
    the run. Instead the run goes on to its adapter, which the app registers on
    its next start. ASCII JSON, so no name or message can fail to encode.
    """
    line = json.dumps(event, ensure_ascii=True) + "\n"
    if not _reader["gone"]:
        try:
            sys.stdout.write(line)
            sys.stdout.flush()
            return
        except BrokenPipeError:
            _reader["gone"] = True
            devnull = os.open(os.devnull, os.O_WRONLY)  # what is still buffered goes nowhere, quietly
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except OSError:
        pass


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if len(argv) != 1:
        _emit({"event": "error", "message": "usage: python -m writer_app.training JOB.json"})
        return EXIT_ERROR
    main_process = os.environ.get("RANK", "0") in ("", "0")
    if not main_process:  # under ``accelerate launch``: the app reads the first process's events only
        _reader["gone"] = True
    stop = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    from writer_app.errors import UserError
    from writer_app.training.export_job import with_local_base_model
    from writer_app.training.job import read_job
    from writer_app.training.recovery import RunLock
    from writer_app.training.trainer import TrainingStopped, train

    try:
        job = with_local_base_model(read_job(Path(argv[0])))
        # The run's lock says "alive" to the app for as long as this process lives (the kernel
        # drops it on any death). Under ``accelerate launch`` only the first process takes it.
        lock = RunLock(Path(job.run_dir)) if main_process else nullcontext()
        with lock:
            _emit({"event": "started", "run_id": job.run_id})
            _emit(train(job, _emit, stop))
        return EXIT_DONE
    except TrainingStopped as exc:
        if exc.reason == "cancelled":
            _emit({"event": "cancelled", "step": exc.step, "micro_batch": exc.micro_batch, "message": str(exc)})
            return EXIT_CANCELLED
        _emit({"event": "error", "reason": exc.reason, "step": exc.step, "message": str(exc)})
        return EXIT_ERROR
    except UserError as exc:
        _emit({"event": "error", "message": str(exc)})
        return EXIT_ERROR
    except MemoryError:
        _emit({"event": "error", "message": "out of memory: try a shorter sequence length or a smaller batch"})
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - reported as one line; details on stderr
        traceback.print_exc(file=sys.stderr)
        message = f"{exc.__class__.__name__}: {exc}"
        if "out of memory" in str(exc).lower():
            message = "the GPU ran out of memory: try a shorter sequence length, a smaller batch or rank"
        _emit({"event": "error", "message": message})
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
