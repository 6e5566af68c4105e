"""What text the library can store, and how it repairs what it cannot.

An editor can hand us any Python ``str``, including things SQLite and UTF-8
cannot represent faithfully:

* lone UTF-16 surrogates (``"\\ud800"``) cannot be encoded as UTF-8 at all, so
  a save would fail; a *pair* of surrogates (what a UTF-16 editor produces for
  an emoji when a conversion goes wrong) is joined into the real character;
* NUL (``"\\x00"``) is stored by SQLite but its SQL functions (``length``,
  FTS tokenizers) stop at it, so counts and search would silently disagree
  with the text.

Both are replaced by U+FFFD REPLACEMENT CHARACTER. The save reports
``normalized=True`` and ``get_text`` returns the repaired text, so the editor
can show exactly what is stored. Everything else (any code point, CRLF, emoji,
CJK, control characters) is kept byte for byte.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
_NEEDS_REPAIR = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """The text as it will be stored (identical unless it held NULs or surrogates)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if not _NEEDS_REPAIR.search(text):
        return text
    # Round-trip through UTF-16: valid pairs join up, lone halves become U+FFFD.
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return joined.replace("\x00", REPLACEMENT)


def clean_line(text: str) -> str:
    """A title or name: repaired, single line, trimmed."""
    return " ".join(clean_text(text).split())
