"""The GUI keeps answering while autosave runs on a 100,000-word project (stall reported, not asserted)."""

from __future__ import annotations

import pytest

from tests.ui.stall_probe import make_big_project, measure_stalls


@pytest.mark.slow
def test_gui_stall_while_autosaving_a_big_project(qtbot, tmp_path, record_property):
    from writer_app.ui.app import build_main_window

    profile = tmp_path / "big"
    make_big_project(profile)
    window = build_main_window(profile, extensions=())
    qtbot.addWidget(window)
    window.show()
    report = measure_stalls(window, seconds=5.0)
    print(report.line())
    record_property("longest_stall_ms", round(report.longest_stall_ms, 1))
    record_property("p99_gap_ms", round(report.p99_gap_ms, 1))
    assert report.project_words >= 100_000
    assert report.chapter_words >= 10_000
    assert report.saves >= 3, "autosave should have saved several times during 5 s of typing"
    assert window.autosave.state == "saved"
    window.close()
