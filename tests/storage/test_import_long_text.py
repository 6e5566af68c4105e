"""Pathological text is cut where the editor would choke, and nothing but the cut changes.

Behaviour only (no timings here: benchmarks/bench_large_document.py measures them):
every stored paragraph fits the limit, every document fits the word cap, the text is
the original apart from the paragraph breaks put in at the cuts, and the counts add up.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from writer_app.cli import main
from writer_app.storage.importer import import_path, plan_import
from writer_app.storage.long_text import (
    MAX_DOCUMENT_WORDS,
    MAX_PARAGRAPH_CHARS,
    split_long_paragraphs,
    split_paragraph,
    split_text_by_words,
)
from writer_app.text.counts import count_words

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def prose_sentences() -> list[str]:
    text = (FIXTURES / "pride-and-prejudice.txt").read_text(encoding="utf-8-sig")
    flat = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+", flat) if 3 < len(s) < 400 and "Chapter" not in s]


def one_paragraph(chars: int) -> str:
    sentences, out, total = prose_sentences(), [], 0
    while total < chars:
        sentence = sentences[len(out) % len(sentences)]
        out.append(sentence)
        total += len(sentence) + 1
    return " ".join(out)


def test_a_huge_single_paragraph_is_split_into_documents_and_paragraphs_losing_nothing(lib, tmp_path):
    original = one_paragraph(700_000)  # ~120,000 words in one line
    path = tmp_path / "one-breath.txt"
    path.write_text(original, encoding="utf-8")
    project = import_path(lib, path)
    nodes = lib.nodes(project.id)
    assert len(nodes) >= 3 and all(n.kind == "chapter" for n in nodes)
    assert [n.title for n in nodes] == [f"one-breath (part {i} of {len(nodes)})" for i in range(1, len(nodes) + 1)]
    texts = [lib.get_text(n.id) for n in nodes]
    assert all(len(line) <= MAX_PARAGRAPH_CHARS for t in texts for line in t.split("\n"))
    assert all(n.word_count <= MAX_DOCUMENT_WORDS for n in nodes)
    # Each cut replaced the space between two sentences with a paragraph break: undo that.
    assert " ".join(t.replace("\n", " ") for t in texts) == original
    assert sum(n.word_count for n in nodes) == count_words(original) == lib.project_word_count(project.id)
    # Cuts fall after a sentence, never inside one.
    assert all(re.search(r"[.!?][\"'”’)]*$", line) for t in texts for line in t.split("\n")[:-1])


def test_cjk_text_is_cut_after_sentence_marks_without_adding_or_losing_a_character():
    sentence = "此开卷第一回也．作者自云：因曾历过一番梦幻之后，故将真事隐去，而借“通灵”之说，撰此《石头记》一书也。"
    paragraph = sentence * 600
    out = split_paragraph(paragraph, 1000, "\n")
    lines = out.split("\n")
    assert len(lines) > 1 and all(len(line) <= 1000 for line in lines)
    assert out.replace("\n", "") == paragraph
    assert all(line[-1] in "．。" for line in lines[:-1])


def test_text_without_any_break_is_cut_at_a_character_boundary():
    accented = "e\u0301" * 30_000  # é as a letter plus a combining accent: never separated
    out = split_paragraph(accented, 10_001, "\n")
    assert out.replace("\n", "") == accented
    assert all(not line.startswith("\u0301") for line in out.split("\n"))
    words = "word " * 5000
    assert split_paragraph(words.strip(), 1000, "\n").replace("\n", " ") == words.strip()


def test_abbreviations_and_decimals_are_not_sentence_ends():
    paragraph = ("Mr. Darcy paid 3.5 pounds to Dr. Jones. " * 50).strip()
    out = split_paragraph(paragraph, 300, "\n")
    assert all(line.endswith("Jones.") for line in out.split("\n")[:-1])


def test_blank_line_paragraphs_get_blank_line_breaks():
    text = "Short one.\n\n" + one_paragraph(25_000) + "\n\nShort two."
    out, split = split_long_paragraphs(text)
    assert split == 1 and out.count("\n\n") >= text.count("\n\n") + 2 and "\n\n\n" not in out
    assert out.replace("\n\n", " ") == text.replace("\n\n", " ")


def test_normal_texts_are_left_exactly_as_they_are(lib, pride_path):
    original = pride_path.read_text(encoding="utf-8-sig")
    assert max(len(line) for line in original.split("\n")) < MAX_PARAGRAPH_CHARS
    plan = plan_import(pride_path)
    assert not any("split" in note for note in plan.notes)
    assert split_text_by_words("a b c", 10) == ["a b c"]


def test_long_documents_split_at_paragraphs_into_equal_parts():
    paragraphs = [f"Paragraph {i} has exactly six words." for i in range(1000)]
    text = "\n\n".join(paragraphs)
    parts = split_text_by_words(text, 1500)
    assert len(parts) == 4 and "\n\n".join(parts) == text
    assert [count_words(p) for p in parts] == [1500] * 4
    uneven = "\n\n".join(["word " * 700, "word " * 10, "word " * 700, "word " * 10])
    assert all(count_words(p) <= 1000 for p in split_text_by_words(uneven, 1000))


def test_dry_run_prints_the_outline_and_writes_nothing(capsys, tmp_path):
    book = tmp_path / "Book"
    (book / "Part 1").mkdir(parents=True)
    (book / "Part 1" / "one.txt").write_text("one two three", encoding="utf-8")
    (book / "two.md").write_text("# Alpha\n\nfour five\n\n# Beta\n\nsix", encoding="utf-8")
    (book / "long.txt").write_text(one_paragraph(MAX_DOCUMENT_WORDS * 7), encoding="utf-8")
    data = tmp_path / "profile"
    code = main(["import", str(book), "--dry-run", "--data-dir", str(data)])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    first, second = (line.split("\t") for line in lines[:2])
    assert (first[:2], second[:2]) == (["chapter", "long (part 1 of 2)"], ["chapter", "long (part 2 of 2)"])
    assert int(first[2]) + int(second[2]) == count_words(one_paragraph(MAX_DOCUMENT_WORDS * 7))
    assert lines[2:] == ["folder\tPart 1\t3", "  chapter\tone\t3", "folder\ttwo\t3", "  chapter\tAlpha\t2",
                         "  chapter\tBeta\t1"]
    assert "writer-app: note: split 1 very long document into parts" in err
    assert not data.exists()
    code = main(["import", str(book), "--data-dir", str(data)])
    assert code == 0 and (data / "library.sqlite3").exists()


@pytest.mark.parametrize("flag", ["--dry-run", "--replace-invalid"])
def test_import_flags_are_documented(capsys, flag):
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    assert flag in capsys.readouterr().out
