"""Importing real manuscripts (Gutenberg, CJK, legacy encodings) and exporting them back."""

from __future__ import annotations

import random

import pytest

from writer_app.errors import UserError
from writer_app.storage.exporter import export_document, export_project
from writer_app.storage.importer import MAX_FILE_BYTES, import_path
from writer_app.text.manuscript import Paragraph, parse_blocks


def _chapters(lib, project_id):
    """Each document's kind, title, and paragraphs and scene breaks: what a round trip keeps
    (blank lines are spacing, so how many separate two paragraphs is not part of it)."""
    return [(n.kind, n.title, [b.text if isinstance(b, Paragraph) else "<scene break>"
                               for b in parse_blocks(lib.get_text(n.id))]) for n in lib.nodes(project_id)]


def test_pride_and_prejudice_imports_61_clean_chapters_and_round_trips(lib, pride_path, tmp_path):
    project = import_path(lib, pride_path)
    assert (project.title, project.author, project.language) == ("Pride and Prejudice", "Jane Austen", "en")
    nodes = lib.nodes(project.id)
    assert [n.title for n in nodes if n.kind == "chapter"] == [f"Chapter {i}" for i in range(1, 62)]
    # the five chapters with "* * * * *" breaks hold their scenes
    parents = {n.id: n.title for n in nodes}
    assert sorted({parents[n.parent_id] for n in nodes if n.kind == "scene"}) == [
        "Chapter 47", "Chapter 50", "Chapter 54", "Chapter 57", "Chapter 59"]
    assert 121_000 <= lib.project_word_count(project.id) <= 123_000
    texts = [text for text in (lib.get_text(n.id) for n in nodes) if text]  # a chapter with scenes has none
    first = texts[0].split("\n")[0]  # hard wraps undone: the first paragraph is one line
    assert first == ("It is a truth universally acknowledged, that a single man in possession of a good "
                     "fortune, must be in want of a wife.")
    assert texts[-1].endswith("had been the means of uniting them.")
    assert not any("Gutenberg" in t or "Produced by" in t for t in texts)
    assert all("\r" not in t for t in texts)

    out = export_project(lib, project.id, "md", tmp_path / "pp.md")
    again = import_path(lib, out)
    assert again.title == "Pride and Prejudice (2)" and again.author == "Jane Austen"
    assert _chapters(lib, again.id) == _chapters(lib, project.id)


def test_hongloumeng_splits_on_hui_headings_and_round_trips(lib, hongloumeng_path, tmp_path):
    project = import_path(lib, hongloumeng_path, project_title="红楼梦")
    assert project.title == "红楼梦" and project.language == "zh"
    named = import_path(lib, hongloumeng_path)  # the book's own title line names it, not the file
    assert (named.title, named.author) == ("红楼梦 (2)", "曹雪芹")
    nodes = lib.nodes(project.id)
    chapters = nodes  # the title line 《红楼梦》曹雪芹 is the project's metadata, not front matter
    assert len(chapters) == 10 and chapters[0].title.startswith("第一回 甄士隐梦幻识通灵")
    assert chapters[-1].title.startswith("第十回")
    assert sum(n.word_count for n in chapters) > 50_000  # one word per Han character
    out = export_project(lib, project.id, "md", tmp_path / "hlm.md")
    again = import_path(lib, out, project_title="copy")
    assert _chapters(lib, again.id) == _chapters(lib, project.id)


@pytest.mark.parametrize("encoding", ["cp1252", "gb18030", "shift_jis", "utf-16"])
def test_legacy_encodings_are_detected(lib, tmp_path, hongloumeng_path, encoding):
    if encoding == "gb18030":
        text = hongloumeng_path.read_text(encoding="utf-8")[:3000].replace("\r\n", "\n")
    elif encoding == "shift_jis":
        text = "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗いじめじめした所でニャーニャー泣いていた事だけは記憶している。\n" * 20
    else:
        text = ("Café society: naïve Zoë’s résumé — “déjà vu” for the façade of the château. " * 30).strip()
    path = tmp_path / f"legacy-{encoding}.txt"
    path.write_bytes(text.encode(encoding))
    project = import_path(lib, path)
    [node] = [n for n in lib.nodes(project.id) if n.kind != "note"]
    stored = lib.get_text(node.id)
    if encoding == "gb18030":
        assert "甄士隐" in stored and "\ufffd" not in stored
    else:
        assert stored == text.strip()


def test_utf8_bom_and_crlf_are_normalised(lib, tmp_path):
    path = tmp_path / "scene.txt"
    path.write_bytes("\ufeffFirst line\r\nsecond line\r\n".encode())
    project = import_path(lib, path)
    [node] = lib.nodes(project.id)
    assert (node.title, lib.get_text(node.id)) == ("scene", "First line\nsecond line")


def _no_projects(lib):
    return lib.list_projects() == []


