"""Plain-text import finds the book's structure: chapters, parts, scenes, front matter, title.

Synthetic books are built here for each heading style (hard-wrapped at 70
columns the way Project Gutenberg files are), so each test states exactly how
many chapters, which titles and how many paragraphs the import must give.
"""

from __future__ import annotations

import random
import textwrap

import pytest

from writer_app.storage.gutenberg import parse_plain_text
from writer_app.storage.importer import plan_import
from writer_app.text.manuscript import paragraphs

WORDS = ("the old house stood upon a hill above the river and every morning the mist rose from the water "
         "while she walked along the path thinking of letters unanswered and friends long gone away").split()
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
TITLES = ["The Old House", "A Letter Arrives", "On the River", "The Stranger", "Night Falls", "Morning"]


def para(seed: int, words: int = 60) -> str:
    rng = random.Random(seed)
    chosen = [rng.choice(WORDS) for _ in range(words)]
    return " ".join([chosen[0].capitalize(), *chosen[1:]]) + "."


def chapter_body(seed: int, count: int = 4) -> list[str]:
    return [para(seed * 100 + i) for i in range(count)]


def wrapped(paragraph_list: list[str], width: int = 70) -> str:
    return "\n\n".join(textwrap.fill(p, width) for p in paragraph_list)


def book(headings: list[str], counts: list[int] | None = None, front: str = "") -> str:
    counts = counts or [4] * len(headings)
    parts = [front] if front else []
    for i, (heading, count) in enumerate(zip(headings, counts, strict=True)):
        parts.append(f"{heading}\n\n{wrapped(chapter_body(i, count))}")
    return "\n\n\n".join(parts) + "\n"


def outline(parsed) -> list[tuple[int, str, str, int]]:
    rows = []

    def walk(sections, depth):
        for s in sections:
            rows.append((depth, s.kind, s.title, len(paragraphs(s.text))))
            walk(s.children, depth + 1)

    walk(parsed.sections, 0)
    return rows


def chapters(parsed) -> list[tuple[str, int]]:
    return [(s.title, len(paragraphs(s.text))) for s in parsed.sections if s.kind == "chapter"]


@pytest.mark.parametrize(("headings", "titles"), [
    ([f"CHAPTER {r}." for r in ROMAN[:5]], [f"CHAPTER {r}." for r in ROMAN[:5]]),
    ([f"Chapter {i}: {t}" for i, t in enumerate(TITLES, 1)], [f"Chapter {i}: {t}" for i, t in enumerate(TITLES, 1)]),
    (["Chapter the First", "Chapter the Second", "Chapter the Third"],
     ["Chapter the First", "Chapter the Second", "Chapter the Third"]),
    (["Chapter Nineteen", "Chapter Twenty", "Chapter Twenty-One", "Chapter Twenty-Two"],
     ["Chapter Nineteen", "Chapter Twenty", "Chapter Twenty-One", "Chapter Twenty-Two"]),
    ([f"{r}." for r in ROMAN[:6]], [f"{r}." for r in ROMAN[:6]]),
    ([str(i) for i in range(1, 8)], [str(i) for i in range(1, 8)]),
    ([f"{r}. {t}" for r, t in zip(ROMAN, TITLES, strict=False)],
     [f"{r}. {t}" for r, t in zip(ROMAN, TITLES, strict=False)]),
    ([f"{r}\n\n{t}" for r, t in zip(ROMAN, TITLES, strict=False)],
     [f"{r}. {t}" for r, t in zip(ROMAN, TITLES, strict=False)]),
    ([f"CHAPTER {r}\n{t.upper()}" for r, t in zip(ROMAN, TITLES, strict=False)],
     [f"CHAPTER {r}. {t.upper()}" for r, t in zip(ROMAN, TITLES, strict=False)]),
])
def test_each_heading_style_splits_into_its_chapters(headings, titles):
    counts = [3 + i % 3 for i in range(len(headings))]
    parsed = parse_plain_text(book(headings, counts), "file name")
    assert chapters(parsed) == list(zip(titles, counts, strict=True))
    assert all("\n" not in p for s in parsed.sections for p in paragraphs(s.text))


