"""Keep ``None``, ``True`` and ``False`` alive under PySide6 builds that under-count them.

Why this exists: PySide6 6.12.0 (its ``cp310-abi3`` wheels) hands back ``None``
from every void Qt call (``setText``, ``setFormat``, ``processEvents``…) and
``True`` from every ``Signal.emit()`` without the reference that goes with it.
On CPython 3.12 and later these objects are immortal and nothing happens; on
3.10 and 3.11 every such call takes one reference away, and when the count
reaches zero CPython aborts the whole editor ("Fatal Python error:
none_dealloc: deallocating None"). Measured with the real window: typing
costs ~160 references a keystroke (the highlighter's ``setFormat`` calls), so
an editor that had the model loaded in-process (torch and transformers hold
~140,000 references to None) aborted after ~870 keystrokes, about 35 s of
typing; without torch in the process, after about 100.

These three objects are statically allocated and never freed, so giving them
a reference count no session can use up is exactly what CPython 3.12 does
for them itself. It is done once, as ``writer_app.ui`` is imported.
"""

from __future__ import annotations

import ctypes
import sys

# Far beyond any number of calls a session makes, far below the overflow of a 64-bit count.
EXTRA_REFERENCES = 1 << 60


def needed() -> bool:
    """True on a CPython without immortal singletons (before 3.12), release builds only."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    # A Py_TRACE_REFS debug build puts two pointers before ob_refcnt: leave it alone.
    return not hasattr(sys, "getobjects")


def protect_singletons() -> bool:
    """Give None, True and False :data:`EXTRA_REFERENCES` more references; True if done."""
    if not needed():
        return False
    for obj in (None, True, False):
        if sys.getrefcount(obj) > EXTRA_REFERENCES:
            continue  # already done (a second import after a reload)
        count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the object's first field
        before = sys.getrefcount(obj)
        count.value += EXTRA_REFERENCES
        # (A few references come and go meanwhile, e.g. the setter's own None.)
        if abs(sys.getrefcount(obj) - before - EXTRA_REFERENCES) > 1000:  # not the layout we expected: undo
            count.value -= EXTRA_REFERENCES
            return False
    return True
