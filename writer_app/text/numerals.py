"""Chapter numbers as books write them: 12, XII, Twelve, the Twelfth, 十二, 第十二.

Heading detection needs the value of a number to tell a sequence of chapter
headings (1, 2, 3 ...) from a stray numeral; each reader returns ``None`` for
anything that is not a number of its kind, so callers can try them in turn.
"""

from __future__ import annotations

import re

_ROMAN = re.compile(r"^M{0,4}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_ORDINAL_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
}
_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
                 "seventieth": 70, "eightieth": 80, "ninetieth": 90}
NUMBER_WORDS = sorted([*_UNITS, *_TENS, *_ORDINAL_UNITS, *_ORDINAL_TENS, "hundred", "hundredth", "and"],
                      key=len, reverse=True)

_CJK_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2,
               "三": 3, "叁": 3, "參": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "陸": 6,
               "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_CJK_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10000, "萬": 10000}
CJK_NUMERAL_CHARS = "".join(_CJK_DIGITS) + "".join(_CJK_UNITS) + "0123456789０１２３４５６７８９"


def roman_value(token: str) -> int | None:
    """XIV -> 14; the token must be a well-formed numeral in one case ("Mix" is not 1009)."""
    if not token or not (token.isupper() or token.islower()):
        return None
    upper = token.upper()
    if not _ROMAN.match(upper):
        return None
    total = 0
    for index, char in enumerate(upper):
        value = _ROMAN_VALUES[char]
        following = _ROMAN_VALUES[upper[index + 1]] if index + 1 < len(upper) else 0
        total += -value if value < following else value
    return total


def arabic_value(token: str) -> int | None:
    """"12" (ASCII or full-width digits) -> 12."""
    if not token or len(token) > 5:
        return None
    try:
        return int(token) if all(c.isdigit() for c in token) else None
    except ValueError:
        return None


def word_value(phrase: str) -> int | None:
    """"Twenty-One", "the twenty-first", "One Hundred and Five" -> 21, 21, 105 (cardinal or ordinal)."""
    words = [w for w in re.split(r"[\s\-]+", phrase.strip().casefold()) if w]
    if words and words[0] == "the":
        words = words[1:]
    if not words:
        return None
    total = current = 0
    seen = False
    for index, word in enumerate(words):
        last = index == len(words) - 1
        if word == "and" and seen and not last:
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS and current % 100 == 0:
            current += _TENS[word]
        elif word in ("hundred", "hundredth") and 0 < current < 10:
            current *= 100
        elif last and word in _ORDINAL_UNITS:
            current += _ORDINAL_UNITS[word]
        elif last and word in _ORDINAL_TENS and current % 100 == 0:
            current += _ORDINAL_TENS[word]
        else:
            return None
        seen = True
    total += current
    return total if seen and total > 0 else None


def cjk_value(token: str) -> int | None:
    """十二 -> 12, 一百零五 -> 105, 廿 is not handled; ASCII/full-width digits work too."""
    if not token:
        return None
    digits = arabic_value(token)
    if digits is not None:
        return digits
    total = section = number = 0
    seen = False
    for char in token:
        if char in _CJK_DIGITS:
            number = _CJK_DIGITS[char]
            seen = True
        elif char in _CJK_UNITS:
            unit = _CJK_UNITS[char]
            if unit == 10000:
                total += (section + number) * unit
                section = number = 0
            else:
                section += (number or 1) * unit
                number = 0
            seen = True
        else:
            return None
    value = total + section + number
    return value if seen and value > 0 else None