def test_the_reported_gutenberg_novel_imports_as_its_chapters(tmp_path):
    """Bare roman numeral alone, title on the next line, 70-column wraps, title page, contents,
    preface, list of illustrations and [Illustration] markers: the case from issue 13."""
    lines = ["The Project Gutenberg eBook of The Old House, by Mary Vale", "", "Title: The Old House", "",
             "Author: Mary Vale", "", "Language: English", "",
             "*** START OF THE PROJECT GUTENBERG EBOOK THE OLD HOUSE ***", "", "", "Produced by Volunteers", "",
             "", "THE OLD HOUSE", "", "BY", "", "MARY VALE", "", "[Illustration: Frontispiece]", "", "",
             "CONTENTS", ""]
    lines += [f"   {ROMAN[i]}. {t.upper()}  {i * 10 + 1}" for i, t in enumerate(TITLES)]
    lines += ["", "", "LIST OF ILLUSTRATIONS", "", "    The house on the hill   Frontispiece",
              "    The river  20", "", "", "PREFACE", "", wrapped([para(1), para(2)]), "", ""]
    for i, title in enumerate(TITLES):
        lines += ["", "", ROMAN[i], "", title.upper(), "", ""]
        for j, paragraph in enumerate(chapter_body(i, 4 + i % 2)):
            lines += [textwrap.fill(paragraph, 70), ""]
            if j == 1:
                lines += ["[Illustration: “She walked along the path,", "thinking of letters”]", ""]
            if j == 2:
                lines[-2] += " [Illustration]"
    lines += ["*** END OF THE PROJECT GUTENBERG EBOOK THE OLD HOUSE ***", "The licence."]
    path = tmp_path / "the old house.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    plan = plan_import(path)
    assert (plan.title, plan.author, plan.language) == ("The Old House", "Mary Vale", "en")
    [front, *rest] = plan.sections
    assert (front.kind, front.title) == ("note", "Front matter")
    assert "CONTENTS" in front.text and "PREFACE" in front.text and "LIST OF ILLUSTRATIONS" in front.text
    assert "THE OLD HOUSE\n" not in front.text and "MARY VALE" not in front.text
    assert [(s.kind, s.title, len(paragraphs(s.text))) for s in rest] == [
        ("chapter", f"{ROMAN[i]}. {t.upper()}", 4 + i % 2) for i, t in enumerate(TITLES)]
    assert [p for s in rest for p in paragraphs(s.text)] == [p for i in range(6) for p in chapter_body(i, 4 + i % 2)]
    assert not any("Illustration" in s.text for s in plan.sections)
    assert "the old house.txt: removed 13 [Illustration] markers" in plan.notes
    assert any("hard-wrapped at 70 columns" in note for note in plan.notes)
    assert [(line.depth, line.kind, line.title) for line in plan.outline()][:2] == [
        (0, "note", "Front matter"), (0, "chapter", "I. THE OLD HOUSE")]


def test_parts_books_and_volumes_hold_the_chapters_after_them():
    headings = ["PART ONE", "Chapter 1", "Chapter 2", "PART TWO\n\nThe Return", "Chapter 1", "Chapter 2",
                "Chapter 3"]
    parsed = parse_plain_text(book(headings, [1, 3, 4, 1, 2, 3, 4]), "x")
    assert outline(parsed) == [
        (0, "folder", "PART ONE", 1), (1, "chapter", "Chapter 1", 3), (1, "chapter", "Chapter 2", 4),
        (0, "folder", "PART TWO. The Return", 1), (1, "chapter", "Chapter 1", 2), (1, "chapter", "Chapter 2", 3),
        (1, "chapter", "Chapter 3", 4)]
    volumes = parse_plain_text(book(["Volume I", "CHAPTER I", "CHAPTER II", "Volume II", "CHAPTER III"],
                                    [0, 2, 2, 0, 2]).replace("\n\n\n\n", "\n\n"), "x")
    assert [(d, k, t) for d, k, t, _ in outline(volumes)] == [
        (0, "folder", "Volume I"), (1, "chapter", "CHAPTER I"), (1, "chapter", "CHAPTER II"),
        (0, "folder", "Volume II"), (1, "chapter", "CHAPTER III")]


def test_prologue_and_epilogue_are_chapters_and_back_matter_a_note():
    headings = ["Prologue", "Chapter 1", "Chapter 2", "Chapter 3", "Epilogue", "NOTES"]
    parsed = parse_plain_text(book(headings, [2, 3, 3, 3, 2, 1]), "x")
    assert [(k, t, n) for _, k, t, n in outline(parsed)] == [
        ("chapter", "Prologue", 2), ("chapter", "Chapter 1", 3), ("chapter", "Chapter 2", 3),
        ("chapter", "Chapter 3", 3), ("chapter", "Epilogue", 2), ("note", "NOTES", 1)]


