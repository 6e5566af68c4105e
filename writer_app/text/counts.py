"""Word and character counts that are right for novels in any script.

Chinese and Japanese are written without spaces, so their "words" are
counted as characters (the convention of their publishers and of word
targets such as NaNoWriMo's Chinese events); Korean and every space-separated
script count whitespace-delimited words. A mixed text counts each CJK
ideograph or kana as one word, plus every run of other letters or digits.

Counting runs on the database worker during every autosave, while the GUI
thread waits for the interpreter lock whenever it runs Python. A regular
expression over a whole 200,000-word chapter is one C call that holds that
lock for its whole length (250 ms before this module counted in pieces), so
long texts are counted in pieces of ``CHUNK_CHARS`` cut at whitespace (no
word is split), which lets the GUI in between pieces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Han ideographs (with extensions and compatibility blocks), kana, and the
# CJK punctuation that should not count as words.
_CJK_CHAR = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # Han, ext A, compatibility
    "\U00020000-\U0002fa1f"  # Han ext B..F and compatibility supplement
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # hiragana, katakana
)
_CJK_RE = re.compile(f"[{_CJK_CHAR}]")
# A word: a run of letters/digits/marks, allowing inner apostrophes and hyphens
# ("don't", "well-known"), excluding CJK characters, which count singly.
# [^\W<cjk>] is "a word character that is not CJK" as one character class (a
# negative lookahead per character did the same four times slower).
_WORD_CHAR = rf"[^\W{_CJK_CHAR}]"
_WORD_RE = re.compile(rf"{_WORD_CHAR}+(?:['’\-]{_WORD_CHAR}+)*")
_SPACE_RE = re.compile(r"\s+")
CHUNK_CHARS = 1 << 15  # a few milliseconds of regex work


def _pieces(text: str) -> Iterator[str]:
    """``text`` in consecutive pieces of about ``CHUNK_CHARS``, each ending at whitespace."""
    start = 0
    while len(text) - start > CHUNK_CHARS:
        end = start + CHUNK_CHARS
        space = _SPACE_RE.search(text, end)
        if space is None:
            break
        yield text[start:space.end()]
        start = space.end()
    yield text[start:]


def count_words(text: str) -> int:
    """Words for space-separated scripts plus one per CJK character."""
    if not text:
        return 0
    return sum(len(_CJK_RE.findall(piece)) + len(_WORD_RE.findall(piece)) for piece in _pieces(text))


def count_characters(text: str, *, with_spaces: bool = False) -> int:
    """Characters as a reader sees them: combining marks do not count apart."""
    total = 0
    for piece in _pieces(text):
        if not with_spaces:
            piece = _SPACE_RE.sub("", piece)
        total += len(piece)
        if not piece.isascii():
            # Look each distinct character up once (a CJK chapter has a few thousand).
            total -= sum(piece.count(ch) for ch in set(piece) if unicodedata.combining(ch))
    return total


def is_cjk_dominant(text: str, threshold: float = 0.3) -> bool:
    """True when CJK characters make up a large share of the letters."""
    letters = sum(1 for ch in text if ch.isalpha())
    if not letters:
        return False
    return len(_CJK_RE.findall(text)) / letters >= threshold
