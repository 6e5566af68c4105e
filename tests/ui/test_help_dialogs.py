"""Help ▸ Diagnostics and Help ▸ Getting started, opened from the real menus."""

from __future__ import annotations

import re

import torch
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from writer_app.resources import getting_started_path
from writer_app.ui.diagnostics_dialog import DiagnosticsDialog
from writer_app.ui.guide_dialog import GuideDialog


def test_diagnostics_shows_the_doctor_report_and_copies_it(main_window, qtbot):
    main_window.actions_by_name["actionDiagnostics"].trigger()
    dialog = main_window.findChild(DiagnosticsDialog, "diagnosticsDialog")
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.ready, timeout=60_000)  # gathered off the GUI thread
    shown = dialog.report.toPlainText()
    assert f"torch         {torch.__version__}" in shown
    assert re.search(r"^embedded      installed \(\d+ MiB GGUF\); (converted|not converted yet)", shown, re.M)
    assert "model setting embedded" in shown

    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == shown
    assert dialog.copy_button.text() == "Copied"


def test_getting_started_renders_the_guide_headings(main_window):
    main_window.actions_by_name["actionGettingStarted"].trigger()
    dialog = main_window.findChild(GuideDialog, "guideDialog")
    assert dialog is not None and dialog.isVisible()
    shown = dialog.browser.toPlainText()
    headings = [line.lstrip("#").strip() for line in getting_started_path().read_text(encoding="utf-8").splitlines()
                if line.startswith("#")]
    assert len(headings) >= 5
    for heading in headings:
        assert heading in shown
    assert "##" not in shown  # rendered, not shown as raw Markdown
    assert dialog.browser.document().toHtml().count("font-size:20pt") >= 1  # the title is a real heading