def test_a_table_of_contents_does_not_make_empty_chapters():
    contents = "CONTENTS\n\n" + "\n\n".join(["Prologue"] + [f"CHAPTER {r}." for r in ROMAN[:4]])
    parsed = parse_plain_text(book(["Prologue"] + [f"CHAPTER {r}." for r in ROMAN[:4]], [2, 3, 3, 3, 3],
                                   front=contents), "x")
    assert [(k, t, n) for _, k, t, n in outline(parsed)] == [
        ("note", "Front matter", 6), ("chapter", "Prologue", 2)] + [("chapter", f"CHAPTER {r}.", 3) for r in ROMAN[:4]]


def test_scene_breaks_make_scenes_inside_their_chapter():
    first = wrapped(chapter_body(1, 2)) + "\n\n* * *\n\n" + wrapped(chapter_body(2, 3)) + "\n\n#\n\n" + wrapped(
        chapter_body(3, 1))
    text = f"Chapter 1\n\n{first}\n\n\nChapter 2\n\n{wrapped(chapter_body(4, 3))}\n\n~\n"
    parsed = parse_plain_text(text, "x")
    assert outline(parsed) == [
        (0, "chapter", "Chapter 1", 0), (1, "scene", "Scene 1", 2), (1, "scene", "Scene 2", 3),
        (1, "scene", "Scene 3", 1), (0, "chapter", "Chapter 2", 3)]


def test_false_positives_do_not_split_a_book():
    poem = "I\n\nThe night is long,\nThe road is cold.\n\nII\n\nThe fire is out,\nThe tale is told.\n\nIII\n\nGo home."
    letter = "“I shall not come again.”\n\nI.\n\nNo.\n\nNo.\n\n1\n\n" + wrapped(chapter_body(7, 2))
    story = wrapped(chapter_body(1, 3)) + "\n\n" + poem + "\n\n" + wrapped(chapter_body(2, 3)) + "\n\n" + letter
    parsed = parse_plain_text(story, "my story")
    assert [(k, t) for _, k, t, _ in outline(parsed)] == [("chapter", "my story")]
    assert "\nII\n" in parsed.sections[0].text
    # the same poem inside a book whose chapters are keyword headings stays inside its chapter
    inside = f"Chapter 1\n\n{story}\n\nChapter 2\n\n{wrapped(chapter_body(3, 2))}"
    assert [t for _, _, t, _ in outline(parse_plain_text(inside, "x"))] == ["Chapter 1", "Chapter 2"]
    # a single stray heading-like line in the middle of a long text is not a chapter
    stray = wrapped(chapter_body(1, 20)) + "\n\nChapter 12\n\n" + wrapped(chapter_body(2, 3))
    assert len(parse_plain_text(stray, "x").sections) == 1
    assert parse_plain_text("Chapter one was the best.\n\nIt was.", "x").sections[0].title == "x"
    last = book(["Chapter 1", "Chapter 2"]) + "\nNotes from the field were scarce that winter.\n\nEpilogue of sorts.\n"
    assert [t for _, _, t, _ in outline(parse_plain_text(last, "x"))] == ["Chapter 1", "Chapter 2"]


def test_chinese_hui_zhang_and_juan_headings():
    juan = ["卷一", "第一章 风起", "第二章 云涌", "卷二", "第三章 雨落"]
    body = "\n\n".join(f"{h}\n\n" + "\n\n".join(f"\u3000\u3000{h}第{i}段，话说那日天色已晚。" for i in range(1, 4))
                       for h in juan)
    parsed = parse_plain_text("《风云录》\n\n" + body, "fengyun")
    assert (parsed.title, parsed.author) == ("风云录", "")
    assert outline(parsed) == [(0, "folder", "卷一", 3), (1, "chapter", "第一章 风起", 3),
                               (1, "chapter", "第二章 云涌", 3), (0, "folder", "卷二", 3),
                               (1, "chapter", "第三章 雨落", 3)]
    volumes = ["第一卷 江湖", "第十一章", "第十二章 夜雨", "第二卷", "第十三章"]
    body = "\n\n".join(f"{h}\n\n" + "\n\n".join(f"\u3000\u3000{h}第{i}段。" for i in range(1, 3)) for h in volumes)
    assert [(d, k, t, n) for d, k, t, n in outline(parse_plain_text(body, "x"))] == [
        (0, "folder", "第一卷 江湖", 2), (1, "chapter", "第十一章", 2), (1, "chapter", "第十二章 夜雨", 2),
        (0, "folder", "第二卷", 2), (1, "chapter", "第十三章", 2)]
    hui = parse_plain_text("红楼梦\n\n第一回　甄士隐\n\n　　正文一。\n\n第二回　贾夫人\n\n　　正文二。", "hlm")
    assert hui.title == "红楼梦" and [t for _, _, t, _ in outline(hui)] == ["第一回 甄士隐", "第二回 贾夫人"]


