"""The Qt editor (the only layer that imports PySide6).

Importing it first makes None/True/False immune to the reference PySide6 6.12
drops on every call under CPython < 3.12 (see ``refcount_guard``).
"""

from writer_app.ui.refcount_guard import protect_singletons

protect_singletons()
