"""The one exception type that means "the user gave us something we cannot use".

Every layer raises :class:`UserError` (or a subclass) with a message written
for the author, not the developer: the CLI prints it as one line and exits
non-zero, the UI shows it in a message box; neither shows a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input or an unusable environment, explained in one sentence."""

    exit_code = 2