def test_title_page_names_the_book_in_its_own_case():
    text = "PRIDE AND PREJUDICE\n\nBy JANE AUSTEN\n\n\n" + book(["Chapter 1", "Chapter 2"])
    parsed = parse_plain_text(text, "pride-and-prejudice")
    assert (parsed.title, parsed.author) == ("Pride and Prejudice", "Jane Austen")
    assert [s.kind for s in parsed.sections] == ["chapter", "chapter"]  # the title page is metadata now
    short = parse_plain_text("The Visit\nby Ann Smith\n\nIt was raining.\n\nShe left.", "visit")
    assert (short.title, short.author, short.sections[0].title) == ("The Visit", "Ann Smith", "The Visit")
    assert paragraphs(short.sections[0].text) == ["It was raining.", "She left."]
    assert parse_plain_text("Words first.\n\nMore words.", "draft three").title == ""


def test_setext_and_markdown_headings_in_a_text_file():
    setext = ("Pride and Prejudice\n===================\n\nby Jane Austen\n\n\n"
              "Front matter\n------------\n\nA dedication.\n\n\n"
              "Chapter 1\n---------\n\nFirst paragraph.\nSecond paragraph.\n\n\n"
              "Chapter 2\n---------\n\nThird.\n")
    parsed = parse_plain_text(setext, "pp")
    assert (parsed.title, parsed.author) == ("Pride and Prejudice", "Jane Austen")
    assert outline(parsed) == [(0, "note", "Front matter", 1), (0, "chapter", "Chapter 1", 2),
                               (0, "chapter", "Chapter 2", 1)]
    nested = ("Part One\n========\n\nChapter 1\n---------\n\nA.\n\nChapter 2\n---------\n\nB.\n\n"
              "Part Two\n========\n\nThe Storm\n---------\n\nScene 1 {.scene}\n\nC.")
    assert [(d, k, t) for d, k, t, _ in outline(parse_plain_text(nested, "x"))] == [
        (0, "folder", "Part One"), (1, "chapter", "Chapter 1"), (1, "chapter", "Chapter 2"),
        (0, "folder", "Part Two"), (1, "chapter", "The Storm")]
    atx = parse_plain_text("# My Novel\n\n## One\n\nText one.\n\n## Two\n\n### Scene 1\n\nA.\n\n### Scene 2\n\nB.\n",
                           "draft")
    assert atx.title == "My Novel"
    assert [(d, k, t) for d, k, t, _ in outline(atx)] == [
        (0, "chapter", "One"), (0, "chapter", "Two"), (1, "scene", "Scene 1"), (1, "scene", "Scene 2")]


def test_a_title_page_heading_beside_the_chapters_names_the_book():
    flat = "The Visit\n=========\n\nby Ann Smith\n\nChapter 1\n=========\n\nA.\n\nChapter 2\n=========\n\nB.\n"
    parsed = parse_plain_text(flat, "visit")
    assert (parsed.title, parsed.author) == ("The Visit", "Ann Smith")
    assert [(k, t) for _, k, t, _ in outline(parsed)] == [("chapter", "Chapter 1"), ("chapter", "Chapter 2")]


def test_two_underlined_lines_do_not_replace_sixty_chapters(pride_path):
    text = pride_path.read_text(encoding="utf-8-sig").replace(
        "Chapter 3\r\n", "Chapter 3\r\n\r\nA Note\r\n------\r\n\r\nA Table\r\n-------\r\n")
    parsed = parse_plain_text(text, "pp")
    assert [s.title for s in parsed.sections] == [f"Chapter {i}" for i in range(1, 62)]


