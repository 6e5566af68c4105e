"""The single database worker: ordered, off the GUI thread, callbacks back on the GUI thread."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from writer_app.storage import Library
from writer_app.ui.background import DatabaseWorker


def test_operations_run_in_order_off_the_gui_thread_and_call_back_on_it(qtbot, tmp_path):
    library = Library.open(tmp_path / "library.sqlite3")
    worker = DatabaseWorker(library)
    gui_thread = QThread.currentThread()
    ran_on: list[str] = []
    results: list[object] = []
    callback_threads: list[bool] = []

    def op(name):
        def run(lib):
            ran_on.append(threading.current_thread().name)
            return name if name != "boom" else lib.get_node(424242)
        return run

    for name in ("first", "second", "boom", "third"):
        worker.submit(op(name), lambda r: (results.append(r), callback_threads.append(
            QThread.currentThread() is gui_thread)),
            lambda exc: (results.append(f"failed: {type(exc).__name__}"),
                         callback_threads.append(QThread.currentThread() is gui_thread)))
    qtbot.waitUntil(lambda: worker.pending == 0)
    assert results[:2] == ["first", "second"] and results[3] == "third"
    assert str(results[2]).startswith("failed: ")
    assert all(callback_threads)
    assert len(set(ran_on)) == 1 and ran_on[0] != threading.main_thread().name
    worker.close()
    late = worker.submit(op("late"))
    assert late.exception() is not None  # refused after close, never run
    library.close()


def test_an_error_without_a_handler_is_reported(qtbot, tmp_path):
    library = Library.open(tmp_path / "library.sqlite3")
    worker = DatabaseWorker(library)
    with qtbot.waitSignal(worker.failed, timeout=5000) as blocker:
        worker.submit(lambda lib: lib.get_project(999))
    assert blocker.args and blocker.args[0]
    worker.close()
    library.close()
