"""The trainer's protocol as the app sees it: its command line, its JSON-lines events, how it is stopped.

The trainer process (``python -m writer_app.training JOB.json``, see
``training.__main__``) prints one JSON object per line on stdout and nothing
else. Two readers follow it: the CLI (``runs.run_trainer``, a pipe read line
by line) and the Trainer tab (``ui.trainer_process``, a QProcess whose bytes
arrive in arbitrary pieces on the GUI thread). Both parse lines here, so a
line that is not an event (half a line from a killed trainer, stray output)
is skipped the same way in both.

Stopping is the same policy in both too: SIGTERM first (the trainer finishes
its step, writes a checkpoint and exits with 130, so the run can resume),
then a kill if it is still there ``KILL_AFTER_S`` later (a step stuck in
native code, a hung GPU driver). No Qt and no torch here: the UI imports it.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

Event = dict[str, Any]
KILL_AFTER_S = 60.0  # how long a trainer asked to stop may take to checkpoint before it is killed


def trainer_command(job_path: Path) -> list[str]:
    """The trainer's command line (same interpreter as the app): one process, or the
    ``accelerate launch`` group the job asks for (``training.launch``)."""
    from writer_app.training.launch import trainer_command as command

    return command(job_path)


def parse_event(line: str | bytes) -> Event | None:
    """The event on one stdout line, or None for a line that is not a JSON object."""
    try:
        event = json.loads(line)
    except ValueError:  # not JSON, or bytes that are not UTF-8 (UnicodeDecodeError is a ValueError)
        return None
    return event if isinstance(event, dict) else None


class EventReader:
    """Bytes as they arrive -> the complete events among them; a partial line waits for its end."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[Event]:
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        return [event for event in map(parse_event, lines) if event is not None]


def signal_trainer(process: subprocess.Popen[Any], signum: int) -> None:
    """Send ``signum`` to the trainer: to its whole process group when it leads one.

    A trainer of several processes (``training.launch``) is started as the leader of a
    group of its own: the launcher and its workers. Each worker then hears a
    SIGTERM itself (and stops at the same step as the others, ``training.multiprocess``),
    and a SIGKILL leaves no worker behind training on alone.
    """
    import os

    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signum)
            return
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.send_signal(signum)
    except ProcessLookupError:
        pass


def stop_process(process: subprocess.Popen[Any], kill_after_s: float = KILL_AFTER_S) -> int:
    """SIGTERM, then SIGKILL when the trainer is still running ``kill_after_s`` later; its exit code."""
    signal_trainer(process, signal.SIGTERM)
    try:
        return process.wait(timeout=kill_after_s)
    except subprocess.TimeoutExpired:
        signal_trainer(process, signal.SIGKILL)
        return process.wait()
