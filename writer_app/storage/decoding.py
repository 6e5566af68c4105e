"""Turn a manuscript file's bytes into text, honestly.

The order matters, and each step exists because a guesser alone got real
files wrong:

1. A UTF-32/UTF-16 byte-order mark says what the file is.
2. Binary files (NULs, control bytes) are refused.
3. Strict UTF-8 (with or without BOM): nearly every file written this century.
4. *Mostly* UTF-8 (many valid multi-byte sequences, a few broken ones: a
   truncated copy, a bad sector, a stray Latin-1 byte pasted in) is not a
   legacy file; it is refused with the number of bad bytes, unless the caller
   asked to replace them with U+FFFD (``replace_invalid``), in which case the
   count is reported back.
5. East Asian legacy encodings (GB18030/GBK, Big5, Shift-JIS, EUC-KR, EUC-JP):
   charset-normalizer guesses wrong on short CJK texts (a few sentences of
   GB18030 came out as Thai or Latin mojibake), so each is tried strictly and
   scored by how much of the result lies in that encoding's core repertoire
   (the level-1 characters and punctuation real text is made of, found by
   encoding each character back) and how much of it is the language's most
   common characters. A strong CJK reading wins over any Latin code page.
6. Otherwise charset-normalizer's guess (Windows-1252 preferred among
   look-alike Latin code pages), then a mojibake check: text whose accented
   letters come in long runs (what UTF-8 or CJK bytes look like through a
   Latin code page) is refused, naming the guessed encoding, rather than
   imported garbled.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from writer_app.errors import UserError

REPLACEMENT = "\ufffd"
_SINGLE_BYTE_LATIN = re.compile(r"^(cp12[0-9]{2}|iso8859_[0-9]+|latin_1|mac_[a-z0-9]+|cp775|cp85[0-9]|hp_roman8)$")
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_HIGH = re.compile(rb"[\x80-\xff]")

# A CJK reading must put at least this share of its non-ASCII characters in the
# encoding's core repertoire to be believed (real text: 0.95 and up; another
# encoding's bytes read through it: well under 0.7).
MIN_CJK_CORE = 0.8
# Scoring looks at the start of the text only (the whole file must still decode strictly).
SCORE_SAMPLE_CHARS = 50_000
# Mostly UTF-8: at least this many valid multi-byte sequences per broken one.
UTF8_VALID_PER_INVALID = 3

# The most frequent Chinese characters (simplified and traditional forms), and
# CJK punctuation; a GB or Big5 reading of real Chinese is full of them, a
# reading of Korean or Japanese bytes through a Chinese code page is not.
_COMMON_HAN = set(
    "的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对生能而子那得于着下自之年过发后作里"
    "用道行所然家种事成方多经么去法学如都同现当没动面起看定天分还她很把些心只两又见此知老好"
    "這個們來為國說時會對於著過發後裡經麼學現當沒動還見兩隻裏"
)
# The most frequent Hangul syllables: real Korean is half made of them, Chinese GB bytes read
# through EUC-KR land on rare syllables.
_COMMON_HANGUL = set(
    "이다는의에고하가을지로한기서사리도어자대일아정국인나시수해부들게있으주제장전과그적것보여상라를만원면성은"
    "구무소거경연방니내위오동우조마화문실생비식러까던요않했습니까였며또더없중개모분간신회학"
)
_CJK_PUNCTUATION = set("，。、；：？！“”‘’「」『』《》〈〉（）…—·～〔〕【】")
_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7a3]")


ENCODING_LABELS = {"utf-8": "UTF-8", "gb18030": "GB18030", "big5": "Big5", "cp932": "Shift-JIS",
                   "euc_kr": "EUC-KR", "euc_jp": "EUC-JP"}


class InvalidBytesError(UserError):
    """Mostly UTF-8 (or a CJK encoding) with ``count`` broken sequences: importable with them
    replaced by U+FFFD."""

    def __init__(self, name: str, count: int, files: list[str] | None = None, encoding: str = "utf-8") -> None:
        self.count = count
        self.files = files or [name]
        self.encoding = encoding
        label = ENCODING_LABELS.get(encoding, encoding)
        noun = "byte sequence" if count == 1 else "byte sequences"
        if files:
            listed = ", ".join(files[:3]) + (", …" if len(files) > 3 else "")
            what = f"{len(files)} file{'s' if len(files) != 1 else ''} in {name} ({listed}) are text with " \
                   f"{count:,} invalid {noun} in all"
        else:
            what = f"{name} is {label} text with {count:,} invalid {noun}"
        super().__init__(f"{what}; import with --replace-invalid to replace "
                         f"{'it' if count == 1 else 'them'} with \ufffd (the rest of the text is kept)")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    replaced: int = 0  # invalid sequences replaced by U+FFFD (only with replace_invalid)


def decode_manuscript(data: bytes, name: str, replace_invalid: bool = False) -> Decoded:
    """The text of a manuscript file, or a UserError saying why it cannot be read."""
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return Decoded(data.decode(encoding), encoding)
            except UnicodeDecodeError as exc:
                label = "UTF-32" if "32" in encoding else "UTF-16"
                raise UserError(f"{name} says it is {label} but is not valid {label}") from exc
    sample = data[:65536]
    if b"\x00" in sample or len(_CONTROL.findall(sample)) > max(8, len(sample) // 200):
        raise UserError(f"{name} is not a text file (it looks binary); import .txt or .md manuscripts")
    try:
        return Decoded(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError:
        pass
    lenient = data.decode("utf-8-sig", errors="replace")
    invalid = lenient.count(REPLACEMENT) - data.count(REPLACEMENT.encode("utf-8"))
    non_ascii = len(lenient) - len(lenient.encode("ascii", "ignore"))
    valid_multibyte = non_ascii - lenient.count(REPLACEMENT)
    if valid_multibyte >= UTF8_VALID_PER_INVALID * invalid:
        if not replace_invalid:
            raise InvalidBytesError(name, invalid)
        return Decoded(lenient, "utf-8", replaced=invalid)
    cjk = best_cjk_reading(data)
    if cjk is not None:
        return cjk
    damaged = best_cjk_reading(data, lenient=True)
    if damaged is not None:  # GB18030 (say) with a byte or two broken: not a Latin file
        if not replace_invalid:
            raise InvalidBytesError(name, damaged.replaced, encoding=damaged.encoding)
        return damaged
    return _guess_legacy(data, name)


def _core(ch: str, encoding: str) -> float:
    """1 for a character of the encoding's core repertoire, 0.5 for its rarer level, else 0."""
    if ch in _CJK_PUNCTUATION:
        return 1.0
    if encoding in ("cp932", "euc_jp") and _KANA.match(ch):
        return 1.0
    if encoding == "euc_kr" and _HANGUL.match(ch):
        return 1.0
    probe = {"gb18030": "gb2312", "big5": "big5", "cp932": "cp932", "euc_kr": "euc_kr", "euc_jp": "euc_jp"}[encoding]
    try:
        raw = ch.encode(probe)
    except UnicodeEncodeError:
        return 0.0
    if len(raw) != 2:
        return 0.0
    code = raw[0] << 8 | raw[1]
    if encoding == "gb18030":  # GB2312: symbols A1-A9, level-1 hanzi B0-D7, level 2 D8-F7
        return 1.0 if 0xB0A1 <= code <= 0xD7FE or raw[0] <= 0xA3 else 0.5 if code >= 0xD8A1 else 0.0
    if encoding == "big5":  # symbols A140-A3BF, level 1 A440-C67E, level 2 C940-F9D5
        return 1.0 if code <= 0xC67E else 0.5 if code >= 0xC940 else 0.0
    if encoding == "cp932":  # symbols 8140-84BE, JIS level 1 889F-9872, level 2 989F-EAA4
        return 1.0 if code <= 0x84BE or 0x889F <= code <= 0x9872 else 0.5 if 0x989F <= code <= 0xEAA4 else 0.0
    if encoding == "euc_jp":  # symbols A1-A2 rows, level 1 B0A1-CFD3, level 2 D0A1-F4A6
        return 1.0 if code <= 0xA2FE or 0xB0A1 <= code <= 0xCFD3 else 0.5 if 0xD0A1 <= code <= 0xF4A6 else 0.0
    # euc_kr: symbols A1A1-ACFE (Hangul syllables counted above); hanja (CAA1-FDFE) are rare in
    # modern Korean but are what Chinese GB bytes turn into through EUC-KR, so they do not count.
    return 1.0 if code <= 0xACFE else 0.0


