"""One database worker thread for the whole window (the Anki ``CollectionOp`` idea).

Every operation that touches the :class:`~writer_app.storage.Library` is a
plain function ``op(library) -> result`` submitted here. A single-worker
executor runs them one after another, so the Library is only ever used from
one thread at a time and saves land in the order they were asked for. The
success and failure callbacks are delivered back on the GUI thread through a
queued Qt signal, so they may touch widgets freely; the GUI never waits on
SQLite.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Signal

log = logging.getLogger(__name__)

T = TypeVar("T")
SuccessCallback = Callable[[Any], None]
FailureCallback = Callable[[BaseException], None]


class DatabaseWorker(QObject):
    """Runs ``op(library)`` off the GUI thread; callbacks come back on the GUI thread.

    ``submit`` returns the :class:`~concurrent.futures.Future` so that shutdown
    code (closing the window) can wait for the last save.
    """

    _deliver = Signal(object)
    # Emitted on the GUI thread when an operation failed and had no on_error.
    failed = Signal(str)

    def __init__(self, library: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer-db")
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False
        self._deliver.connect(self._run_callback)

    @property
    def pending(self) -> int:
        """Operations submitted whose callbacks have not run yet."""
        with self._lock:
            return self._pending

    def submit(
        self,
        op: Callable[[Any], T],
        on_done: Callable[[T], None] | None = None,
        on_error: FailureCallback | None = None,
    ) -> Future[T]:
        if self._closed:  # the window is closing; its last save already ran in close()
            log.debug("operation submitted after close; ignored")
            late: Future[T] = Future()
            late.set_exception(RuntimeError("the database worker is closed"))
            return late
        with self._lock:
            self._pending += 1

        def job() -> T:
            try:
                result = op(self.library)
            except BaseException as exc:  # delivered to the GUI thread, never lost
                self._deliver.emit(lambda error=exc: self._fail(error, on_error))
                raise
            self._deliver.emit(lambda: on_done(result) if on_done else None)
            return result

        return self._executor.submit(job)

    def run_sync(self, op: Callable[[Any], T]) -> T:
        """Run ``op`` on the worker and wait; only for startup and shutdown paths."""
        return self._executor.submit(op, self.library).result()

    def _fail(self, exc: BaseException, on_error: FailureCallback | None) -> None:
        if on_error is not None:
            on_error(exc)
            return
        log.error("database operation failed: %s", exc, exc_info=exc)
        self.failed.emit(str(exc))

    def _run_callback(self, callback: Callable[[], None]) -> None:
        with self._lock:
            self._pending -= 1
        callback()

    def drain(self, timeout: float | None = 30.0) -> None:
        """Wait for queued operations, then run their callbacks (shutdown, tests)."""
        marker = self._executor.submit(lambda: None)
        marker.result(timeout=timeout)
        QCoreApplication.processEvents()

    def close(self) -> None:
        """Finish every queued operation (the last save included), then stop the thread."""
        if self._closed:
            return
        self._closed = True
        self._executor.shutdown(wait=True)
        QCoreApplication.processEvents()
