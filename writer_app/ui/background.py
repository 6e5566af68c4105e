"""The one way the UI runs work off the GUI thread (after Anki's ``QueryOp``/``CollectionOp``).

Two pools, one contract: work runs on a worker thread, its result or error
comes back on the GUI thread, and a callback is dropped when the widget it
belongs to was destroyed meanwhile (``shiboken6.isValid``), so a dialog closed
during a slow job simply never hears back.

- :class:`DatabaseWorker` (the library pool, ``window.db``) runs ``op(library) -> result`` on one
  thread, in submission order: the :class:`~writer_app.storage.Library` is used
  from one thread at a time and saves land in the order they were asked for.
  Only work that touches the library belongs here; anything slow that does not
  (resolving or converting a model, a GPU check, a download) would make an
  autosave wait behind it.
- :class:`BackgroundPool` (``background.shared_pool()``, also
  ``window.background``) runs ``work(task) -> result`` for everything else, on
  a few daemon threads. ``task`` is a :class:`TaskContext`: the work checks
  ``task.cancelled`` (a ``threading.Event`` that :meth:`Task.cancel` sets) and
  calls ``task.report(...)``, which reaches ``on_progress`` on the GUI thread.
  Daemon threads, not a ``ThreadPoolExecutor`` (whose threads the interpreter
  joins at exit) nor a QThread (destroying a running one aborts the process):
  quitting never waits on torch's import or a download.

The inference client is not one of these: it talks to the model's own process.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Signal

if TYPE_CHECKING:
    from writer_app.storage import Library

log = logging.getLogger(__name__)

T = TypeVar("T")
FailureCallback = Callable[[BaseException], None]
BACKGROUND_WORKERS = 4


def _receivers_alive(owner: QObject | None, *callbacks: Callable[..., Any] | None) -> bool:
    """False when ``owner``, or the QObject a bound-method callback belongs to, was destroyed."""
    targets = [owner] if owner is not None else []
    targets += [getattr(c, "__self__", None) for c in callbacks]
    return all(shiboken6.isValid(t) for t in targets if isinstance(t, QObject))


class DatabaseWorker(QObject):
    """The library pool: runs ``op(library)`` on one thread, in order; callbacks come back on the GUI thread.

    ``submit`` returns the :class:`~concurrent.futures.Future` so that shutdown
    code (closing the window) can wait for the last save. ``pending`` counts
    operations whose callbacks have not run yet; ``drain`` waits for them.
    """

    _deliver = Signal(object)
    # Emitted on the GUI thread when an operation failed and had no on_error.
    failed = Signal(str)

    def __init__(self, library: Library, parent: QObject | None = None) -> None:
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
        op: Callable[[Library], T],
        on_done: Callable[[T], None] | None = None,
        on_error: FailureCallback | None = None,
        owner: QObject | None = None,
    ) -> Future[T]:
        """Queue ``op``; ``on_done``/``on_error`` run on the GUI thread unless ``owner`` is gone."""
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
                self._deliver.emit(lambda error=exc: self._fail(error, on_error, owner))
                raise
            self._deliver.emit(lambda: on_done(result) if on_done and _receivers_alive(owner, on_done) else None)
            return result

        return self._executor.submit(job)

    def run_sync(self, op: Callable[[Library], T]) -> T:
        """Run ``op`` on the worker and wait; only for startup and shutdown paths."""
        return self._executor.submit(op, self.library).result()

    def _fail(self, exc: BaseException, on_error: FailureCallback | None, owner: QObject | None) -> None:
        if on_error is not None:
            if _receivers_alive(owner, on_error):
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


class TaskContext:
    """What a background job sees of itself: whether it was cancelled, and a way to report progress."""

    def __init__(self, cancel_event: threading.Event, report: Callable[..., None]) -> None:
        self.cancel_event = cancel_event
        self._report = report

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def report(self, *args: Any) -> None:
        """Hand ``args`` to the job's ``on_progress``, on the GUI thread (nothing if it has none)."""
        self._report(*args)


class Task(Generic[T]):
    """A job queued on a :class:`BackgroundPool`: its future and its cancel switch."""

    def __init__(self, cancel_event: threading.Event) -> None:
        self.future: Future[T] = Future()
        self.cancel_event = cancel_event

    def cancel(self) -> None:
        """Ask the job to stop; it sees ``task.cancelled`` at its next check."""
        self.cancel_event.set()

    def is_alive(self) -> bool:
        """Queued or running (its callbacks may still be on their way)."""
        return not self.future.done()


