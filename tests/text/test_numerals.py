"""Chapter numbers as books write them."""

import pytest

from writer_app.text.numerals import arabic_value, cjk_value, roman_value, word_value


@pytest.mark.parametrize(("token", "value"), [("I", 1), ("iv", 4), ("XIV", 14), ("XLII", 42), ("MCMXC", 1990),
                                              ("IIII", None), ("Mix", None), ("VX", None), ("", None)])
def test_roman(token, value):
    assert roman_value(token) == value


@pytest.mark.parametrize(("phrase", "value"), [
    ("One", 1), ("twelve", 12), ("Twenty-One", 21), ("twenty one", 21), ("the First", 1),
    ("the Twenty-Second", 22), ("One Hundred and Five", 105), ("Ninetieth", 90), ("first one", None),
    ("and", None), ("house", None), ("the", None)])
def test_words(phrase, value):
    assert word_value(phrase) == value


@pytest.mark.parametrize(("token", "value"), [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("一百零五", 105),
                                              ("一百二十", 120), ("12", 12), ("１２", 12), ("两", 2), ("回", None)])
def test_cjk(token, value):
    assert cjk_value(token) == value


def test_arabic():
    assert arabic_value("07") == 7 and arabic_value("x1") is None and arabic_value("123456") is None