def _raw_chapters(text: str, heading: str) -> list[tuple[str, list[str]]]:
    """(heading, blank-line separated blocks) per chapter, read straight from the file."""
    import re

    chapters: list[tuple[str, list[str]]] = []
    for block in re.split(r"\n[ \t\u3000]*\n", text.replace("\r\n", "\n")):
        block = block.strip()
        if re.fullmatch(heading, block):
            chapters.append((" ".join(block.split()), []))
        elif chapters and block and not re.fullmatch(r"[* ]+", block):
            chapters[-1][1].append(block)
    return chapters


def _all_paragraphs(section) -> list[str]:
    return paragraphs(section.text) + [p for child in section.children for p in _all_paragraphs(child)]


def test_pride_and_prejudice_keeps_every_paragraph_of_every_chapter(pride_path):
    raw = pride_path.read_text(encoding="utf-8-sig")
    expected = _raw_chapters(raw.split("End of the Project Gutenberg")[0], r"Chapter \d+")
    parsed = parse_plain_text(raw, "pride-and-prejudice")
    assert [(s.title, len(_all_paragraphs(s))) for s in parsed.sections] == [
        (title, len(blocks)) for title, blocks in expected]
    assert [p for s in parsed.sections for p in _all_paragraphs(s)] == [
        p for _, blocks in expected for b in blocks for p in paragraphs(" ".join(b.split()))]


def test_hongloumeng_keeps_every_paragraph_and_its_indent(hongloumeng_path):
    raw = hongloumeng_path.read_text(encoding="utf-8")
    expected = _raw_chapters(raw, r"第[一二三四五六七八九十]+回[ \u3000].*")
    parsed = parse_plain_text(raw, "hongloumeng-ch1-10")
    assert (parsed.title, parsed.author) == ("红楼梦", "曹雪芹")
    assert [(s.title, len(paragraphs(s.text))) for s in parsed.sections] == [
        (title, len(blocks)) for title, blocks in expected]
    assert all(line.startswith("    ") for s in parsed.sections for line in s.text.split("\n") if line.strip())


def test_a_manuscript_typed_one_paragraph_per_line_splits_without_blank_lines():
    lines = []
    for i in range(1, 4):
        lines += [f"Chapter {i}", *chapter_body(i, 3)]
    parsed = parse_plain_text("\n".join(lines), "draft")
    assert chapters(parsed) == [("Chapter 1", 3), ("Chapter 2", 3), ("Chapter 3", 3)]
    assert paragraphs(parsed.sections[0].text) == chapter_body(1, 3)


def test_a_hard_wrapped_story_without_chapters_is_unwrapped_too():
    parsed = parse_plain_text(wrapped(chapter_body(5, 6)), "story")
    assert [(s.kind, s.title) for s in parsed.sections] == [("chapter", "story")]
    assert paragraphs(parsed.sections[0].text) == chapter_body(5, 6)
    assert parsed.notes == ["joined lines hard-wrapped at 70 columns into paragraphs"]


@pytest.mark.parametrize(("shouted", "cased"), [
    ("PRIDE AND PREJUDICE", "Pride and Prejudice"), ("THE LIFE AND OPINIONS OF TRISTRAM SHANDY",
                                                     "The Life and Opinions of Tristram Shandy"),
    ("KING HENRY VIII", "King Henry VIII"), ("THE WOMAN IN WHITE", "The Woman in White"),
    ("DON QUIXOTE'S RETURN", "Don Quixote's Return"), ("Emma", "Emma"), ("a tale of two cities", "a tale of two cities"),
])
def test_shouted_titles_are_title_cased(shouted, cased):
    from writer_app.storage.title_page import title_case

    assert title_case(shouted) == cased


def _setext_export(title: str, author: str, sections, depth: int = 0) -> str:
    """The plain-text export's layout: the title and by-line, then each title underlined with
    ``=`` (top level) or ``-`` (below), paragraphs between blank lines, scene breaks as * * *."""
    out = [f"{title}\nby {author}\n\n\n"] if depth == 0 else []
    for section in sections:
        out.append(f"{section.title}\n{('=' if depth == 0 else '-') * max(3, len(section.title))}\n\n")
        if section.text:
            out.append("\n\n".join(paragraphs(section.text)) + "\n\n\n")
        out.append(_setext_export(title, author, section.children, depth + 1))
    return "".join(out)