def test_binary_empty_undecodable_and_huge_files_are_refused(lib, tmp_path):
    binary = tmp_path / "photo.txt"
    rng = random.Random(1)
    binary.write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    with pytest.raises(UserError, match="not a text file"):
        import_path(lib, binary)
    empty = tmp_path / "empty.md"
    empty.write_bytes(b"  \n\r\n")
    with pytest.raises(UserError, match="empty"):
        import_path(lib, empty)
    garbled = tmp_path / "garbled.txt"
    garbled.write_bytes(bytes(rng.randrange(0x80, 0x100) for _ in range(5000)))
    with pytest.raises(UserError, match="encoding"):
        import_path(lib, garbled)
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    with pytest.raises(UserError, match=f"up to {MAX_FILE_BYTES // 2**20} MB"):
        import_path(lib, huge)
    with pytest.raises(UserError, match="does not exist"):
        import_path(lib, tmp_path / "missing.txt")
    with pytest.raises(UserError, match=r"\.txt, \.md, \.docx"):
        import_path(lib, _touch(tmp_path / "a.pdf"))
    assert _no_projects(lib)


def _touch(path):
    path.write_text("x")
    return path


def test_failure_half_way_through_leaves_nothing(lib, pride_path):
    def progress(done, total):
        if done == 30:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        import_path(lib, pride_path, progress=progress)
    assert _no_projects(lib)
    assert lib.search(1, "Bennet") == []
    assert lib.connection.execute("SELECT COUNT(*) FROM texts").fetchone()[0] == 0


def test_markdown_headings_build_the_tree(lib, tmp_path):
    path = tmp_path / "draft.md"
    path.write_text(
        "# My Novel\n\n## One\n\nText one.\n\n```\n# not a heading\n```\n\n## Two\n\n### Scene A\n\nA.\n\n### Scene B\n\nB.\n",
        encoding="utf-8",
    )
    project = import_path(lib, path)
    assert project.title == "My Novel"
    assert [(n.kind, n.title) for n in lib.nodes(project.id)] == [
        ("chapter", "One"), ("folder", "Two"), ("scene", "Scene A"), ("scene", "Scene B")]
    assert "# not a heading" in lib.get_text(lib.nodes(project.id)[0].id)


def test_heading_like_lines_in_text_survive_export_and_reimport(lib, project, tmp_path):
    lib.create_node(project.id, "chapter", "Notes", text="# hashtag line\nplain\n## another")
    out = export_project(lib, project.id, "md", tmp_path / "n.md")
    again = import_path(lib, out, project_title="copy")
    assert _chapters(lib, again.id) == _chapters(lib, project.id)


def test_folder_import_in_natural_order(lib, tmp_path):
    folder = tmp_path / "My Book"
    folder.mkdir()
    (folder / "ch10.txt").write_text("ten", encoding="utf-8")
    (folder / "ch2.md").write_text("two", encoding="utf-8")
    (folder / "notes.bin").write_bytes(b"\x00\x01")
    (folder / "part3.md").write_text("# Alpha\n\na\n\n# Beta\n\nb\n", encoding="utf-8")
    project = import_path(lib, folder)
    assert project.title == "My Book"
    assert [(n.kind, n.title) for n in lib.nodes(project.id)] == [
        ("chapter", "ch2"), ("chapter", "ch10"), ("folder", "part3"), ("chapter", "Alpha"), ("chapter", "Beta")]


def test_import_into_an_existing_project_appends(lib, project, tmp_path):
    lib.create_node(project.id, "chapter", "Existing", text="old")
    path = tmp_path / "new chapter.txt"
    path.write_text("new words", encoding="utf-8")
    assert import_path(lib, path, project_title=project.title).id == project.id
    assert [n.title for n in lib.nodes(project.id)] == ["Existing", "new chapter"]


def test_exports_html_txt_and_single_document(lib, project, tmp_path):
    c1 = lib.create_node(project.id, "chapter", "Chapter <1>", text="She said _no_ & <script>x</script>.")
    lib.create_node(project.id, "chapter", "Chapter 2", text="Second.")
    trashed = lib.create_node(project.id, "chapter", "Cut", text="gone")
    lib.trash_node(trashed.id)
    page = export_project(lib, project.id, "html", tmp_path / "book.html").read_text(encoding="utf-8")
    assert "<h1>Chapter &lt;1&gt;</h1>" in page and "<em>no</em>" in page
    assert "<script>" not in page and "&lt;script&gt;" in page and "gone" not in page
    plain = export_project(lib, project.id, "txt", tmp_path / "book.txt").read_text(encoding="utf-8")
    assert plain.startswith("The Novel\nby A. Writer") and "Second." in plain and "gone" not in plain
    single = export_document(lib, c1.id, "md", tmp_path / "c1.md").read_text(encoding="utf-8")
    assert single.startswith("# Chapter <1>") and "Second." not in single
    with pytest.raises(UserError, match="does not exist"):
        export_project(lib, project.id, "md", tmp_path / "no-such-dir" / "x.md")
    with pytest.raises(UserError, match="unknown export format"):
        export_project(lib, project.id, "pdf", tmp_path / "x.pdf")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
