"""The editor's face of the model: an ``InferenceClient`` that talks to the model host process.

The model lives in its own process (``python -m writer_app.llm.host``, see
``writer_app.llm.host``): importing torch, converting and building the model
hold the GIL for long stretches, and in this process they made every start
stutter. The GUI process never imports torch; it sends requests down a pipe
and turns what comes back into Qt signals, delivered on the GUI thread
(GPT4All's pattern, with a process instead of a thread: messages in, messages
out, one owner of the model).

A request carries a *job*: ``job(runtime, cancel)``, a module-level function
bound with ``functools.partial`` to plain copies of the text (see
``ui.assistant.jobs`` and ``llm.jobs``), pickled here and run in the host. A
``"stream"`` job yields text pieces, a ``"call"`` job returns any picklable
result.

Cancelling is a control message that the host's listener thread turns into
the request's ``threading.Event`` at once, so it reaches the generation
between two tokens; pieces already on their way are dropped here, so the
author sees nothing after Esc. If the host crashes or is killed, pending
requests fail once with "The model process stopped…", the status says so,
and Assistant ▸ Reload the model starts a new host.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from writer_app.llm.engine import ServerConfig
from writer_app.llm.host_client import HostProcess, describe_exit
from writer_app.llm.host_protocol import ModelConfig, ProtocolError, dumps, loads

if TYPE_CHECKING:
    from writer_app.ui.assistant.jobs import Job

__all__ = ["InferenceClient", "ModelConfig", "UNLOADED_MESSAGE", "NOT_LOADED_MESSAGE"]

log = logging.getLogger(__name__)

UNLOADED_MESSAGE = ("The model is not loaded (it was unloaded, e.g. to make room for training). "
                    "Reload it with Assistant ▸ Reload the model.")
NOT_LOADED_MESSAGE = "The model has not been loaded yet."
SHUTDOWN_WAIT_MS = 500  # the window closes in well under a second; a slower host is terminated


def stopped_message(returncode: int | None) -> str:
    return (f"The model process stopped unexpectedly ({describe_exit(returncode)}); your text is safe. "
            "Reload it with Assistant ▸ Reload the model.")


@dataclass
class _Request:
    kind: str  # "stream" or "call"
    host: int  # the host generation it was sent to (0: none)
    cancelled: bool = False
    pieces: list[str] = field(default_factory=list)  # what the author has been shown


class _Relay(QObject):
    """Carries the host's messages from the reader thread to the GUI thread (queued signals).

    It has no parent, so a reader thread that outlives the client emits into
    nothing rather than into a deleted object.
    """

    message = Signal(int, object)  # host generation, message tuple
    exited = Signal(int, object)  # host generation, return code


def _emit(signal: SignalInstance, *args: object) -> None:
    try:
        signal.emit(*args)
    except RuntimeError:  # the relay is gone (the app is exiting): nobody is listening
        pass


class InferenceClient(QObject):
    """Owns the model host process, hands out request ids, re-emits what the host says."""

    tokenProduced = Signal(int, str)  # request_id, text piece
    finished = Signal(int, object, object)  # request_id, result (full text for streams), stats dict
    failed = Signal(int, str)  # request_id, message for the author
    loadProgress = Signal(float, str)
    modelLoaded = Signal(object)  # info dict
    loadFailed = Signal(str)
    unloaded = Signal()
    busyChanged = Signal(bool)  # whether any request is queued or running

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending: dict[int, _Request] = {}
        self.model_info: dict[str, object] | None = None  # what the host said about the loaded model
        self.load_error: str | None = None
        self.loading = False
        self.shut_down = False
        self._host: HostProcess | None = None
        self._generation = 0  # of the current host; each (re)start gets a new one
        self._unloading: set[int] = set()  # generations asked to exit by unload()
        self._relay = _Relay()
        self._relay.message.connect(self._on_message)
        self._relay.exited.connect(self._on_exit)

    # -- the host process -----------------------------------------------------------------
    @property
    def host_pid(self) -> int | None:
        """The model host's process id while one runs (tests, diagnostics)."""
        return self._host.pid if self._host is not None else None

    @property
    def host_running(self) -> bool:
        return self._host is not None and self._host.running

    def _ensure_host(self) -> HostProcess | None:
        if self._host is not None and self._host.running:
            return self._host
        # None yet, or one that died a moment ago (its exit, still queued, then fails what it held).
        self._generation += 1
        generation, relay = self._generation, self._relay
        host = HostProcess(lambda message: _emit(relay.message, generation, message),
                           lambda code: _emit(relay.exited, generation, code))
        try:
            host.start()
        except OSError as exc:
            message = f"The model process could not be started: {exc}"
            self._later(lambda: self._on_message(generation, ("load_failed", message)))
            return None
        self._host = host
        return host

    def _later(self, function: Callable[[], None]) -> None:
        """Run on the GUI thread after the caller returns (signals never fire inside a request call)."""
        QTimer.singleShot(0, self, function)

    # -- requests -------------------------------------------------------------------------
    def load(self, config: ModelConfig | ServerConfig) -> None:
        """Ask the host to (re)load (a model, or a server to write through), starting one if needed; returns at once."""
        if self.shut_down:
            return
        self.loading = True
        self.load_error = None
        host = self._ensure_host()
        if host is not None:
            host.send("load", config)

    def unload(self) -> None:
        """Free the model: the host process exits (all its memory, GPU included, goes back).

        Returns at once; ``unloaded`` follows when the process has ended. Requests then
        fail with :data:`UNLOADED_MESSAGE` until the next :meth:`load`.
        """
        self.loading = False
        self.model_info = None
        self.load_error = UNLOADED_MESSAGE
        self.cancel()
        host, self._host = self._host, None
        if host is None:
            self._later(self.unloaded.emit)
            return
        self._unloading.add(self._generation)
        host.stop(timeout=0)

    def submit(self, job: Job, kind: str = "stream") -> int:
        """Queue ``job`` for the host; returns its request id at once.

        Raises TypeError for a job that cannot be pickled (a closure or a lambda):
        build jobs with ``functools.partial`` over a module-level function.
        """
        try:
            payload = dumps(job)
        except Exception as exc:  # noqa: BLE001 - pickle raises several types for the same mistake
            raise TypeError(f"an inference job must be picklable (functools.partial of a module-level "
                            f"function over plain data): {exc}") from exc
        request_id = next(self._ids)
        host = None if self.shut_down else self._host
        self._pending[request_id] = _Request(kind, self._generation if host is not None else 0)
        if len(self._pending) == 1:
            self.busyChanged.emit(True)
        if host is None:
            message = self.load_error or NOT_LOADED_MESSAGE
            self._later(lambda: self._fail(request_id, message))
        else:
            host.send("run", request_id, kind, payload)
        return request_id

    def cancel(self, request_id: int | None = None) -> None:
        """Stop one request (or all): the host sets its Event at once; nothing more is shown."""
        targets = [request_id] if request_id is not None else list(self._pending)
        for rid in targets:
            request = self._pending.get(rid)
            if request is None or request.cancelled:
                continue
            request.cancelled = True
            if self._host is not None and request.host == self._generation:
                self._host.send("cancel", rid)

    def is_running(self, request_id: int) -> bool:
        return request_id in self._pending

    def shutdown(self, timeout_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        """Stop everything and end the host (the window closes); True if it ended in time.

        Waits at most ``timeout_ms``: a host still busy then (a load inside native
        code) is terminated, then killed, in the background. It would exit by
        itself anyway once its stdin closes, and on Linux when this process dies.
        """
        if self.shut_down:
            return not self.host_running
        self.shut_down = True
        self.cancel()
        host, self._host = self._host, None
        if host is None:
            return True
        return host.stop(timeout=timeout_ms / 1000)

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    # -- what the host says (GUI thread) --------------------------------------------------------
    def _done(self, request_id: int) -> _Request | None:
        request = self._pending.pop(request_id, None)
        if request is not None and not self._pending:
            self.busyChanged.emit(False)
        return request

    def _fail(self, request_id: int, message: str) -> None:
        if self._done(request_id) is not None:
            self.failed.emit(request_id, message)

    def _on_message(self, generation: int, message: tuple) -> None:
        if self.shut_down:
            return
        op = message[0]
        if op == "token":
            request = self._pending.get(message[1])
            if request is not None and not request.cancelled:
                request.pieces.append(message[2])
                self.tokenProduced.emit(message[1], message[2])
        elif op == "finished":
            self._on_finished(message[1], message[2], message[3])
        elif op == "failed":
            self._fail(message[1], message[2])
        elif generation != self._generation or self._host is None and op != "load_failed":
            return  # a replaced host's load news is stale
        elif op == "progress":
            self.loadProgress.emit(message[1], message[2])
        elif op == "loaded":
            self.loading = False
            self.model_info = message[1]
            self.modelLoaded.emit(message[1])
        elif op == "load_failed":
            self.loading = False
            self.model_info = None
            self.load_error = message[1]
            self.loadFailed.emit(message[1])

    def _on_finished(self, request_id: int, packed: bytes, stats: dict) -> None:
        request = self._pending.get(request_id)
        if request is None:
            return
        try:
            result = loads(packed)
        except ProtocolError as exc:
            log.error("the model host's answer to request %d was refused: %s", request_id, exc)
            self._fail(request_id, f"The assistant's answer could not be read ({exc}).")
            return
        if request.cancelled:
            stats = {**stats, "cancelled": True}
            if request.kind == "stream":
                result = "".join(request.pieces)  # exactly what the author saw before Esc
        self._done(request_id)
        self.finished.emit(request_id, result, stats)

    def _on_exit(self, generation: int, returncode: object) -> None:
        if self.shut_down:
            return
        code = returncode if isinstance(returncode, int) else None
        leftovers = [rid for rid, request in self._pending.items() if request.host == generation]
        if generation in self._unloading:
            self._unloading.discard(generation)
            for rid in leftovers:
                self._fail(rid, UNLOADED_MESSAGE)
            self.unloaded.emit()
            return
        log.error("the model host stopped unexpectedly (%s)", describe_exit(code))
        message = stopped_message(code)
        for rid in leftovers:
            self._fail(rid, message)
        if generation != self._generation or self._host is None:
            return  # an older host, already replaced: the current one is fine
        self._host = None
        self.loading = False
        self.model_info = None
        self.load_error = message
        self.loadFailed.emit(message)
