"""The editor's handle on its model host process (``python -m writer_app.llm.host``).

Plain Python, no Qt, so the CLI or a script could drive a host too; the UI
wraps it in ``ui.assistant.inference_worker.InferenceClient``.

Nothing here blocks the caller on the host: messages are pickled by the
caller and written by a writer thread (a large job cannot stall the GUI thread
on a full pipe), and a reader thread, blocked on the pipe with the GIL
released, hands each message to ``on_message``. When the stream ends (the
host exited, crashed or was killed) the reader reaps the process and calls
``on_exit(returncode)`` once.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from writer_app.llm.host_protocol import ProtocolError, dumps, loads, read_frame, write_frame

log = logging.getLogger(__name__)

TERMINATE_AFTER_S = 1.5  # after stop() returned, how long a host may still take to exit by itself
KILL_AFTER_S = 2.0  # after a terminate, how long a host may take before it is killed
_live: weakref.WeakSet[HostProcess] = weakref.WeakSet()


def host_command() -> list[str]:
    """The host's command line: the same interpreter (or the bundle's launcher) as the editor."""
    return [sys.executable, "-m", "writer_app.llm.host", "--parent", str(os.getpid())]


def child_environment() -> dict[str, str]:
    """The environment for a writer_app child process (the host, an isolated call)."""
    env = dict(os.environ)
    if not getattr(sys, "frozen", False):
        # The very writer_app this process runs (a checkout first on sys.path, not an installed copy).
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def describe_exit(returncode: int | None) -> str:
    """How the host ended, for the author: "exit code 1", "killed by SIGKILL"."""
    if returncode is None:
        return "no exit status"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}" + (", perhaps out of memory" if name == "SIGKILL" else "")
    return f"exit code {returncode}"


class HostProcess:
    def __init__(self, on_message: Callable[[tuple], None], on_exit: Callable[[int | None], None]) -> None:
        self._on_message = on_message
        self._on_exit = on_exit
        self._process: subprocess.Popen[bytes] | None = None
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self.stopping = False  # True once the editor asked the host to go (not a crash)

    # -- life --------------------------------------------------------------------------
    def start(self) -> None:
        """Start the host (milliseconds: it imports torch later, when told to load); raises OSError."""
        self._process = subprocess.Popen(
            host_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_environment(),
            start_new_session=True,  # a Ctrl+C in the editor's terminal is the editor's to handle
        )
        _live.add(self)
        threading.Thread(target=self._write_loop, name="model-host-writer", daemon=True).start()
        threading.Thread(target=self._read_loop, name="model-host-reader", daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def send(self, *message: Any) -> None:
        """Queue a message for the host (pickled here, so an unpicklable one fails in the caller)."""
        self._outbox.put(dumps(message))

    def stop(self, timeout: float = 0.5) -> bool:
        """Ask the host to exit and close its stdin; True if it ended within ``timeout`` seconds.

        A host still running after that (a load deep inside native code) gets
        ``TERMINATE_AFTER_S`` more to exit by itself (it abandons a load after 1 s),
        then SIGTERM, then SIGKILL ``KILL_AFTER_S`` later, all from a background
        thread: the caller never waits longer than ``timeout``.
        """
        self.stopping = True
        process = self._process
        if process is None:
            return True
        self._outbox.put(dumps(("exit",)))
        self._outbox.put(None)
        try:
            process.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            pass
        threading.Thread(target=self._terminate, name="model-host-reaper", daemon=True).start()
        return False

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()

    def _terminate(self) -> None:
        process = self._process
        if process is None:
            return
        try:
            process.wait(TERMINATE_AFTER_S)
            return
        except subprocess.TimeoutExpired:
            pass
        try:
            process.terminate()
            process.wait(KILL_AFTER_S)
        except subprocess.TimeoutExpired:
            log.warning("model host %s ignored SIGTERM; killing it", process.pid)
            process.kill()
        except OSError:
            pass

    # -- threads -------------------------------------------------------------------------
    def _write_loop(self) -> None:
        assert self._process is not None and self._process.stdin is not None
        fd = self._process.stdin.fileno()
        while True:
            payload = self._outbox.get()
            if payload is None:
                break
            try:
                write_frame(fd, payload)
            except OSError:  # the host is gone; the reader reports how it ended
                break
        try:
            self._process.stdin.close()
        except OSError:
            pass

    def _read_loop(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        try:
            while True:
                frame = read_frame(fd)
                if frame is None:
                    break
                self._on_message(loads(frame))
        except (OSError, ProtocolError) as exc:
            log.error("model host %s sent an unreadable message (%s); stopping it", self._process.pid, exc)
            self._process.kill()
        finally:
            self._outbox.put(None)  # let the writer close the host's stdin
            try:
                returncode: int | None = self._process.wait(KILL_AFTER_S * 2)
            except subprocess.TimeoutExpired:  # it closed stdout but lives on: it is no use now
                self._process.kill()
                returncode = self._process.wait()
            self._process.stdout.close()
            _live.discard(self)
            self._on_exit(returncode)


@atexit.register
def _stop_leftover_hosts() -> None:
    """At the editor's exit, no host outlives it (they also exit on their own when stdin closes)."""
    for host in list(_live):
        if not host.stop(timeout=0.5):
            host.kill()
