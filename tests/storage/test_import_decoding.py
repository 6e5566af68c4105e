"""Import decodes honestly: short CJK legacy texts come out right, damaged UTF-8 is offered, not
refused as "not UTF-8", and garbled guesses are refused naming the guess."""

from __future__ import annotations

from pathlib import Path

import pytest

from writer_app.errors import UserError
from writer_app.storage.decoding import (
    InvalidBytesError,
    decode_manuscript,
    looks_double_byte,
    looks_like_mojibake,
)
from writer_app.storage.importer import import_path
from writer_app.text.unwrap import unwrap

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Sentences that charset-normalizer alone read as Hangul, Thai or Latin mojibake.
GB18030_SENTENCES = ["此开卷第一回也．", "一局输赢料不真，香销茶尽尚逡巡．", "座上珠玑昭日月，堂前黼黻焕烟霞．",
                     "雨村笑道：“果然奇异．", "当下，奶娘来请问黛玉之房舍．"]
BIG5_SENTENCES = ["話說天下大勢，分久必合，合久必分。", "周末七國分爭，并入於秦。及秦滅之後，楚、漢分爭，又并入於漢。"]
SHIFT_JIS_SENTENCES = ["吾輩は猫である。名前はまだ無い。", "国境の長いトンネルを抜けると雪国であった。"]
EUC_KR_SENTENCES = ["대한민국은 민주공화국이다. 대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다."]


def _only_text(lib, project):
    [node] = lib.nodes(project.id)
    return lib.get_text(node.id)


@pytest.mark.parametrize(("encoding", "text"), [
    *[("gb18030", s) for s in GB18030_SENTENCES],
    *[("big5", s) for s in BIG5_SENTENCES],
    *[("shift_jis", s) for s in SHIFT_JIS_SENTENCES],
    *[("euc_kr", s) for s in EUC_KR_SENTENCES],
])
def test_short_cjk_legacy_texts_import_as_written(lib, tmp_path, encoding, text):
    path = tmp_path / "short.txt"
    path.write_bytes(text.encode(encoding))
    assert _only_text(lib, import_path(lib, path)) == text


def test_a_few_sentences_of_hongloumeng_in_gbk_and_gb18030(lib, tmp_path):
    chapter = (FIXTURES / "hongloumeng-ch1-10.txt").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in chapter.split("\n") if len(p.strip()) > 40]
    for index, paragraph in enumerate(paragraphs[:12]):
        sentences = paragraph.split("．")[:2]
        text = "．".join(sentences) + "．"
        for encoding in ("gbk", "gb18030"):
            path = tmp_path / f"p{index}-{encoding}.txt"
            path.write_bytes(text.encode(encoding))
            assert decode_manuscript(path.read_bytes(), path.name).text == text


def test_latin_code_pages_still_win_for_latin_text():
    for text, encoding in [("Café society: naïve Zoë’s résumé — “déjà vu”.", "cp1252"), ("El niño", "cp1252"),
                           ("Straße", "cp1252"), ("Все счастливые семьи похожи друг на друга.", "cp1251")]:
        assert decode_manuscript(text.encode(encoding), "x.txt").text == text


def test_utf8_with_one_bad_byte_is_offered_with_the_count(lib, tmp_path):
    novel = (FIXTURES / "pride-and-prejudice.txt").read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    text = "\n".join(line for line in novel[5000:9000].split("\n") if not line.lower().startswith("chapter"))
    data = bytearray(text.encode("utf-8"))
    data[2000] = 0xFF
    path = tmp_path / "damaged.txt"
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidBytesError, match="UTF-8 text with 1 invalid byte sequence; import with "
                                                "--replace-invalid") as refused:
        import_path(lib, path)
    assert refused.value.count == 1 and "save it as UTF-8" not in str(refused.value)
    assert lib.list_projects() == []
    stored = _only_text(lib, import_path(lib, path, replace_invalid=True))
    assert stored.count("\ufffd") == 1
    expected = bytes(data).decode("utf-8", errors="replace").strip()
    assert stored == unwrap(expected).text  # the 72-column hard wraps are undone, nothing else changes
    assert stored.split() == expected.split()


def test_a_truncated_gb18030_file_is_offered_too():
    text = "此开卷第一回也．作者自云：因曾历过一番梦幻之后，故将真事隐去，而借通灵之说，撰此石头记一书也．"
    data = text.encode("gb18030")[:-1]  # a copy cut off half-way through the last character
    with pytest.raises(InvalidBytesError, match="GB18030 text with 1 invalid byte sequence"):
        decode_manuscript(data, "x.txt")
    decoded = decode_manuscript(data, "x.txt", replace_invalid=True)
    assert (decoded.encoding, decoded.replaced) == ("gb18030", 1)
    assert decoded.text == text[:-1] + "\ufffd"


def test_a_folder_with_damaged_files_is_refused_with_the_total(lib, tmp_path):
    book = tmp_path / "Book"
    book.mkdir()
    for name in ("a.txt", "b.txt"):
        (book / name).write_bytes("“Quoted” words — and more. ".encode() * 20 + b"\xff" + b" end")
    (book / "c.txt").write_text("clean", encoding="utf-8")
    with pytest.raises(InvalidBytesError, match=r"2 files in Book \(a\.txt, b\.txt\) are text with 2 invalid"):
        import_path(lib, book)
    project = import_path(lib, book, replace_invalid=True)
    assert sum(lib.get_text(n.id).count("\ufffd") for n in lib.nodes(project.id)) == 2


def test_mojibake_detectors_on_real_text():
    chinese = "\n".join(["你好，世界。", "今天天气很好，我们去公园散步吧。", "他说：“明天见。”"]).encode("gbk")
    assert looks_double_byte(chinese)
    assert looks_like_mojibake(chinese.decode("cp1252", errors="replace"), len(chinese))
    for text, encoding in [("Café society: naïve Zoë’s résumé — “déjà vu” for the façade. " * 5, "cp1252"),
                           ("Über den Dächern Münchens wehte ein kühler Wind, die Straßen waren leer. " * 5, "cp1252"),
                           ("A ação da cidade é famosa pelas canções e informações. " * 5, "cp1252"),
                           ("Все счастливые семьи похожи друг на друга. " * 5, "cp1251")]:
        data = text.encode(encoding)
        assert not looks_double_byte(data), text
        assert not looks_like_mojibake(text, len(data)), text


def test_random_high_bytes_are_still_refused(lib, tmp_path):
    import random

    rng = random.Random(7)
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes(rng.randrange(0x80, 0x100) for _ in range(5000)))
    with pytest.raises(UserError, match="encoding"):
        import_path(lib, path)
    assert lib.list_projects() == []


def test_the_cli_names_the_count_and_the_option(capsys, tmp_path):
    from writer_app.cli import main

    path = tmp_path / "scene.txt"
    path.write_bytes("“It is a truth,” she said — “universally acknowledged.” ".encode() * 10 + b"\xc3(" + b" The end.")
    data = tmp_path / "profile"
    assert main(["import", str(path), "--data-dir", str(data)]) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "1 invalid byte sequence" in err and "--replace-invalid" in err
    assert main(["import", str(path), "--replace-invalid", "--data-dir", str(data)]) == 0
    out, err = capsys.readouterr()
    assert "imported into “scene”: 1 documents" in out
    assert "note: scene.txt: 1 invalid byte sequence replaced with \ufffd" in err
