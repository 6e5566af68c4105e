"""The seam between the assistant's controller and its features.

Each feature (continuation, selection tasks, style suggestions, summaries,
the context menu) is handed only what it uses: the window it works in, the
model client, its panel, and an :class:`AssistantPort` for the few things it
asks of the assistant that wires it. The features never import the
controller and the controller alone builds and connects them, so the two
sides do not import each other (they both import this module), and a
feature can be read without reading the controller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from writer_app.llm.generation import GenerationSettings

# What the model host reports with a finished request: seconds, pieces, tokens_per_second,
# cancelled (see llm/host.py and InferenceClient.finished).
Stats = Mapping[str, object]


class AssistantPort(Protocol):
    """What a feature asks of the assistant; :class:`~writer_app.ui.assistant.controller.Assistant` is one."""

    def generation_settings(self) -> GenerationSettings:
        """The next request's settings: the profile's, with the panel's temperature, length, variants."""
        ...

    def record_stats(self, stats: Stats) -> None:
        """Note a finished generation's speed for the model status in the status bar."""
        ...

    def show_message(self, text: str) -> None:
        """One line for the author in the status bar."""
        ...

    def discard_continuation(self) -> None:
        """Stop a continuation and throw its ghost text away (before another task edits the page)."""
        ...
