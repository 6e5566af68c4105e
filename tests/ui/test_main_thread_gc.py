"""Cycles are collected on the GUI thread, never in a worker that happens to allocate.

A worker thread that collected a cycle holding a Qt object ran ``~QObject``
there and deadlocked with the GUI thread (the editor froze mid-keystroke; see
``writer_app.ui.main_thread_gc``).
"""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from writer_app.ui import main_thread_gc


class _Holder:
    """A cycle (it refers to itself) that holds a Qt object, as a slot closure over a widget does."""

    def __init__(self) -> None:
        self.qt_object = QObject()
        self.me = self


def _collections_by_thread():
    threads: list[int] = []

    def record(phase: str, _info: dict) -> None:
        if phase == "start":
            threads.append(threading.get_ident())

    gc.callbacks.append(record)
    return threads, lambda: gc.callbacks.remove(record)


def test_a_worker_that_allocates_never_collects_and_the_gui_thread_frees_the_cycle(qtbot, qapp):
    main_thread_gc.install(qapp)
    holder = _Holder()
    freed = weakref.ref(holder)
    del holder  # now only its own cycle keeps it (and its QObject) alive
    threads, stop_recording = _collections_by_thread()
    try:
        made: list[list] = []

        def allocate() -> None:  # containers that stay alive, far past every generation's threshold
            made.append([[] for _ in range(200_000)])

        worker = threading.Thread(target=allocate, name="busy-worker")
        worker.start()
        worker.join()
        assert worker.ident not in threads
        qtbot.waitUntil(lambda: freed() is None)  # the timer saw the threshold crossed
    finally:
        stop_recording()
        made.clear()
    assert threads and set(threads) == {threading.get_ident()}


def test_installing_twice_keeps_one_collector(qapp):
    first = main_thread_gc.install(qapp)
    gc.enable()  # something else switched it back on
    assert main_thread_gc.install(qapp) is first
    assert not gc.isenabled()