def _common(ch: str, encoding: str) -> bool:
    if ch in _CJK_PUNCTUATION:
        return True
    if encoding in ("cp932", "euc_jp"):
        return bool(_KANA.match(ch))
    if encoding == "euc_kr":
        return ch in _COMMON_HANGUL
    return ch in _COMMON_HAN


CJK_ENCODINGS = ("gb18030", "big5", "cp932", "euc_kr", "euc_jp")


def best_cjk_reading(data: bytes, lenient: bool = False) -> Decoded | None:
    """The CJK decoding whose text looks most like real CJK prose, if any looks real.

    Strict by default; ``lenient`` lets a few invalid sequences through (at most one
    per 50 CJK characters), replaced by U+FFFD and counted in ``Decoded.replaced``.
    """
    best: tuple[float, float, int] | None = None
    chosen: Decoded | None = None
    for rank, encoding in enumerate(CJK_ENCODINGS):
        try:
            text = data.decode(encoding, errors="replace" if lenient else "strict")
        except UnicodeDecodeError:
            continue
        bad = text.count(REPLACEMENT) if lenient else 0
        wide = [ch for ch in text[:SCORE_SAMPLE_CHARS] if ord(ch) > 0x7F and not ch.isspace() and ch != REPLACEMENT]
        if len(wide) < 2 or bad > max(1, len(wide) // 50):
            continue
        core = sum(_core(ch, encoding) for ch in wide) / len(wide)
        if core < MIN_CJK_CORE:
            continue
        common = sum(_common(ch, encoding) for ch in wide) / len(wide)
        score = (common, core, -rank)
        if best is None or score > best:
            best, chosen = score, Decoded(text, encoding, replaced=bad)
    return chosen


def _guess_legacy(data: bytes, name: str) -> Decoded:
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None or best.encoding is None:
        raise UserError(f"could not tell the text encoding of {name}; save it as UTF-8 and import again")
    encoding = best.encoding
    if _is_multibyte_cjk(encoding) or encoding.startswith(("utf_16", "utf_32")):
        # best_cjk_reading already found no CJK reading that looks like real text, and the file
        # has no BOM and no NULs: a guess like this is charset-normalizer reading a stray accented
        # letter or two as one ideograph (or "Straße" as UTF-16).
        return _latin_or_refuse(data, name, encoding)
    # Single-byte Latin code pages are nearly indistinguishable on short texts;
    # Windows-1252 is by far the most common one for manuscripts, so it wins
    # whenever it reads the file (almost) as cleanly as the top guess.
    if _SINGLE_BYTE_LATIN.match(encoding) and any(
        "cp1252" in m.could_be_from_charset and m.chaos <= best.chaos + 0.1 for m in matches
    ):
        encoding = "cp1252"
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UserError(f"could not decode {name} as {encoding}; save it as UTF-8 and import again") from exc
    if encoding != "cp1252" and _stray_foreign_letters(text[:SCORE_SAMPLE_CHARS]):
        # A Cyrillic, Greek, Arabic... code page is only right when its script fills the text;
        # one or two letters of it amid Latin words are Latin accents read the wrong way.
        return _latin_or_refuse(data, name, encoding)
    if looks_double_byte(data[:SCORE_SAMPLE_CHARS]):
        raise UserError(f"could not tell the text encoding of {name}: it looks like Chinese, Japanese or Korean "
                        f"text that no encoding for those reads cleanly, and the best guess, {encoding}, reads as "
                        "garbled text; save it as UTF-8 and import again")
    if looks_like_mojibake(text[:SCORE_SAMPLE_CHARS], len(_HIGH.findall(data[:SCORE_SAMPLE_CHARS]))):
        raise UserError(f"could not tell the text encoding of {name}: the best guess, {encoding}, "
                        "reads as garbled text; save it as UTF-8 and import again")
    return Decoded(text, encoding)


def _is_multibyte_cjk(encoding: str) -> bool:
    return bool(re.match(r"^(gb|big5|cp9[35]\d|shift_jis|euc_|johab|hz|iso2022)", encoding))


def _latin_or_refuse(data: bytes, name: str, guess: str) -> Decoded:
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = None
    if text is not None and not looks_like_mojibake(text[:SCORE_SAMPLE_CHARS],
                                                    len(_HIGH.findall(data[:SCORE_SAMPLE_CHARS]))):
        return Decoded(text, "cp1252")
    raise UserError(f"could not tell the text encoding of {name}: the best guess, {guess}, "
                    "reads as garbled text; save it as UTF-8 and import again")


def _stray_foreign_letters(text: str) -> bool:
    """Letters of a non-Latin script that make up under a fifth of the text's letters."""
    letters = [ch for ch in text if ch.isalpha()]
    foreign = sum(1 for ch in letters if ord(ch) > 0x24F)
    return 0 < foreign < 0.2 * len(letters)


_HIGH_RUN = re.compile(rb"[\x80-\xff]{2,}")


def looks_double_byte(data: bytes) -> bool:
    """Bytes laid out as a double-byte (CJK) encoding: long runs of high bytes, nearly all even.

    Through a single-byte code page such text decodes without error into Thai, Cyrillic
    or accented Latin; real text in those scripts breaks its high-byte runs at spaces
    into words of any length, odd as often as even.
    """
    runs = [len(run) for run in _HIGH_RUN.findall(data)]
    if len(runs) < 3 or sum(runs) < 24:  # too little to tell
        return False
    even = sum(1 for length in runs if length % 2 == 0)
    return even >= 0.9 * len(runs) and sum(runs) / len(runs) >= 6


_LATIN_JUNK = re.compile(r"[\u0080-\u024f\u2013-\u203a\u02c6\u02dc\u20ac\u2122]{3,}")


def looks_like_mojibake(text: str, high_bytes: int) -> bool:
    """Accented Latin letters and symbols in long runs, in a file with many high bytes.

    Real French, German or Portuguese puts an accent on one letter of a word
    ("déjà", "ção" at most two in a row); bytes of another encoding read
    through a Latin code page come out as runs like "ÃƒÂ©" or "ÄãÊÇ".
    """
    if high_bytes < 12:
        return False
    accented = sum(1 for ch in text if 0x80 <= ord(ch) and not ch.isspace()
                   and unicodedata.category(ch)[0] in "LSP" and ord(ch) < 0x2200)
    if not accented:
        return False
    in_runs = sum(len(m.group()) for m in _LATIN_JUNK.finditer(text))
    return in_runs / accented > 0.5