class BackgroundPool(QObject):
    """A few daemon threads for work that does not touch the library (see the module docstring)."""

    # (callback, final): emitted on a worker thread, run on the GUI thread (queued: the pool lives there).
    _deliver = Signal(object)
    # Emitted on the GUI thread when a job failed and had no on_error.
    failed = Signal(str)

    def __init__(self, max_workers: int = BACKGROUND_WORKERS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.max_workers = max_workers
        self._deliver.connect(self._run_callback)
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle_changed = threading.Condition(self._lock)
        self._threads: list[threading.Thread] = []
        self._idle = 0  # threads waiting for a job
        self._queued = 0  # jobs no thread has taken yet
        self._running = 0  # jobs queued or running (drain waits for 0)
        self._pending = 0  # jobs whose callbacks have not run yet

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def run(
        self,
        work: Callable[[TaskContext], T],
        on_done: Callable[[T], None] | None = None,
        on_error: FailureCallback | None = None,
        on_progress: Callable[..., None] | None = None,
        owner: QObject | None = None,
        cancel_event: threading.Event | None = None,
    ) -> Task[T]:
        """Queue ``work(task)``; its result, error and progress arrive on the GUI thread.

        Nothing is delivered once ``owner`` (or the QObject a bound-method callback
        belongs to) has been destroyed. ``cancel_event`` lets a caller keep its own.
        """
        task: Task[T] = Task(cancel_event or threading.Event())

        def deliver(callback: Callable[..., None] | None, *args: Any, final: bool = False) -> None:
            def call() -> None:
                if callback is not None and _receivers_alive(owner, callback):
                    callback(*args)
            self._deliver.emit((call, final))

        context = TaskContext(task.cancel_event, lambda *args: deliver(on_progress, *args) if on_progress else None)

        def job() -> None:
            try:
                result = work(context)
            except BaseException as exc:  # noqa: BLE001 - delivered to the GUI thread, never lost
                task.future.set_exception(exc)
                if on_error is None:
                    self._deliver.emit((lambda error=exc: self._unhandled(error), True))
                else:
                    deliver(on_error, exc, final=True)
                return
            task.future.set_result(result)
            deliver(on_done, result, final=True)

        with self._lock:
            self._pending += 1
            self._running += 1
            self._queued += 1
            if self._queued > self._idle and len(self._threads) < self.max_workers:
                self._start_thread()
        self._jobs.put(job)
        return task

    def _start_thread(self) -> None:
        """Called with the lock held; the new thread counts as idle from now on."""
        thread = threading.Thread(target=self._work_loop, name=f"writer-task-{len(self._threads) + 1}",
                                  daemon=True)
        self._threads.append(thread)
        self._idle += 1
        thread.start()

    def _work_loop(self) -> None:
        while True:
            job = self._jobs.get()
            with self._lock:
                self._queued -= 1
                self._idle -= 1
            try:
                job()
            finally:
                # Drop the job here and now: a widget's last reference released later on this
                # thread would run ~QObject off the GUI thread (see ui/main_thread_gc).
                del job
                with self._lock:
                    self._idle += 1
                    self._running -= 1
                    self._idle_changed.notify_all()

    def _unhandled(self, exc: BaseException) -> None:
        log.error("background job failed: %s", exc, exc_info=exc)
        self.failed.emit(str(exc))

    def _run_callback(self, item: tuple[Callable[[], None], bool]) -> None:
        callback, final = item
        if final:
            with self._lock:
                self._pending -= 1
        callback()

    def drain(self, timeout: float | None = 30.0) -> None:
        """Wait until no job is queued or running, then run their callbacks (tests, shutdown)."""
        with self._lock:
            if not self._idle_changed.wait_for(lambda: self._running == 0, timeout):
                raise TimeoutError("background jobs still running")
        QCoreApplication.processEvents()


_shared: BackgroundPool | None = None


def shared_pool() -> BackgroundPool:
    """The application's background pool (made on first use; it lives in the GUI thread)."""
    global _shared
    if _shared is None or not shiboken6.isValid(_shared):
        app = QCoreApplication.instance()
        if app is None:
            raise RuntimeError("the background pool needs a QApplication")
        pool = BackgroundPool()
        pool.moveToThread(app.thread())
        pool.setParent(app)  # lives as long as the application
        _shared = pool
    return _shared


def run_in_background(work: Callable[[TaskContext], T], on_done: Callable[[T], None] | None = None,
                      on_error: FailureCallback | None = None, on_progress: Callable[..., None] | None = None,
                      owner: QObject | None = None, cancel_event: threading.Event | None = None) -> Task[T]:
    """``shared_pool().run(...)``: for code that has no window at hand (dialogs, scripts)."""
    return shared_pool().run(work, on_done, on_error, on_progress, owner, cancel_event)