@pytest.mark.parametrize("fixture", ["pride_path", "hongloumeng_path"])
def test_a_plain_text_export_imports_again_with_every_title_and_paragraph(fixture, request):
    source = request.getfixturevalue(fixture)
    first = parse_plain_text(source.read_text(encoding="utf-8-sig"), source.stem)
    exported = _setext_export(first.title, first.author, first.sections)
    again = parse_plain_text(exported, "export")
    assert (again.title, again.author) == (first.title, first.author)
    assert outline(again) == outline(first)
    assert [p for s in again.sections for p in _all_paragraphs(s)] == [
        p for s in first.sections for p in _all_paragraphs(s)]


def test_a_first_heading_names_a_single_document():
    atx = parse_plain_text("# The Visit\n\nby Ann Smith\n\nIt was raining.\n\nShe left.", "visit-draft")
    assert (atx.title, atx.author, atx.sections[0].title) == ("The Visit", "Ann Smith", "The Visit")
    assert paragraphs(atx.sections[0].text) == ["It was raining.", "She left."]
    setext = parse_plain_text("THE VISIT\n=========\n\nIt was raining.", "visit-draft")
    assert (setext.title, paragraphs(setext.sections[0].text)) == ("The Visit", ["It was raining."])


def test_centred_headings_are_headings():
    headings = [f"{' ' * 30}CHAPTER {r}.\n\n{' ' * 28}{t.upper()}" for r, t in zip(ROMAN[:3], TITLES[:3], strict=True)]
    assert chapters(parse_plain_text(book(headings), "x")) == [
        (f"CHAPTER {r}. {t.upper()}", 4) for r, t in zip(ROMAN[:3], TITLES[:3], strict=True)]


def test_setext_and_atx_levels_nest_three_deep():
    text = ("Part One\n========\n\nChapter 1\n---------\n\n### Arrival\n\nA.\n\n### Departure\n\nB.\n\n"
            "Chapter 2\n---------\n\nC.\n")
    assert [(d, k, t) for d, k, t, _ in outline(parse_plain_text(text, "x"))] == [
        (0, "folder", "Part One"), (1, "chapter", "Chapter 1"), (2, "scene", "Arrival"), (2, "scene", "Departure"),
        (1, "chapter", "Chapter 2")]
    exported = "The Novel\nby A. Writer\n\n\nThe Journey\n===========\n\nChapter 1\n---------\n\nA.\n\nChapter 2\n---------\n\nB."
    parsed = parse_plain_text(exported, "x")
    assert (parsed.title, parsed.author) == ("The Novel", "A. Writer")
    assert [(d, k, t) for d, k, t, _ in outline(parsed)] == [
        (0, "folder", "The Journey"), (1, "chapter", "Chapter 1"), (1, "chapter", "Chapter 2")]


def test_numbered_stanzas_inside_a_book_of_numbered_chapters_stay_in_their_chapter():
    poem = "I.\n\nThe night is long,\nThe road is cold.\n\nII.\n\nThe fire is out,\nThe tale is told.\n\nIII.\n\nGo home."
    bodies = [wrapped(chapter_body(i, 3)) for i in range(6)]
    bodies[2] += "\n\n" + poem + "\n\n" + wrapped(chapter_body(9, 1))
    text = "\n\n\n".join(f"{r}.\n\n{body}" for r, body in zip(ROMAN, bodies, strict=False))
    parsed = parse_plain_text(text, "x")
    assert [(t, n) for t, n in chapters(parsed)] == [(f"{r}.", 3) for r in ROMAN[:2]] + [("III.", 3 + 8 + 1)] + [
        (f"{r}.", 3) for r in ROMAN[3:6]]


def test_an_epistolary_opening_is_story_not_front_matter():
    headings = ["Letter 1", "Letter 2", "Letter 3", "Chapter 1", "Chapter 2"]
    parsed = parse_plain_text(book(headings, [3, 2, 2, 4, 4], front="FRANKENSTEIN\n\nby Mary Shelley"), "x")
    assert (parsed.title, parsed.author) == ("Frankenstein", "Mary Shelley")
    assert chapters(parsed) == list(zip(headings, [3, 2, 2, 4, 4], strict=True))
