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
import sys
from pathlib import Path
from typing import Any

Event = dict[str, Any]
KILL_AFTER_S = 60.0  # how long a trainer asked to stop may take to checkpoint before it is killed


def trainer_command(job_path: Path) -> list[str]:
    """The trainer process's command line (same interpreter as the app)."""
    return [sys.executable, "-m", "writer_app.training", str(job_path)]


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


def stop_process(process: subprocess.Popen[Any], kill_after_s: float = KILL_AFTER_S) -> int:
    """SIGTERM, then SIGKILL when the trainer is still running ``kill_after_s`` later; its exit code."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=kill_after_s)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
