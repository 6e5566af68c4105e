"""The assistant inside the editor: continue as ghost text, rewrite and friends in a
panel, style suggestions, summaries. The main window calls :func:`install`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from writer_app.ui.assistant.controller import Assistant
    from writer_app.ui.main_window import MainWindow


def install(window: MainWindow) -> Assistant:
    """Build the assistant for ``window`` (actions, panels, worker thread); returns it."""
    from writer_app.ui.assistant.controller import Assistant

    assistant = Assistant(window)
    window.assistant = assistant  # what the Trainer tab and the welcome dialog use (AssistantHandle)
    return assistant
