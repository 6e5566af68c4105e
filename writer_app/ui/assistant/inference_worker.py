"""The one owner of the loaded model: a QObject living in its own QThread.

Modelled on GPT4All's desktop app: requests go in through queued signals,
tokens and results come out through signals, and the GUI thread never calls,
loads or waits for the model. A request carries a *job*, a plain function
``job(runtime, cancel)`` built on the GUI thread from copies of the text (never
widgets); it runs here, in the worker thread. A ``"stream"`` job returns an
iterator of text pieces, a ``"call"`` job returns any result (a summary, a list
of suggestions).

Cancellation does not travel through the event queue (which is blocked while
a generation runs): each request owns a ``threading.Event`` that the GUI
thread sets directly, and the model runtime checks it between tokens.
"""

from __future__ import annotations

import atexit
import gc
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from writer_app.errors import UserError

log = logging.getLogger(__name__)

Job = Callable[[Any, threading.Event], Any]

UNLOADED_MESSAGE = ("The model is not loaded (it was unloaded, e.g. to make room for training). "
                    "Reload it with Assistant ▸ Reload the model.")
SHUTDOWN_WAIT_MS = 2000

# Inference threads still finishing a load when their window closed. A load (or a GGUF
# conversion) cannot be interrupted, so the window does not wait for it; the thread is kept
# referenced here, because destroying a running QThread aborts the process, and waited for
# when the interpreter exits.
_finishing_threads: list[tuple[QThread, QObject]] = []


def _wait_for_finishing_threads() -> None:
    for thread, _worker in _finishing_threads:
        thread.wait()
    _finishing_threads.clear()


atexit.register(_wait_for_finishing_threads)


@dataclass(frozen=True)
class ModelConfig:
    """What to load: a snapshot of the relevant settings, safe to send across threads."""

    model: str
    model_cache: Path
    device: str = "auto"
    quantization: str = "auto"
    allow_pickle: bool = False
    trust_remote_code: bool = False
    adapter_path: str = ""  # folder of the active LoRA adapter, "" for none
    adapter_name: str = ""


@dataclass
class InferenceRequest:
    request_id: int
    kind: str  # "stream" or "call"
    job: Job
    cancel: threading.Event = field(default_factory=threading.Event)


def inference_threads() -> int:
    """CPU threads for the model: all cores but one, which stays free for the GUI thread.

    On a small machine the difference is large: with two cores shared with
    other work, two torch threads decoded at ~1 token/s and one at ~9.
    """
    return max(1, (os.cpu_count() or 2) - 1)


def _default_loader(config: ModelConfig, progress: Callable[[float, str], None]) -> Any:
    from writer_app.llm import runtime as runtime_module
    from writer_app.llm.runtime import ModelRuntime

    set_threads = getattr(runtime_module, "set_cpu_threads", None)
    if set_threads is not None:  # offered by the llm layer (the only one allowed to touch torch)
        set_threads(inference_threads())

    return ModelRuntime.load(
        config.model,
        config.model_cache,
        device=config.device,
        quantization=config.quantization,
        allow_pickle=config.allow_pickle,
        trust_remote_code=config.trust_remote_code,
        progress=progress,
    )


def _describe(runtime: Any, config: ModelConfig) -> dict[str, Any]:
    info = getattr(runtime, "info", None)
    described: dict[str, Any] = {"adapter": config.adapter_name, "setting": config.model}
    for key in ("name", "device", "dtype", "quantization", "memory_bytes", "context_window"):
        value = getattr(info, key, None)
        described[key] = str(value) if key in ("dtype",) and value is not None else value
    described["name"] = described.get("name") or config.model
    return described


