"""The estimate before training, measured: a timed warm-up of the real loop, off the GUI thread.

Until a measurement exists the Trainer tab shows the rough guess from word
counts; a little after the author's choice settles, :class:`Calibration`
reads a sample of the chosen documents (the library's thread), runs
``python -m writer_app.training.calibrate`` as a child process (the
background pool; the editor never loads a model for it) and keeps the
result per model, device and the settings that change a step's cost. A
training run, a new choice or closing the window stops a calibration that is
still going (its process is killed, never left running). The time is then
``training.eta.estimate_seconds``, within the issue's ±25 % of the real run
on this machine (measured, see docs/training.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from writer_app.errors import UserError
from writer_app.training import runs
from writer_app.training.calibrate import sample_documents
from writer_app.training.config import TrainingConfig
from writer_app.training.dataset import HELDOUT_FRACTION, DatasetEstimate
from writer_app.training.eta import estimate_seconds

if TYPE_CHECKING:
    from writer_app.ui.main_window import MainWindow

SETTLE_MS = 1_500  # wait this long after the last change of documents or settings before measuring
POLL_S = 0.2


def minutes_text(seconds: float) -> str:
    """A duration as a person says it: "40 s", "17 min", "1.5 h"."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def describe_estimate(guess: DatasetEstimate, config: TrainingConfig, measured: dict[str, float] | None,
                      measuring: bool) -> tuple[DatasetEstimate, str]:
    """The estimate with the measured time when there is one, and the label's text (rich text)."""
    if measured is not None and not guess.refused:
        guess = replace(guess, estimated_seconds=estimate_seconds(measured, config, guess.words, HELDOUT_FRACTION),
                        tokens=int(guess.words * measured["tokens_per_word"]))
        how = "measured on this computer"
    else:
        how = "a first guess; measuring this computer's speed…" if measuring else "a first guess"
        if config.time_budget_minutes:  # the trainer stops at its budget, whatever the constant guessed
            guess = replace(guess, estimated_seconds=min(guess.estimated_seconds, config.time_budget_minutes * 60))
    text = (f"{guess.words:,} words in {guess.documents} documents · about {guess.tokens:,} tokens · "
            f"about {minutes_text(guess.estimated_seconds)} of training ({how})")
    if guess.refused:
        text += f"<br><span style='color:#b3261e'>{guess.refused}</span>"
    elif guess.warning:
        text += f"<br><span style='color:#8a5a00'>{guess.warning}</span>"
    return guess, text


def cost_key(config: TrainingConfig, model: str, device: str) -> tuple:
    """What a step's time depends on (not the epochs or the number of steps)."""
    return (model, device, config.seq_len, config.batch_size, config.grad_accum, config.rank,
            tuple(config.target_modules) if isinstance(config.target_modules, list) else config.target_modules,
            config.cpu_dtype, config.cpu_threads, config.gradient_checkpointing, config.quantization)


def run_calibration(command: list[str], request: dict[str, Any], cancelled: threading.Event) -> dict[str, float]:
    """Run the calibrating child to its end (killed if ``cancelled`` is set); its measurement."""
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdin is not None
    proc.stdin.write(json.dumps(request))
    proc.stdin.close()
    while proc.poll() is None:
        if cancelled.wait(POLL_S):
            proc.kill()
            proc.wait()
            raise UserError("the speed measurement was stopped")
    assert proc.stdout is not None
    lines = proc.stdout.read().strip().splitlines()
    result = json.loads(lines[-1]) if lines else {"error": f"the speed measurement failed (exit {proc.returncode})"}
    if "error" in result:
        raise UserError(result["error"])
    return result


class Calibration(QObject):
    """Measures this machine for the tab; ``result(config)`` is the measurement, or None while there is none."""

    def __init__(self, window: MainWindow, on_measured: Callable[[], None]) -> None:
        super().__init__(window)
        self.window = window
        self.on_measured = on_measured
        self._results: dict[tuple, dict[str, float]] = {}
        self._cancel: threading.Event | None = None
        self._running_key: tuple | None = None
        self._wanted: tuple[int, list[int], TrainingConfig] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SETTLE_MS)
        self._timer.timeout.connect(self._start)
        self.failed: str | None = None

    def _key(self, config: TrainingConfig) -> tuple:
        settings = self.window.settings
        return cost_key(config, settings.model, settings.device)

    def result(self, config: TrainingConfig) -> dict[str, float] | None:
        return self._results.get(self._key(config))

    @property
    def measuring(self) -> bool:
        return self._running_key is not None

    def request(self, project_id: int, node_ids: list[int], config: TrainingConfig) -> None:
        """Measure for these settings once the choice settles (nothing to do when already measured)."""
        if self.result(config) is not None or not node_ids:
            return
        self._wanted = (project_id, node_ids, config)
        self._timer.start()

    def stop(self) -> None:
        """Stop any measurement (training is about to use the CPU, or the window closes)."""
        self._timer.stop()
        self._wanted = None
        if self._cancel is not None:
            self._cancel.set()
        self._cancel, self._running_key = None, None

    def _start(self) -> None:
        if self._wanted is None:
            return
        project_id, node_ids, config = self._wanted
        key = self._key(config)
        if key == self._running_key or key in self._results:
            return
        if self._cancel is not None:
            self._cancel.set()
        cancel = self._cancel = threading.Event()
        self._running_key = key
        settings, paths = self.window.settings, self.window.paths

        def read(lib: Any) -> list[Any]:
            return sample_documents(runs.documents_from_library(lib, project_id, node_ids))

        def measure(sample: list[Any]) -> dict[str, float]:
            from writer_app.training.model_loading import resolve_base_model

            base = resolve_base_model(settings.model, paths.model_cache)
            command = [sys.executable, "-m", "writer_app.training.calibrate", "--base", str(base),
                       "--device", settings.device]
            request = {"config": config.to_dict(), "sample": [{"title": d.title, "text": d.text} for d in sample]}
            return run_calibration(command, request, cancel)

        def done(result: dict[str, float]) -> None:
            if cancel.is_set():
                return
            self._results[key] = result
            self._running_key, self._cancel, self.failed = None, None, None
            self.on_measured()

        def failed(error: BaseException) -> None:
            if cancel.is_set():
                return
            self._running_key, self._cancel, self.failed = None, None, str(error)
            self.on_measured()

        self.window.db.submit(read, lambda sample: self.window.background.run(
            lambda _task: measure(sample), done, failed, owner=self, cancel_event=cancel), failed, owner=self)
        self.on_measured()  # "measuring…"
