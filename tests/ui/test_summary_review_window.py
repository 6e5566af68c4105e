"""Summaries the author approves, in the real main window with the real embedded model.

A summary waits in the review (under the binder) until Accept: before that it
is neither in the library nor in what Continue sends the model. Discard stores
nothing; an edit is stored marked as edited; a book summary shows part k of n
and Cancel stops it: no further piece starts and the job says it was cancelled.
One window (and one loaded model) is shared by the module; generations are short and greedy.
"""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from tests.ui.test_assistant_window import _wait
from writer_app.llm.tasks import TaskRequest
from writer_app.ui.app import build_main_window

pytestmark = [pytest.mark.model, pytest.mark.slow]

FIRST = ("Mara walked down to the harbour at dawn. The ferry was late again, and old Tobias said the fog "
         "would not lift before noon.\n\nShe waited on the quay with her brother's letter in her coat.")
SECOND = "The ferry came at noon. Mara paid the boatman with her last coin. She"


@pytest.fixture(scope="module")
def window(qapp, embedded_model_dir, tmp_path_factory):
    win = build_main_window(tmp_path_factory.mktemp("profile"))
    win.resize(1280, 820)
    win.show()
    client = win.assistant.client
    assert _wait(qapp, lambda: client.model_info is not None or client.load_error, 120), "model did not load"
    assert client.load_error is None, client.load_error
    yield win
    win.assistant.shutdown()
    win.shutdown()
    win.close()
    win.deleteLater()


@pytest.fixture
def book(window, qtbot):
    """Two fresh chapters (no summaries), the first one open; short greedy generations."""
    assistant = window.assistant
    assistant.cancel()
    summaries = assistant.summaries
    summaries.pending.clear()
    summaries.review.show_pending(None, 0)
    summaries.chunk_tokens = None
    project_id = window.current_project_id

    def make(library):
        one = library.create_node(project_id, "chapter", "The Harbour", text=FIRST)
        two = library.create_node(project_id, "chapter", "The Crossing", text=SECOND)
        return one.id, two.id

    one, two = window.db.run_sync(make)
    window.binder.reload()
    qtbot.waitUntil(lambda: window.binder.node(two) is not None)
    with qtbot.waitSignal(window.documentOpened):
        window.open_document(one)
    assistant.panel.temperature.setValue(0.0)
    assistant.panel.length.setValue(24)
    assistant.panel.variants.setValue(1)
    return one, two


def _action(window, name: str) -> QAction:
    action = window.findChild(QAction, name)
    assert action is not None, name
    return action


def _review(window):
    review = window.findChild(object, "summaryReview")
    assert review is not None
    return review


def _summarise_open_chapter(window, qtbot):
    cursor = window.editor.textCursor()
    cursor.clearSelection()
    window.editor.setTextCursor(cursor)
    review = _review(window)
    _action(window, "actionSummarise").trigger()
    qtbot.waitUntil(lambda: review.current is not None, timeout=120_000)
    return review


def _continue_request(window, qtbot) -> TaskRequest:
    """What Continue sends the model, read off the job handed to the (real) inference client."""
    client = window.assistant.client
    sent = []
    real_submit = client.submit

    def recording_submit(job, kind="stream"):
        sent.append(job)
        return real_submit(job, kind)

    client.submit = recording_submit
    try:
        with qtbot.waitSignal(client.finished, timeout=120_000):
            _action(window, "actionContinue").trigger()
    finally:
        del client.submit
    [job] = sent
    request = job.args[0]
    assert isinstance(request, TaskRequest) and request.task == "continue"
    return request


def _stored(window, node_id):
    return window.db.run_sync(lambda library: library.summary(node_id))


