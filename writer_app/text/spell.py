"""Spell checking for prose: Hunspell (through ``chunspell``) plus the author's own words.

Why Hunspell: it is the engine LibreOffice, Firefox and macOS use, it knows affixes
("unlaced", "laces") that a word list does not, and ``chunspell`` ships the engine and
the en_US dictionary in its wheel, so the project's own set-up installs both and the
PyInstaller bundle carries them as package data.

What is checked: runs of Latin letters with inner apostrophes (straight or curly);
words with digits, words in capitals (acronyms, shouting) and single letters are left
alone, and so are the author's personal dictionary (one word a line in the profile),
words ignored this session and the project's names (story bible names and aliases).
Chinese and Japanese projects are not checked at all (:func:`checks_language`): the
dictionary is English and an underline under every Han character would say nothing.

Lookups are cached per word and results per paragraph, so re-highlighting one block
on a keystroke costs a dictionary lookup only for a word that was never seen before.
Suggestions are another matter: Hunspell takes 0.1-0.5 s to find them, so
:meth:`SpellChecker.suggest` is for a worker thread, with its own engine (a Hunspell
object is not safe to share between threads, and the GUI thread keeps checking while
it suggests) that also knows the author's words and the project's names.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from writer_app.atomic_write import atomic_write
from writer_app.errors import UserError

WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
NOT_LATIN = re.compile("[^\u0000-\u024f]")  # Han, kana, Cyrillic, Greek…: not an English word
NOT_CHECKED_LANGUAGES = ("zh", "ja", "ko")
BLOCK_CACHE_SIZE = 4096
MAX_SUGGESTIONS = 7


def checks_language(language: str) -> bool:
    """False for the scripts the English dictionary cannot judge (Chinese, Japanese, Korean)."""
    return (language or "").split("-")[0].lower() not in NOT_CHECKED_LANGUAGES


def words_in(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) in ``str`` indexes for every word the checker would look at."""
    found = []
    for match in WORD.finditer(text):
        word = match.group()
        if len(word) < 2 or word.isupper() or NOT_LATIN.search(word):
            continue
        start, end = match.span()
        if (start and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit()):
            continue  # "3rd", "42nd": numbers with a suffix
        found.append((start, end, word))
    return found


def _normal(word: str) -> str:
    return word.replace("’", "'")


def _load_engine(language: str):  # noqa: ANN202 - hunspell.Hunspell has no stubs
    try:
        import hunspell
    except ImportError as exc:
        raise UserError("spell checking needs the chunspell package; run the project's set-up again") from exc
    try:
        return hunspell.Hunspell(language.replace("-", "_"))
    except Exception as exc:  # noqa: BLE001 - the binding raises its own types for a missing file
        raise UserError(f"there is no spelling dictionary for {language} ({exc})") from exc


