"""The Qt user interface (the only package that imports PySide6)."""

from writer_app.ui.qt_compat import protect_none

protect_none()
