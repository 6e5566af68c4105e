"""The one exception type that means "the user gave us something we cannot use".

Every layer raises :class:`UserError` (or a subclass) with a message written
for the author, not the developer: the CLI prints it as one line and exits
non-zero, the UI shows it in a message box; neither shows a traceback.

:func:`os_error_reason` turns an ``OSError`` into the few words an author
understands ("the disk is full", "it is a symbolic link loop"), so every
layer says the same thing about the same failure.
"""

from __future__ import annotations

import errno


class UserError(Exception):
    """Bad input or an unusable environment, explained in one sentence."""

    exit_code = 2


# errno -> the reason, as a clause that reads after "could not <do> <path>: ".
_REASONS = {
    errno.ENOENT: "it does not exist",
    errno.ELOOP: "it is a symbolic link loop",
    errno.ENOTDIR: "a part of its path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENAMETOOLONG: "its name is too long",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file would be larger than this system allows",
    errno.EROFS: "the drive is read-only",
    errno.EIO: "the drive reported an input/output error",
    errno.EEXIST: "something with that name is already there",
    errno.ENXIO: "it is a device that is not connected",
    errno.ENODEV: "it is a device, not a file",
}

# Failures of the machine or of a path the user gave, not of the program: reported
# as one line with exit 2 even where no handler turned them into a UserError first.
ENVIRONMENT_ERRNOS = frozenset(_REASONS) - {errno.EEXIST}


def os_error_reason(exc: OSError) -> str:
    """Why ``exc`` happened, in plain words (no errno number, no repeated file name)."""
    reason = _REASONS.get(exc.errno or 0)
    if reason:
        return reason
    return (exc.strerror or str(exc) or exc.__class__.__name__).lower()


def printable(text: str) -> str:
    """``text`` with surrogate escapes (bytes that were not UTF-8 in a file name) shown as ``\\xNN``.

    Any encoder accepts the result; the author sees which byte was odd.
    """
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a lone surrogate that did not come from a byte (JSON, a database)
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def one_line(text: object) -> str:
    """``text`` with every run of whitespace (newlines included) turned into one space."""
    return " ".join(str(text).split())
