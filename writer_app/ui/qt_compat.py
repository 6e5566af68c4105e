"""Keep a PySide6 refcount bug from aborting the editor.

PySide6 6.12.0 on CPython 3.11 returns ``None`` from every void method (``setFormat``,
``setFontItalic``...) without taking a reference to it, so each call leaves ``None``
one reference short. ``None`` starts with a few thousand references; after that many
calls (a minute of typing in a long, dialogue-heavy chapter, or opening a 50,000-word
one) CPython deallocates ``None`` and aborts with "Fatal Python error: none_dealloc",
taking unsaved words with it. CPython 3.12 and later make ``None`` immortal, and
PySide6 6.11 does not have the bug.

Where the bug shows (measured at start-up with a few void calls), ``None`` is given
2**40 extra references, which is what 3.12's immortality amounts to: no session can
make that many calls. Nothing is done where the bug does not show.
"""

from __future__ import annotations

import ctypes
import sys

_PROBE_CALLS = 64
_EXTRA_REFERENCES = 1 << 40
_checked = False


def void_calls_drop_none() -> bool:
    """True when a void PySide call costs ``None`` a reference (the 6.12.0 bug)."""
    from PySide6.QtGui import QTextCharFormat

    probe = QTextCharFormat()
    before = sys.getrefcount(None)
    for _ in range(_PROBE_CALLS):
        probe.setFontItalic(True)
    return before - sys.getrefcount(None) >= _PROBE_CALLS // 2


def protect_none() -> bool:
    """Apply the work-around once if this PySide needs it; True if it was applied now."""
    global _checked
    if _checked or sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    _checked = True
    if not void_calls_drop_none():
        return False
    # ob_refcnt is the first field of every CPython object; id() is its address.
    ctypes.c_ssize_t.from_address(id(None)).value += _EXTRA_REFERENCES
    return True
