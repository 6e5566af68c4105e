"""The trainer process seen from Qt: a QProcess whose stdout JSON lines become signals.

Why a process and not a thread: training can take hours, use all memory or
crash in native code; in its own process it cannot take the editor down, and
cancelling is a signal (SIGTERM: the trainer finishes its step, checkpoints
and exits). The GUI thread only ever reads lines that are ready.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from writer_app.training import events
from writer_app.training.launch import starts_a_group

KILL_AFTER_MS = int(events.KILL_AFTER_S * 1000)  # the protocol's policy, in Qt's unit


class TrainerProcess(QObject):
    event = Signal(dict)  # every JSON event the trainer prints
    finished = Signal(int, dict)  # exit code, last event ({} if none)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process: QProcess | None = None
        self._group = False  # several processes (``training.launch``): signals go to their process group
        self._reader = events.EventReader()
        self._last: dict[str, Any] = {}
        self.job_path: Path | None = None

    def is_running(self) -> bool:
        return self._process is not None and self._process.state() != QProcess.ProcessState.NotRunning

    def start(self, job_path: Path) -> None:
        if self.is_running():
            raise RuntimeError("a training run is already going")
        self.job_path = Path(job_path)
        self._reader, self._last = events.EventReader(), {}
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        process.setStandardErrorFile(str(self.job_path.with_name("trainer.log")))
        process.readyReadStandardOutput.connect(self._read)
        process.finished.connect(self._done)
        command = events.trainer_command(self.job_path)
        self._group = starts_a_group(command)
        if self._group:  # launcher + workers in a session of their own: a stop or kill reaches them all
            params = QProcess.UnixProcessParameters()
            params.flags = QProcess.UnixProcessFlag.CreateNewSession
            process.setUnixProcessParameters(params)
        self._process = process
        process.start(command[0], command[1:])

    def cancel(self) -> None:
        """Ask nicely (SIGTERM), kill if the trainer has not stopped ``KILL_AFTER_MS`` later (``training.events``)."""
        if not self.is_running():
            return
        assert self._process is not None
        self._signal(signal.SIGTERM)
        # The timer belongs to the process object: when the window closes and deletes it first, the
        # timer goes with it (a bare singleShot lambda would call into a deleted QProcess).
        QTimer.singleShot(KILL_AFTER_MS, self._process, lambda: self._signal(signal.SIGKILL))

    def _signal(self, signum: int) -> None:
        """SIGTERM/SIGKILL to the trainer, or to its whole process group when it is several processes."""
        process = self._process
        if process is None or process.state() == QProcess.ProcessState.NotRunning:
            return
        if self._group:
            try:
                os.killpg(process.processId(), signum)
                return
            except (ProcessLookupError, PermissionError):
                return
        if signum == signal.SIGKILL:
            process.kill()
        else:
            process.terminate()

    def _read(self) -> None:
        assert self._process is not None
        for event in self._reader.feed(bytes(self._process.readAllStandardOutput().data())):
            self._last = event
            self.event.emit(event)

    def _done(self, code: int, status: QProcess.ExitStatus) -> None:
        self._read()
        if status == QProcess.ExitStatus.CrashExit and code == 0:
            code = -1
        self._process = None
        self.finished.emit(code, self._last)


def cuda_free_memory_mb() -> int | None:
    """Free memory of the first CUDA GPU via nvidia-smi (no torch in the UI process); None without one."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    try:
        out = subprocess.run([smi, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=5).stdout
        return int(out.strip().splitlines()[0])
    except (OSError, ValueError, IndexError, subprocess.SubprocessError):
        return None


def training_memory_needed_mb(model_folder: Path) -> int:
    """A rough QLoRA budget: 4-bit weights (a quarter of the 16-bit files) plus activations and optimiser."""
    weights = sum(p.stat().st_size for p in Path(model_folder).glob("*.safetensors"))
    return int(weights / 2**20 * 0.35) + 2_000
