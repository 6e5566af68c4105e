"""A first start shows the assistant panel in front of the other right-hand panels."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget

from writer_app.ui.app import build_main_window


def test_first_start_shows_the_assistant_panel_in_front(qtbot, tmp_path):
    window = build_main_window(tmp_path / "profile")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assistant = window.findChild(QDockWidget, "dock_assistantPanel")
    trainer = window.findChild(QDockWidget, "dock_trainerTab")
    assert assistant is not None and trainer is not None
    # Tabified docks all report isVisible(); what is on screen is their visible region.
    qtbot.waitUntil(lambda: not assistant.visibleRegion().isEmpty())
    assert trainer.visibleRegion().isEmpty()
    window.close()