def test_a_summary_waits_for_approval_before_it_is_stored_or_reaches_the_prompt(window, book, qtbot):
    one, two = book
    review = _summarise_open_chapter(window, qtbot)
    assert review.isVisible() and review.findChild(object, "acceptSummary").isVisible()
    written = review.text.toPlainText()
    assert written.strip() and review.current.node_id == one
    assert _stored(window, one).text == ""  # not stored before Accept

    with qtbot.waitSignal(window.documentOpened):
        window.open_document(two)
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    assert written not in _continue_request(window, qtbot).story_so_far
    window.assistant.cancel()

    qtbot.mouseClick(review.findChild(object, "acceptSummary"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _stored(window, one).approved)
    stored = _stored(window, one)
    assert (stored.text, stored.by, stored.edited) == (written.strip(), "assistant", False)
    assert review.current is None
    assert written.strip() in _continue_request(window, qtbot).story_so_far
    window.assistant.cancel()


def test_discard_stores_nothing(window, book, qtbot):
    one, _two = book
    review = _summarise_open_chapter(window, qtbot)
    qtbot.mouseClick(review.findChild(object, "discardSummary"), Qt.MouseButton.LeftButton)
    window.db.drain()
    assert review.current is None
    assert _stored(window, one).text == ""
    assert "discarded" in window.statusBar().currentMessage()


def test_edit_then_accept_stores_the_edited_text_marked_edited(window, book, qtbot):
    one, _two = book
    review = _summarise_open_chapter(window, qtbot)
    box = review.findChild(object, "summaryText")
    box.selectAll()
    qtbot.keyClicks(box, "Mara waits at the harbour for the late ferry.")
    qtbot.mouseClick(review.findChild(object, "acceptSummary"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _stored(window, one).approved)
    stored = _stored(window, one)
    assert (stored.text, stored.by, stored.edited) == ("Mara waits at the harbour for the late ferry.", "assistant",
                                                       True)
    qtbot.waitUntil(lambda: "edited by you" in window.binder._items[one].toolTip(0))


def test_cancelling_a_book_summary_starts_no_further_piece_and_reports_cancelled(window, book, qtbot):
    one, two = book
    summaries = window.assistant.summaries
    summaries.chunk_tokens = 64  # several pieces per chapter, so there is a "next piece" to not start
    project_id = window.current_project_id
    long_text = "\n\n".join([FIRST] * 6)
    first = window.db.run_sync(lambda library: library.create_node(project_id, "chapter", "The Long Wait",
                                                                   position=0, text=long_text).id)
    review = _review(window)
    started: list[tuple[int, int, int]] = []
    jobs = []
    summaries.jobStarted.connect(lambda job: (jobs.append(job), job.chunkStarted.connect(
        lambda k, n, level: started.append((k, n, level)))))
    _action(window, "actionSummariseBook").trigger()
    qtbot.waitUntil(lambda: len(started) >= 1, timeout=120_000)
    k, n, _level = started[0]
    assert (k, n > 1) == (1, True)
    assert f"part 1 of {n}" in review.findChild(object, "summaryProgress").text()
    clicked = time.monotonic()
    qtbot.mouseClick(review.findChild(object, "cancelSummary"), Qt.MouseButton.LeftButton)
    [job] = jobs
    assert job.state == "cancelled"
    count = len(started)
    qtbot.waitUntil(lambda: not window.assistant.client.busy, timeout=120_000)  # the host has stopped
    print(f"\nbook summary: the host answered the cancel after {time.monotonic() - clicked:.2f} s")  # a figure, no limit
    window.db.drain()
    assert len(started) == count and len(jobs) == 1  # no further piece, no further document
    assert job.chunks_started == count and job.request_id is None
    assert summaries.pending == type(summaries.pending)() and review.current is None
    assert "cancelled" in window.statusBar().currentMessage().lower()
    assert not review.findChild(object, "summaryProgress").isVisible()
    assert all(_stored(window, node).text == "" for node in (first, one, two))


def test_an_old_unapproved_summary_is_reviewed_from_the_binder_with_a_warning(window, book, qtbot):
    one, _two = book
    window.db.run_sync(lambda library: library.set_summary(one, "Emily meets Mara at the harbour."))
    window.binder.reload()
    qtbot.waitUntil(lambda: "not approved" in window.binder._items[one].toolTip(0))
    entries = {a.objectName(): a for a in window.binder.build_context_menu(one).actions() if a.objectName()}
    entries["binderReviewSummary"].trigger()
    review = _review(window)
    qtbot.waitUntil(lambda: review.current is not None)
    warning = review.findChild(object, "summaryWarning")
    assert warning.isVisible() and "Emily" in warning.text() and "Mara" not in warning.text()
    assert review.findChild(object, "acceptSummary").text() == "Accept anyway"
    qtbot.mouseClick(review.findChild(object, "acceptSummary"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _stored(window, one).approved)
    assert _stored(window, one).edited is False
    qtbot.waitUntil(lambda: "Summary (approved)" in window.binder._items[one].toolTip(0))



def test_summarising_a_selection_shows_the_summary_in_the_panel_and_stores_nothing(window, book, qtbot):
    one, _two = book
    assistant = window.assistant
    cursor = window.editor.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(len(FIRST.split("\n\n")[0]), cursor.MoveMode.KeepAnchor)
    window.editor.setTextCursor(cursor)
    with qtbot.waitSignal(assistant.client.finished, timeout=120_000):
        _action(window, "actionSummarise").trigger()
    qtbot.waitUntil(lambda: assistant.panel.replace_button.isEnabled())
    assert assistant.panel.result.toPlainText().strip()
    assert "runs several prompts" not in window.statusBar().currentMessage()
    assert _stored(window, one).text == "" and _review(window).current is None


def test_a_chinese_chapter_is_summarised_in_chinese(window, book, qtbot):
    from tests.llm.test_summary_review_llm import chinese_passage, han_share

    project_id = window.current_project_id
    node_id = window.db.run_sync(lambda library: library.create_node(project_id, "chapter", "第一回",
                                                                     text=chinese_passage()).id)
    window.binder.reload()
    qtbot.waitUntil(lambda: window.binder.node(node_id) is not None)
    with qtbot.waitSignal(window.documentOpened):
        window.open_document(node_id)
    review = _summarise_open_chapter(window, qtbot)
    written = review.text.toPlainText()
    assert han_share(written) >= 0.8, written
    review.discard_button.click()


def test_cancelling_between_two_documents_of_the_book_starts_no_further_document(window, book, qtbot):
    _one, two = book
    summaries = window.assistant.summaries
    project_id = window.current_project_id
    first = window.db.run_sync(lambda library: library.create_node(project_id, "chapter", "Before All", position=0,
                                                                   text=FIRST).id)
    with qtbot.waitSignal(window.documentOpened):
        window.open_document(two)  # the book's first documents are read from the library, not the page
    jobs = []
    summaries.jobStarted.connect(lambda job: (jobs.append(job), job.done.connect(lambda _text: summaries.stop())))
    _action(window, "actionSummariseBook").trigger()
    qtbot.waitUntil(lambda: bool(jobs) and jobs[0].state != "running", timeout=120_000)
    window.db.drain()
    qtbot.waitUntil(lambda: window.db.pending == 0)
    assert len(jobs) == 1 and jobs[0].state == "done"  # the first finished; the next never started
    assert [p.node_id for p in summaries.pending] == [first]  # what was written waits for review
    assert "cancelled" in window.statusBar().currentMessage().lower()
    assert not _review(window).findChild(object, "summaryProgress").isVisible()
    assert _stored(window, first).text == ""