class InferenceWorker(QObject):
    """Lives in the inference thread; every slot here runs there."""

    tokenProduced = Signal(int, str)  # request_id, text piece
    finished = Signal(int, object, object)  # request_id, result (full text for streams), stats dict
    failed = Signal(int, str)  # request_id, message for the author
    loadProgress = Signal(float, str)
    modelLoaded = Signal(object)  # info dict
    loadFailed = Signal(str)
    unloaded = Signal()

    def __init__(self, loader: Callable[[ModelConfig, Callable[[float, str], None]], Any] | None = None):
        super().__init__()
        self._loader = loader or _default_loader
        self._runtime: Any = None
        self._load_error = "The model has not been loaded yet."
        # Set by the GUI thread when the window closes: a load not yet started is skipped, and
        # one that fails because the interpreter is exiting under it is not reported as a bug.
        self.closing = threading.Event()

    def _release(self) -> None:
        runtime, self._runtime = self._runtime, None
        close = getattr(runtime, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001 - freeing memory must not stop the next load
                log.exception("closing the previous model failed")
        gc.collect()

    @Slot(object)
    def load(self, config: ModelConfig) -> None:
        """Unload whatever is loaded, then load ``config`` (and its adapter)."""
        self._release()
        if self.closing.is_set():
            return
        try:
            runtime = self._loader(config, lambda fraction, message: self.loadProgress.emit(fraction, message))
            if config.adapter_path:
                self.loadProgress.emit(0.95, f"Attaching the adapter “{config.adapter_name}”…")
                runtime.attach_adapter(config.adapter_path)
        except UserError as exc:
            self._load_error = str(exc)
            self.loadFailed.emit(str(exc))
            return
        except Exception as exc:  # a broken model folder must not take the editor down
            if self.closing.is_set():
                log.info("model load abandoned while the app closed: %s", exc)
                return
            log.exception("model load failed")
            self._load_error = f"The model could not be loaded: {exc}"
            self.loadFailed.emit(self._load_error)
            return
        self._runtime = runtime
        self.loadProgress.emit(1.0, "Model ready")
        self.modelLoaded.emit(_describe(runtime, config))

    @Slot(object)
    def run(self, request: InferenceRequest) -> None:
        if request.cancel.is_set():
            self.failed.emit(request.request_id, "Cancelled.")
            return
        if self._runtime is None:
            self.failed.emit(request.request_id, self._load_error)
            return
        started = time.perf_counter()
        pieces: list[str] = []
        try:
            if request.kind == "stream":
                for piece in request.job(self._runtime, request.cancel):
                    if request.cancel.is_set():
                        break
                    if piece:
                        pieces.append(piece)
                        self.tokenProduced.emit(request.request_id, piece)
                result: Any = "".join(pieces)
            else:
                result = request.job(self._runtime, request.cancel)
        except UserError as exc:
            self.failed.emit(request.request_id, str(exc))
            return
        except Exception as exc:
            log.exception("generation failed")
            self.failed.emit(request.request_id, f"The model failed: {exc}")
            return
        elapsed = time.perf_counter() - started
        rate = getattr(self._runtime, "last_tokens_per_second", None)
        stats = {
            "seconds": elapsed,
            "pieces": len(pieces),
            "tokens_per_second": float(rate) if rate else (len(pieces) / elapsed if elapsed > 0 else 0.0),
            "cancelled": request.cancel.is_set(),
        }
        self.finished.emit(request.request_id, result, stats)

    @Slot()
    def unload(self) -> None:
        """Free the model (for training on the same GPU); requests then fail with a clear message."""
        self._release()
        self._load_error = UNLOADED_MESSAGE
        self.unloaded.emit()

    @Slot()
    def finish(self) -> None:
        """Last request of all: free the model, then end this thread's event loop."""
        self._release()
        QThread.currentThread().quit()


class InferenceClient(QObject):
    """The GUI-thread face of the worker: owns the thread, hands out request ids.

    Re-emits the worker's signals (already queued back onto the GUI thread),
    so widgets connect here and never touch the worker object.
    """

    _loadRequested = Signal(object)
    _runRequested = Signal(object)
    _unloadRequested = Signal()
    _finishRequested = Signal()

    tokenProduced = Signal(int, str)
    finished = Signal(int, object, object)
    failed = Signal(int, str)
    loadProgress = Signal(float, str)
    modelLoaded = Signal(object)
    loadFailed = Signal(str)
    unloaded = Signal()
    busyChanged = Signal(bool)  # whether any request is queued or running

    def __init__(self, parent: QObject | None = None, loader=None):
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending: dict[int, InferenceRequest] = {}
        self.model_info: dict[str, Any] | None = None
        self.load_error: str | None = None
        self.loading = False
        self.shut_down = False
        self._thread = QThread()
        self._thread.setObjectName("inferenceThread")
        self._worker = InferenceWorker(loader)
        self._worker.moveToThread(self._thread)
        self._thread.finished.connect(self._worker.deleteLater)
        self._loadRequested.connect(self._worker.load)
        self._runRequested.connect(self._worker.run)
        self._unloadRequested.connect(self._worker.unload)
        self._finishRequested.connect(self._worker.finish)
        self._worker.unloaded.connect(self._on_unloaded)
        self._worker.tokenProduced.connect(self.tokenProduced)
        self._worker.finished.connect(self._on_finished)
        self._worker.failed.connect(self._on_failed)
        self._worker.loadProgress.connect(self.loadProgress)
        self._worker.modelLoaded.connect(self._on_loaded)
        self._worker.loadFailed.connect(self._on_load_failed)
        self._thread.start()

    # -- requests -------------------------------------------------------
    def load(self, config: ModelConfig) -> None:
        """Ask the worker to (re)load; returns at once."""
        self.loading = True
        self.load_error = None
        self._loadRequested.emit(config)

    def unload(self) -> None:
        """Ask the worker to free the model (after whatever it is doing); returns at once."""
        self.loading = False
        self.model_info = None
        self.load_error = UNLOADED_MESSAGE
        self._unloadRequested.emit()

    def submit(self, job: Job, kind: str = "stream") -> int:
        request = InferenceRequest(next(self._ids), kind, job)
        self._pending[request.request_id] = request
        if len(self._pending) == 1:
            self.busyChanged.emit(True)
        self._runRequested.emit(request)
        return request.request_id

    def cancel(self, request_id: int | None = None) -> None:
        """Stop one request (or all): reaches the worker at once, not via the queue."""
        targets = [request_id] if request_id is not None else list(self._pending)
        for rid in targets:
            request = self._pending.get(rid)
            if request is not None:
                request.cancel.set()

    def is_running(self, request_id: int) -> bool:
        return request_id in self._pending

    def shutdown(self, timeout_ms: int = SHUTDOWN_WAIT_MS) -> bool:
        """Stop everything and end the thread (when the window closes); True if it ended in time.

        A generation stops within a token step. A load cannot be interrupted, so after
        ``timeout_ms`` the thread is left to finish on its own (see ``_finishing_threads``)
        rather than keeping a closed window on screen.
        """
        if self.shut_down:  # a second call (window destroyed, then the app quitting)
            try:
                return self._thread.isFinished()
            except RuntimeError:  # Qt already deleted the finished thread object at exit
                return True
        self.shut_down = True
        self._worker.closing.set()
        self.cancel()
        self._finishRequested.emit()  # queued behind the cancelled requests, so they end first
        if self._thread.wait(timeout_ms):
            return True
        log.warning("inference thread still busy (loading?) after %d ms; letting it finish", timeout_ms)
        _finishing_threads[:] = [(t, w) for t, w in _finishing_threads if not t.isFinished()]
        _finishing_threads.append((self._thread, self._worker))
        return False

    # -- worker signals (GUI thread) ------------------------------------
    @property
    def busy(self) -> bool:
        return bool(self._pending)

    def _done(self, request_id: int) -> None:
        if self._pending.pop(request_id, None) is not None and not self._pending:
            self.busyChanged.emit(False)

    def _on_finished(self, request_id: int, result: object, stats: object) -> None:
        self._done(request_id)
        self.finished.emit(request_id, result, stats)

    def _on_failed(self, request_id: int, message: str) -> None:
        self._done(request_id)
        self.failed.emit(request_id, message)

    def _on_loaded(self, info: object) -> None:
        self.loading = False
        self.model_info = info  # type: ignore[assignment]
        self.modelLoaded.emit(info)

    def _on_unloaded(self) -> None:
        self.loading = False
        self.model_info = None
        self.load_error = UNLOADED_MESSAGE
        self.unloaded.emit()

    def _on_load_failed(self, message: str) -> None:
        self.loading = False
        self.model_info = None
        self.load_error = message
        self.loadFailed.emit(message)

