"""The background pool: off the GUI thread, results, errors and progress back on it, cancel, no dead receivers."""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QLabel

from writer_app.storage import Library
from writer_app.ui.background import BackgroundPool, DatabaseWorker, shared_pool


def test_work_runs_off_the_gui_thread_and_reports_on_it(qtbot):
    pool = BackgroundPool()
    gui = QThread.currentThread()
    seen: list[tuple[str, object, bool]] = []
    ran_on: list[str] = []

    def work(task):
        ran_on.append(threading.current_thread().name)
        for step in range(3):
            task.report(step / 3, f"step {step}")
        return "done"

    task = pool.run(work, lambda result: seen.append(("done", result, QThread.currentThread() is gui)),
                    on_progress=lambda fraction, message: seen.append((message, fraction,
                                                                       QThread.currentThread() is gui)))
    qtbot.waitUntil(lambda: pool.pending == 0)
    assert [entry[0] for entry in seen] == ["step 0", "step 1", "step 2", "done"]  # progress first, in order
    assert seen[-1][1] == "done" and all(on_gui for *_, on_gui in seen)
    assert ran_on and ran_on[0] != threading.main_thread().name
    assert not task.is_alive() and task.future.result() == "done"


def test_cancel_reaches_the_work_and_its_error_reaches_on_error(qtbot):
    pool = BackgroundPool()
    started = threading.Event()
    errors: list[str] = []

    def work(task):
        started.set()
        task.cancel_event.wait(30)
        if task.cancelled:
            raise RuntimeError("stopped as asked")
        return "not cancelled"

    task = pool.run(work, on_error=lambda exc: errors.append(str(exc)))
    assert started.wait(10) and task.is_alive()
    task.cancel()
    qtbot.waitUntil(lambda: errors == ["stopped as asked"])


def test_an_unhandled_error_is_reported_once(qtbot):
    pool = BackgroundPool()
    with qtbot.waitSignal(pool.failed, timeout=5000) as blocker:
        pool.run(lambda _task: {}["missing"])
    assert "missing" in blocker.args[0]


def test_a_widget_destroyed_before_the_result_hears_nothing(qtbot):
    """A dialog closed while its job runs: the late result must not touch the deleted widget."""
    pool = BackgroundPool()
    label = QLabel("waiting")
    gate = threading.Event()
    heard: list[str] = []
    pool.run(lambda _task: gate.wait(10) and "late", label.setText)  # a bound method of the widget
    owner = QObject()
    pool.run(lambda _task: gate.wait(10) and "late", heard.append, owner=owner)
    shiboken6.delete(label)
    shiboken6.delete(owner)
    gate.set()
    pool.drain()
    assert pool.pending == 0 and heard == []


def test_slow_jobs_run_side_by_side_and_drain_waits_for_them(qtbot):
    pool = BackgroundPool(max_workers=3)
    barrier = threading.Barrier(3, timeout=10)  # only passes if three jobs run at once
    results: list[int] = []
    for index in range(3):
        pool.run(lambda _task, index=index: (barrier.wait(), index)[1], results.append)
    pool.drain()
    assert sorted(results) == [0, 1, 2]


def test_the_library_pool_drops_callbacks_of_a_destroyed_owner(qtbot, tmp_path):
    library = Library.open(tmp_path / "library.sqlite3")
    worker = DatabaseWorker(library)
    owner = QObject()
    gate = threading.Event()
    heard: list[object] = []
    worker.submit(lambda _lib: gate.wait(10), heard.append, owner=owner)
    worker.submit(lambda lib: lib.get_project(999), heard.append, heard.append, owner=owner)
    shiboken6.delete(owner)
    gate.set()
    worker.drain()
    assert worker.pending == 0 and heard == []
    worker.close()
    library.close()


def test_the_shared_pool_is_one_per_application(qapp):
    assert shared_pool() is shared_pool()
    assert shared_pool().thread() == qapp.thread()
