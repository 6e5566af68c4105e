"""What changed, broadcast once by the main window; each view decides whether to redraw.

After Anki's ``OpChanges``: the code that changed something does not call the
views that show it (the Trainer tab used to call the assistant directly, and a
rename in the adapter table reached neither the assistant nor the settings).
It emits ``window.changed`` with a frozenset of :class:`Change`; a listener
looks for the kinds it cares about and then compares what it actually shows
(the assistant compares the active adapter's id and folder with what it
loaded), so a broadcast that changes nothing for it costs nothing.

Today the adapter table emits ``ADAPTERS`` (activated, renamed, deleted,
registered) and the assistant listens; the other kinds are named so that the
binder, editor, bible and summaries can move onto the same signal.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class Change(Enum):
    TREE = "tree"  # nodes added, moved, renamed, trashed, restored
    TEXT = "text"  # a document's stored text
    BIBLE = "bible"  # story bible entries
    SUMMARIES = "summaries"  # stored chapter/scene summaries
    ADAPTERS = "adapters"  # registered adapters: activated, renamed, deleted, registered
    SETTINGS = "settings"  # the profile's settings file


def announce(window: Any, *changes: Change) -> None:
    """Emit ``window.changed`` with these kinds (nothing on a window without the signal)."""
    signal = getattr(window, "changed", None)
    if signal is not None and changes:
        signal.emit(frozenset(changes))