class SpellChecker:
    """One dictionary, the personal word list and the names; all answers in ``str`` indexes."""

    def __init__(self, personal_file: Path | None = None, language: str = "en_US") -> None:
        self.language = language
        self._engine = _load_engine(language)
        self._suggester = None  # the second engine, made on first use by the thread that suggests
        self._suggester_words: set[str] = set()  # the author's words and names it has been taught
        self._suggest_lock = threading.Lock()
        self._encoding = getattr(self._engine, "_dic_encoding", "ISO8859-1")
        self.personal_file = personal_file
        self._personal: set[str] = set()
        self._ignored: set[str] = set()
        self._names: set[str] = set()
        self._known: dict[str, bool] = {}
        self._blocks: OrderedDict[str, list[tuple[int, int]]] = OrderedDict()
        self._suggestions: dict[str, list[str]] = {}
        if personal_file is not None:
            self._personal = set(self._read_personal(personal_file))

    # -- the author's words ----------------------------------------------------------------
    @staticmethod
    def _read_personal(path: Path) -> list[str]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"could not read your personal dictionary {path}: {exc}") from exc
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def personal_words(self) -> list[str]:
        return sorted(self._personal)

    def add_to_dictionary(self, word: str) -> None:
        """Keep ``word`` for good (written to the profile at once, atomically)."""
        word = _normal(word.strip())
        if not word or word in self._personal:
            return
        self._personal.add(word)
        if self.personal_file is not None:
            try:
                self.personal_file.parent.mkdir(parents=True, exist_ok=True)
                with atomic_write(self.personal_file) as handle:
                    handle.write("".join(f"{w}\n" for w in sorted(self._personal)))
            except OSError as exc:
                self._personal.discard(word)
                raise UserError(f"could not save “{word}” to your personal dictionary: {exc}") from exc
        self._forget()

    def ignore(self, word: str) -> None:
        """Stop flagging ``word`` until the editor closes."""
        self._ignored.add(_normal(word))
        self._forget()

    def set_names(self, names: Iterable[str]) -> None:
        """The project's names (bible entries and aliases); each part of a name counts."""
        parts = {_normal(p) for name in names for p in WORD.findall(name or "")}
        if parts != self._names:
            self._names = parts
            self._forget()

    def _forget(self) -> None:
        self._known.clear()
        self._blocks.clear()
        self._suggestions = {}  # a new personal word or name may be the better guess now

    # -- checking ----------------------------------------------------------------------------
    def is_correct(self, word: str) -> bool:
        """Whether ``word`` (one token of :data:`WORD`) passes: skipped kinds of word pass too."""
        known = self._known.get(word)
        if known is None:
            known = self._known[word] = self._judge(word)
        return known

    def _judge(self, word: str) -> bool:
        if len(word) < 2 or word.isupper() or NOT_LATIN.search(word):
            return True  # single letters, acronyms, other scripts: not ours to judge
        word = _normal(word)
        if word in self._personal or word in self._ignored or word in self._names:
            return True
        if word.lower() in self._personal or word.lower() in self._ignored:
            return True
        stem = word[:-2] if word.endswith("'s") else word
        if stem in self._names or stem in self._personal:  # "Elinor's"
            return True
        try:
            word.encode(self._encoding)
        except UnicodeEncodeError:
            return True  # a letter the dictionary cannot even spell
        return bool(self._engine.spell(word))

    def misspelled(self, text: str) -> list[tuple[int, int]]:
        """(start, length) of every misspelled word of one paragraph (cached per paragraph).

        The hot path of typing: one regex pass and one dict lookup per word; the
        dictionary is asked only about a word never seen before.
        """
        cached = self._blocks.get(text)
        if cached is not None:
            self._blocks.move_to_end(text)
            return cached
        known, spans = self._known, []
        for match in WORD.finditer(text):
            word = match.group()
            ok = known.get(word)
            if ok is None:
                ok = known[word] = self._judge(word)
            if not ok:
                start, end = match.span()
                if (start and text[start - 1].isdigit()) or (end < len(text) and text[end].isdigit()):
                    continue  # "3rd", "42nd": numbers with a suffix
                spans.append((start, end - start))
        self._blocks[text] = spans
        if len(self._blocks) > BLOCK_CACHE_SIZE:
            self._blocks.popitem(last=False)
        return spans

    def warm(self, text: str) -> None:
        """Check every paragraph of ``text`` now (in the background, before the editor shows it)."""
        for paragraph in text.split("\n"):
            if paragraph:
                self.misspelled(paragraph)

    def cached_suggestions(self, word: str) -> list[str] | None:
        """The suggestions for ``word`` if they were looked up already (instant), else None."""
        found = self._suggestions.get(_normal(word))
        return None if found is None else self._as_typed(word, found)

    def suggest(self, word: str) -> list[str]:
        """The dictionary's best guesses, curly apostrophes kept as the author typed them.

        Slow (Hunspell's search): call it off the GUI thread. Safe to call while
        the GUI thread checks words; two callers take turns.
        """
        key = _normal(word)
        with self._suggest_lock:
            found = self._suggestions.get(key)
            if found is None:
                engine = self._suggest_engine()
                try:
                    key.encode(self._encoding)
                    found = list(engine.suggest(key))[:MAX_SUGGESTIONS]
                except UnicodeEncodeError:
                    found = []
                self._suggestions[key] = found
        return self._as_typed(word, found)

    def _suggest_engine(self):  # noqa: ANN202 - hunspell.Hunspell has no stubs
        """The suggesting engine, taught the words it may propose besides the dictionary's."""
        if self._suggester is None:
            self._suggester = _load_engine(self.language)
        wanted = {w for w in self._personal | self._names if len(w) > 1}
        for gone in self._suggester_words - wanted:
            self._suggester.remove(gone)
        for new in wanted - self._suggester_words:
            try:
                new.encode(self._encoding)
            except UnicodeEncodeError:
                continue
            self._suggester.add(new)
        self._suggester_words = wanted
        return self._suggester

    @staticmethod
    def _as_typed(word: str, found: list[str]) -> list[str]:
        curly = "’" in word
        return [s.replace("'", "’") if curly else s for s in found]
