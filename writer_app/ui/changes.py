"""What changed, broadcast once by the main window; each view decides whether to redraw.

After Anki's ``OpChanges``: the code that changed something does not call the
views that show it (the Trainer tab used to call the assistant directly, and a
rename in the adapter table reached neither the assistant nor the settings).
It calls ``window.announce(*kinds)``, which emits ``window.changed`` with a
frozenset of :class:`Change`; a listener looks for the kinds it cares about and
then compares what it actually shows (the assistant compares the active
adapter's id and folder with what it loaded), so a broadcast that changes
nothing for it costs nothing.

Who announces and who listens today:

- ``TREE``: the binder after it changed nodes; the window (title, the open
  document gone to the trash).
- ``SUMMARIES``: whoever stored a summary; the binder (its tooltips).
- ``BIBLE``: the story bible panel after an edit; the panel itself reloads.
- ``ADAPTERS``: the adapter table and the Trainer tab; the assistant.
- ``SETTINGS``: the settings dialog, the welcome; the editor's font and the
  autosave interval (the window), the backup interval, and through
  ``window.settingsChanged`` the assistant.
- ``PROJECTS``: the project manager after a create, rename, duplicate, trash or
  restore; the window (the binder's switcher, the title) and File ▸ Open Recent.
- ``TEXT``: a document's stored text changed from outside the editor (a
  revision restored); the window shows the stored text again. The editor's
  own saves are not announced (the window hears them from the autosave).
"""

from __future__ import annotations

from enum import Enum


class Change(Enum):
    TREE = "tree"  # nodes added, moved, renamed, trashed, restored
    TEXT = "text"  # a document's stored text, changed from outside the editor
    BIBLE = "bible"  # story bible entries
    SUMMARIES = "summaries"  # stored chapter/scene summaries
    ADAPTERS = "adapters"  # registered adapters: activated, renamed, deleted, registered
    SETTINGS = "settings"  # the profile's settings file
    PROJECTS = "projects"  # projects created, renamed, duplicated, trashed or restored

