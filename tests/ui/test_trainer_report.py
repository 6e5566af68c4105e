"""The Trainer tab's frictions (issue 17) and its report of the proof (issue 15), on a real window."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication, QDockWidget, QScrollArea, QWidget

from tests.ui.test_trainer_tab import austen_chapters
from writer_app.paths import profile_paths
from writer_app.storage import Library
from writer_app.ui.loss_chart import LossChart
from writer_app.ui.themes import apply_theme

SCREENSHOT_DIR = os.environ.get("WRITER_APP_SCREENSHOT_DIR")


@pytest.fixture
def trainer_window(qtbot, tmp_path):
    from writer_app.ui.app import build_main_window

    profile = tmp_path / "profile"
    with Library.open(profile_paths(profile).ensure().database) as lib:
        project = lib.create_project("Austen")
        for title, text in austen_chapters(3):
            lib.create_node(project.id, "chapter", title, text=text)
    window = build_main_window(profile, extensions=("writer_app.ui.trainer_tab",))
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    window.findChild(QDockWidget, "dock_trainerTab").raise_()
    tab = window.findChild(QWidget, "trainerTab")
    qtbot.waitUntil(lambda: tab.documents.topLevelItemCount() == 3)
    yield window, tab
    tab.calibration.stop()
    window.close()
    apply_theme(QApplication.instance(), "light")


def test_the_advanced_panel_fits_the_width_of_its_dock(qtbot, trainer_window):
    window, tab = trainer_window
    tab.advanced.setChecked(True)
    qtbot.waitUntil(tab.form_host.isVisible)
    scroll = tab.findChild(QScrollArea)
    QApplication.processEvents()
    # Nothing is cut off on the right: the page needs no more width than the dock gives it.
    assert tab.body.minimumSizeHint().width() <= scroll.viewport().width()
    assert not scroll.horizontalScrollBar().isVisible()
    right = scroll.viewport().mapToGlobal(QPoint(scroll.viewport().width(), 0)).x()
    for box in tab.fields.values():
        assert box.mapToGlobal(QPoint(box.width(), 0)).x() <= right + 1, box.objectName()


def test_the_empty_loss_chart_reads_whole_steps():
    chart = LossChart()
    assert chart.step_labels() == [0, 1]  # it read "0 0 0 0 1"
    chart.set_max_step(87)
    labels = chart.step_labels()
    assert labels == [0, 20, 40, 60, 80]
    chart.set_max_step(7)
    assert chart.step_labels() == [0, 2, 4, 6]
    assert len(set(chart.step_labels())) == len(chart.step_labels())


def test_the_loss_chart_follows_the_dark_theme(qtbot, trainer_window):
    window, tab = trainer_window
    apply_theme(QApplication.instance(), "dark")
    QApplication.processEvents()
    chart = tab.chart.chart()
    window_colour = tab.chart.palette().color(tab.chart.palette().ColorRole.Window)
    assert window_colour.lightness() < 100
    assert chart.backgroundBrush().color() == window_colour
    assert chart.plotAreaBackgroundBrush().color().lightness() < 100
    assert chart.axes()[0].labelsColor().lightness() > 150  # light text on the dark chart
    image = tab.chart.grab().toImage()
    centre = image.pixelColor(image.width() // 2, image.height() // 3)
    assert centre.lightness() < 100  # it stayed white
    apply_theme(QApplication.instance(), "light")
    QApplication.processEvents()
    assert chart.backgroundBrush().color().lightness() > 200


def test_the_report_shows_heldout_chapters_perplexity_and_the_stylometry_chart(qtbot, trainer_window):
    from writer_app.text.stylometry import compare
    from writer_app.ui.trainer_report import ROWS

    window, tab = trainer_window
    chapters = [text for _title, text in austen_chapters(12)]
    # The distances as the evaluation computes them, here on real text standing in for two continuations.
    stylometry = compare(chapters[10], base_text=chapters[0][:3000], adapter_text=chapters[11][:3000])
    metrics = {"heldout": {"mode": "chapters", "chapters": ["Chapter 11"]}, "base_perplexity": 24.0,
               "adapter_perplexity": 18.0, "style": {"stylometry": stylometry}}
    tab.report.show_metrics(metrics)
    assert tab.report.isVisible()
    summary = tab.report.summary.text()
    assert "1 whole chapter it never saw (Chapter 11)" in summary and "24.0 (base) → 18.0 (yours), -25 %" in summary
    base, adapter = tab.report.bar_values()
    assert base == pytest.approx([stylometry["distance"][name]["base"] for name in ROWS])
    assert adapter == pytest.approx([stylometry["distance"][name]["adapter"] for name in ROWS])
    assert "Sentence length:" in tab.report.closer.text() and "%" in tab.report.closer.text()
    tab.report.show_metrics({"heldout": {"mode": "tail blocks"}, "base_perplexity": 30.0, "adapter_perplexity": 29.0})
    assert "no chapters" in tab.report.summary.text() and not tab.report.view.isVisible()
    if SCREENSHOT_DIR:
        for theme in ("light", "dark"):
            apply_theme(QApplication.instance(), theme)
            tab.report.show_metrics(metrics)
            QApplication.processEvents()
            Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
            tab.body.grab().save(str(Path(SCREENSHOT_DIR) / f"trainer-report-test-{theme}.png"))
