"""The assistant inside the editor: continue as ghost text, rewrite and friends in a
panel, style suggestions, summaries. The main window calls :func:`install`."""

from __future__ import annotations

from typing import Any


def install(window: Any) -> Any:
    """Build the assistant for ``window`` (actions, panels, worker thread); returns it."""
    from writer_app.ui.assistant.controller import Assistant

    assistant = Assistant(window)
    window.assistant = assistant
    return assistant
