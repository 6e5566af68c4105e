"""Constrained decoding: tokens that would break a hard check are masked before they are sampled.

Why: re-sampling (``guards``) cannot cure what a small model does every
time. SmolLM2-135M answers a Chinese selection in English, renames the
heroine of a rewrite and opens an answer with "This passage describes"; a
retry at another seed mostly does the same again, at the cost of another
full answer. Masking the offending tokens costs a few microseconds a step
and makes those failures impossible instead of unlikely:

- language: every token holding a letter of another script than the
  source's is masked (for a Chinese source: Latin letters, kana, hangul), so
  the answer cannot switch to English;
- names: for rewrite, expand, shorten and summaries, a token that would
  start a capitalised word is allowed only while that word can still become
  a word of the source or the story bible (a trie walk over the word being
  written, so "Em" + "ily" is stopped at "Em" unless "Emma" is allowed). At
  a sentence start the common openers ("She", "The", "Suddenly") are
  allowed too, since there a capital marks the sentence, not a name;
- meta text: at the start of the answer and of every line, the tokens that
  would complete "This passage", "Here is", "Sure", "The story", "In this",
  a heading "#" or a bullet are masked;
- required names (rewrite, expand, shorten, in every language): while a name
  of the source (``text.name_keeping``) is still missing, the answer may not
  end (the end-of-turn tokens are masked), and at the next sentence or clause
  boundary where the model would have ended, or once only a short reserve of
  the token budget is left, the name's own tokens are written as the next
  words. Masking alone cannot keep a name the model never thinks of: a
  Chinese expansion of a 红楼梦 passage dropped 黛玉, mentioned once near its
  end, in every sample; Chinese has no capitals for the name mask to hold on to.

A :class:`Constraints` is plain data (it travels inside ``runtime.Prompt``
to the model host); :class:`TokenMask` is what the decode loop applies. It
follows the ``transformers.LogitsProcessor`` calling convention
(``mask(input_ids, scores) -> scores``) and also takes 1-D scores, which is
what ``decoding.decode_stream`` hands it. Nothing here imports torch at
module level, so the editor can build a ``Constraints`` without it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from writer_app.text import quality_checks as qc
from writer_app.text.name_keeping import RequiredName, missing_names, required_names

if TYPE_CHECKING:
    import numpy as np
    from transformers import PreTrainedTokenizerBase

# Openers of commentary (lower case, compared with the start of the answer or of a line).
META_OPENERS = (
    "this passage", "this text", "this excerpt", "this story", "this scene", "this chapter",
    "here is", "here's", "here are", "sure", "certainly", "of course", "the story", "the passage", "the text",
    "the author", "the narrator", "the excerpt", "the scene", "the chapter", "the paragraph", "the piece",
    "the writer", "this paragraph", "this piece", "this sentence", "in this", "in the passage", "in the story", "as an ai",
    "as a language", "below is", "i have rewritten", "i've rewritten", "i have revised", "i cannot", "i can't", "i'm sorry", "i am sorry",
    "rewritten", "revised", "#", "* ", "- ", "• ", "**", "1.", "1)", "summary:", "note:",
    "以下是", "下面是", "好的", "当然", "这段", "这篇", "本段", "改写", "扩写", "总结", "摘要",
)
# Summaries may speak of "this chapter" and "the story": only preambles and chat are masked.
SUMMARY_OPENERS = ("here is", "here's", "here are", "sure", "certainly", "of course", "as an ai", "#", "* ",
                   "- ", "• ", "**", "1.", "summary:", "note:", "以下是", "下面是", "好的", "当然")
# The scripts an answer may use, by the source's language (``quality_checks.detect_language``).
SCRIPTS = {"zh": ("han",), "ja": ("han", "kana"), "ko": ("hangul", "han"), "en": ("latin",)}
_NUMPY_DTYPES = ("torch.float32", "torch.float64")  # score tensors numpy can view in place
_LETTER = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ'’]")
# A token that starts a word: optional spaces and punctuation, then a capital letter.
_CAPITAL_START = re.compile(r"^([\s\"“‘'(\[—–-]*)([A-ZÀ-ÖØ-Þ])")
_SENTENCE_END = re.compile(r"(?:[.!?…:][\"”’)\]]*|\n)\s*[\"“‘'(\[—–-]*$")
# Capitalised anywhere without being names ("I", "Mr"): quality_checks' own list.
_NOT_NAMES = tuple(w for w in qc.NOT_NAMES if w.isalpha())
_COMMON_STARTS = tuple(qc.COMMON_STARTS)
# The tasks whose answers must keep the source's names (the same as the "names" hard check's).
KEEP_NAMES_TASKS = ("rewrite", "expand", "shorten")
# Tokens left, beyond a missing name's own, for the sentence it is written into to end in: the
# cleaning drops a half sentence at the end of the answer, and the name with it.
NAME_RESERVE_TOKENS = {"han": 24, "latin": 16}
# ...and at least this share of the budget: a missing name is written at the first boundary past
# 60 % of it (the model's Chinese sentences run long, and a later boundary may never come).
NAME_RESERVE_SHARE = 0.4
# Where a name may be written as the next words: after a sentence's or a clause's end.
_NAME_BOUNDARY = re.compile(r"(?:[。！？；，：、]|[.!?;,:][\"”’)]*|\n)\s*[\"“‘「]?$")


@dataclass(frozen=True)
class Constraints:
    """What one answer must not do; built by ``tasks`` from the request, applied by the runtime."""

    scripts: tuple[str, ...] = ()  # the scripts the answer's letters may be in (empty: any)
    allowed_words: tuple[str, ...] = ()  # words a capitalised word may become (source, bible)
    guard_names: bool = False  # apply ``allowed_words`` to capitalised words
    openers: tuple[str, ...] = ()  # lower-case line openers that must not be completed
    # Whether the answer's own start is a line start (not for Continue, which carries on mid-sentence:
    # "She was" + " sure" is prose there; its later lines are guarded).
    openers_at_start: bool = True
    required: tuple[RequiredName, ...] = ()  # names the answer may not end without

    def active(self) -> bool:
        return bool(self.scripts) or self.guard_names or bool(self.openers) or bool(self.required)


def for_source(task: str, source: str, known: list[str],
               aliases: dict[str, list[str]] | None = None) -> Constraints:
    """The constraints for ``task`` on ``source`` (``known``: the story bible's names and aliases;
    ``aliases``: each bible name's aliases, so that "Lizzy" keeps "Elizabeth")."""
    language = qc.detect_language(source)
    required = required_names(source, known, aliases) if task in KEEP_NAMES_TASKS else ()
    guard_names = task in ("rewrite", "expand", "shorten", "summarise") and language == "en"
    words: tuple[str, ...] = ()
    if guard_names:
        words = tuple(sorted({w.lower() for w in re.findall(r"[^\W\d_][\w'’-]*", source + "\n" + "\n".join(known))}))
    openers = SUMMARY_OPENERS if task == "summarise" else META_OPENERS if task != "brainstorm" else ()
    return Constraints(SCRIPTS.get(language, ()), words, guard_names, openers, task != "continue", required)


@dataclass(frozen=True)
class _Vocabulary:
    """Each token's text, analysed once per tokenizer (about 2 s for SmolLM2's 49k tokens)."""

    size: int
    scripts: tuple[frozenset[str], ...]  # each token's letters' scripts
    capital_word: dict[int, tuple[str, bool]]  # id -> (the capitalised word's letters in it, a sentence ends before)
    by_lead: dict[str, list[tuple[int, bool]]]  # a token's leading letters (lower case) -> (id, the word ends in it)
    letter_led: tuple[int, ...]  # ids that start with a letter (after a letter, they continue the word)
    word_breaking: tuple[int, ...]  # ids that start with something other than a letter (they end a word)
    partial: tuple[int, ...]  # ids that start with a piece of a character (a byte of "ĭ": U+FFFD decoded)
    sorted_lower: tuple[list[str], list[int]]  # the lower-cased texts in order, and their ids
    sorted_stripped: tuple[list[str], list[int]]  # the same without leading spaces


_VOCABULARIES: dict[int, _Vocabulary] = {}


def _sorted(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    pairs.sort()
    return [text for text, _ in pairs], [index for _, index in pairs]


def _vocabulary(tokenizer: PreTrainedTokenizerBase) -> _Vocabulary:
    key = id(tokenizer)
    if key not in _VOCABULARIES:
        size = len(tokenizer)
        special = set(getattr(tokenizer, "all_special_ids", []) or [])
        texts = tuple("" if i in special else tokenizer.decode([i]) for i in range(size))
        capital: dict[int, tuple[str, bool]] = {}
        by_lead: dict[str, list[tuple[int, bool]]] = {}
        letter_led, breaking, partial = [], [], []
        for index, text in enumerate(texts):
            if not text:
                continue
            match = _CAPITAL_START.match(text)
            if match:
                letters = re.match(r"[^\W\d_]*", text[match.start(2):]).group(0)
                capital[index] = (letters, bool(re.search(r"[.!?…\n]", match.group(1))))
            if _LETTER.match(text):
                lead = re.match(r"[^\W\d_'’]*", text).group(0)
                by_lead.setdefault(lead.lower(), []).append((index, len(lead) < len(text)))
                letter_led.append(index)
            elif text[0] != "\ufffd":
                breaking.append(index)
            else:
                partial.append(index)
        _VOCABULARIES[key] = _Vocabulary(
            size, tuple(frozenset(filter(None, map(qc.script_of, t))) for t in texts), capital, by_lead,
            tuple(letter_led), tuple(breaking), tuple(partial),
            _sorted([(t.lower(), i) for i, t in enumerate(texts) if t]),
            _sorted([(t.lstrip(" \t").lower(), i) for i, t in enumerate(texts) if t.lstrip(" \t")]))
    return _VOCABULARIES[key]


def _starting_with(table: tuple[list[str], list[int]], prefix: str) -> list[int]:
    """The ids whose text starts with ``prefix`` (a range of the sorted texts)."""
    texts, ids = table
    return ids[bisect.bisect_left(texts, prefix):bisect.bisect_left(texts, prefix + "\U0010ffff")]


@lru_cache(maxsize=32)
def _word_sets(words: tuple[str, ...], sentence_start: bool) -> tuple[frozenset[str], frozenset[str]]:
    """(complete words, every prefix of them) a capitalised word may be or become."""
    complete = set(words) | set(_NOT_NAMES)
    if sentence_start:
        complete |= set(_COMMON_STARTS)
    prefixes = {word[:end] for word in complete for end in range(1, len(word) + 1)}
    return frozenset(complete), frozenset(prefixes)


class TokenMask:
    """Masks (sets to -inf) the tokens ``constraints`` forbids at the current step.

    ``input_ids``: the tokens generated so far in this answer (not the prompt);
    ``opening``: the answer's start already in the prompt (``tasks.answer_opening``),
    which the masks read as written.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, constraints: Constraints, opening: str = "",
                 stop_ids: Iterable[int] = (), max_new_tokens: int = 0) -> None:
        # The masks are numpy arrays, not torch tensors: torch splits any op over more than 32,768
        # elements (the vocabulary has 49k) across its threads, and on a busy two-core machine that
        # hand-off cost 30-40 ms a step, several times the model's own step. numpy does these
        # few boolean passes on one thread in tens of microseconds.
        import numpy as np

        self.tokenizer = tokenizer
        self.constraints = constraints
        self.opening = opening
        self.vocab = vocab = _vocabulary(tokenizer)
        fixed = np.zeros(vocab.size, dtype=bool)
        if constraints.scripts:
            allowed = set(constraints.scripts)
            fixed[[i for i, found in enumerate(vocab.scripts) if found - allowed]] = True
        self._letter_led = np.zeros(vocab.size, dtype=bool)
        self._letter_led[list(vocab.letter_led)] = True
        self._word_breaking = np.zeros(vocab.size, dtype=bool)
        self._word_breaking[list(vocab.word_breaking)] = True
        self._partial = np.zeros(vocab.size, dtype=bool)
        self._partial[list(vocab.partial)] = True
        # The step's base mask by (sentence start, right after a letter): the script mask and the
        # capitalised word starts that no allowed word begins with.
        self._base: dict[tuple[bool, bool], np.ndarray] = {}
        mid, opening_words = (_word_sets(constraints.allowed_words, start)[1] for start in (False, True))
        for start in (False, True):
            mask = fixed.copy()
            if constraints.guard_names:
                # A token with a sentence end before its word (".\nThe") opens a sentence itself.
                mask[[i for i, (letters, ends_sentence) in vocab.capital_word.items()
                      if letters.lower() not in (opening_words if start or ends_sentence else mid)]] = True
            self._base[(start, False)] = mask
            self._base[(start, True)] = fixed | (mask & ~self._letter_led)  # a letter after a letter continues
        self._openers: dict[str, list[int]] = {}  # banned ids by the line written so far
        # Required names: the end-of-turn tokens (masked while a name is missing), the answer's token
        # budget (0: unknown), and the name being written now, (answer length when it began, its ids).
        self._stops = sorted(i for i in stop_ids if 0 <= i < vocab.size)
        self.max_new_tokens = max_new_tokens
        self._writing: tuple[int, list[int]] | None = None
        self.names_written = 0  # names this mask wrote into the answer (for tests and figures)

    def _text(self, generated: list[int]) -> str:
        return self.opening + (self.tokenizer.decode(generated, skip_special_tokens=True) if generated else "")

    def step_mask(self, generated: list[int]) -> np.ndarray:
        """True for every token forbidden after ``generated`` (the answer's tokens so far)."""
        text = self._text(generated)
        after_letter = bool(text) and bool(_LETTER.match(text[-1]))
        start = not text.strip() or bool(_SENTENCE_END.search(text[-12:]))
        mask = self._base[(start, after_letter)]
        if self.constraints.guard_names and after_letter:
            word_match = re.search(r"([^\W\d_][\w'’-]*)$", text)
            word = word_match.group(1) if word_match else ""
            if word and word[0].isupper():
                mask = mask | self._inside_capital_word(word, text[: len(text) - len(word)])
        if self.constraints.openers:
            banned = self._opener_ids(text)
            if banned:
                mask = mask.copy()
                mask[banned] = True
        return mask

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        ids = input_ids.tolist() if hasattr(input_ids, "tolist") else list(input_ids)
        if ids and isinstance(ids[0], list):
            ids = ids[0]
        flat = scores if scores.dim() == 1 else scores[0]
        mask = self.step_mask(ids)
        if self.constraints.required and self._stops:
            mask = self._keep_names(ids, flat, mask)
        if mask.all():
            return scores  # never leave the model nothing to write: the checks still judge the answer
        if flat.device.type == "cpu" and str(flat.dtype) in _NUMPY_DTYPES and flat.is_contiguous():
            values = flat.detach().numpy()  # the same memory: no copy, no torch thread hand-off
            if values[~mask].max() == float("-inf"):
                return scores
            values[mask] = float("-inf")
        else:
            import torch

            masked = flat.masked_fill(torch.from_numpy(mask).to(flat.device), float("-inf"))
            if float(masked.max()) == float("-inf"):
                return scores
            flat.copy_(masked)
        return scores

    def _inside_capital_word(self, word: str, before: str) -> np.ndarray:
        """While a capitalised word is being written: only ways to finish it as an allowed word."""
        start = not before.strip() or bool(_SENTENCE_END.search(before[-12:]))
        complete, _ = _word_sets(self.constraints.allowed_words, start)
        lowered = word.lower()
        allowed: list[int] = []
        for target in complete:
            if len(target) <= len(lowered) or not target.startswith(lowered):
                continue
            rest = target[len(lowered):]
            for end in range(1, len(rest) + 1):
                allowed += [i for i, ends in self.vocab.by_lead.get(rest[:end], ()) if not ends or end == len(rest)]
        mask = self._letter_led.copy()
        mask[allowed] = False
        if lowered not in complete:
            mask |= self._word_breaking  # "Em" may not end here
        # A byte of a letter the checks do not read as one ("Ri" + the bytes of "ĭnĭ") would end the
        # word where it may not end: masked, unless an allowed word goes on with a non-ASCII letter.
        if not any(len(t) > len(lowered) and t.startswith(lowered) and ord(t[len(lowered)]) > 127
                   for t in complete):
            mask |= self._partial
        return mask

    def _opener_ids(self, text: str) -> list[int]:
        """The tokens that would complete a commentary opener on the line being written."""
        if not self.constraints.openers_at_start and "\n" not in text:
            return []
        line = text.rpartition("\n")[2].lstrip().lower()
        if line not in self._openers:
            table = self.vocab.sorted_lower if line else self.vocab.sorted_stripped
            banned: list[int] = []
            for phrase in self.constraints.openers:
                if len(phrase) > len(line) and phrase.startswith(line):
                    banned += _starting_with(table, phrase[len(line):])
            self._openers[line] = banned
        return self._openers[line]

    def _name_ids(self, name: RequiredName, text: str) -> list[int]:
        """The fewest tokens that write one of ``name``'s forms as the next words after ``text``."""
        spaced = bool(text) and not text[-1].isspace() and text[-1] not in "\"“‘「("
        best: list[int] = []
        for form in name.forms:
            latin = not qc.is_cjk(form)
            ids = self.tokenizer.encode((" " if spaced and latin else "") + form, add_special_tokens=False)
            if ids and (not best or len(ids) < len(best)):
                best = ids
        return best

    def _keep_names(self, generated: list[int], scores: Any, mask: np.ndarray) -> np.ndarray:
        """No end while a required name is missing; at a boundary where the model would end, or when
        only the reserve is left, the name itself is written (one token allowed a step).

        Why write it rather than nudge: a 135M model that has "finished" a
        shortened passage without 黛玉 does not bring her up because it
        may not stop; it writes filler. At a sentence or clause end, the name
        as the next words starts a sentence about her, which the model then
        finishes in its own words.
        """
        import numpy as np

        if self._writing is not None:
            start, ids = self._writing
            done = len(generated) - start
            if 0 <= done < len(ids) and generated[start:] == ids[:done]:
                only = np.ones(self.vocab.size, dtype=bool)
                only[ids[done]] = False
                return only
            self._writing = None
        text = self._text(generated)
        remaining = self.max_new_tokens - len(generated) if self.max_new_tokens else None
        missing = missing_names(self.constraints.required, text)
        if not missing:
            if remaining is not None:
                return self._end_sentence_for_names(generated, text, remaining, mask)
            return mask
        ids = self._name_ids(missing[0], text)
        if not ids or (remaining is not None and remaining < len(ids) + 2):
            return mask  # too late to write it: let the answer end (the check will say what is missing)
        values = scores.detach().to("cpu", copy=False).float().numpy() if hasattr(scores, "detach") else scores
        free = values[~mask]
        wants_end = free.size > 0 and float(values[self._stops].max()) >= float(free.max())
        mask = mask.copy()
        mask[self._stops] = True
        reserve = max(NAME_RESERVE_TOKENS["han" if qc.is_cjk(missing[0].forms[0]) else "latin"],
                      int(NAME_RESERVE_SHARE * self.max_new_tokens))
        short = remaining is not None and remaining <= sum(len(self._name_ids(n, text)) for n in missing) + reserve
        at_boundary = not text.strip() or bool(_NAME_BOUNDARY.search(text[-6:]))
        last_chance = remaining is not None and remaining <= len(ids) + 4 and (
            qc.is_cjk(missing[0].forms[0]) or not text or not text[-1].isalpha())
        if (at_boundary and (wants_end or short)) or last_chance:
            self.names_written += 1
            return self._write(generated, ids)
        return mask

    def _write(self, generated: list[int], ids: list[int]) -> np.ndarray:
        """Start writing ``ids`` as the next tokens: only the first is allowed now, the rest later."""
        import numpy as np

        self._writing = (len(generated), ids)
        only = np.ones(self.vocab.size, dtype=bool)
        only[ids[0]] = False
        return only

    def _end_sentence_for_names(self, generated: list[int], text: str, remaining: int,
                                mask: np.ndarray) -> np.ndarray:
        """At the budget's last tokens, close a sentence that holds a required name.

        The cleaning drops a half sentence at the end of an answer; when the
        only mention of a name is in it, that would drop the name. A full
        stop there costs one token and keeps it.
        """
        if remaining > 2 or not text.strip():
            return mask
        ends = [m.end() for m in re.finditer(r"[.!?…][\"”’)]?(?=\s)|[。！？][”’」』）]?", text)]
        head = text[: ends[-1]] if ends else ""
        if text.rstrip()[-1:] in ".!?…\"”’*)。！？」』" or len(head) < 0.4 * len(text):
            return mask  # it ends a sentence already, or the cleaning keeps the half sentence
        if not missing_names(self.constraints.required, head):
            return mask
        stop = self.tokenizer.encode("。" if qc.is_cjk(text[-20:]) else ".", add_special_tokens=False)
        if not stop or len(stop) > remaining:
            return mask
        return self._write(generated, stop)
