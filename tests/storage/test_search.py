"""Full-text search: ranked, with snippets and offsets, in English and Chinese."""

from __future__ import annotations

import pytest

from writer_app.storage import Library


@pytest.fixture(scope="module")
def hlm_library(tmp_path_factory):
    """Hongloumeng chapters 1-10 split on 第N回 headings (done by hand here)."""
    import re

    from tests.storage.conftest import FIXTURES

    text = (FIXTURES / "hongloumeng-ch1-10.txt").read_text(encoding="utf-8").replace("\r\n", "\n")
    parts = re.split(r"(?m)^(第[一二三四五六七八九十]+回.*)$", text)
    lib = Library.open(tmp_path_factory.mktemp("hlm") / "lib.sqlite3")
    project = lib.create_project("红楼梦", language="zh")
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        lib.create_node(project.id, "chapter", heading, text=body)
    yield lib, project
    lib.close()


def test_english_search_is_ranked_with_snippet_and_offset(lib, project):
    a = lib.create_node(project.id, "chapter", "A", text="Darcy bowed. Darcy left. Darcy returned at last.")
    b = lib.create_node(project.id, "chapter", "B", text="It was a long morning before Mr. Darcy came in.")
    lib.create_node(project.id, "chapter", "C", text="Nothing here.")
    hits = lib.search(project.id, "darcy")
    assert [h.node_id for h in hits] == [a.id, b.id]  # more matches rank first
    assert hits[0].rank <= hits[1].rank
    text_b = lib.get_text(b.id)
    assert text_b[hits[1].offset:hits[1].offset + 5] == "Darcy"
    assert "[Darcy]" in hits[1].snippet
    assert lib.search(project.id, "") == []
    assert lib.search(project.id, 'bowed "at last"')[0].node_id == a.id


def test_search_follows_saves_trash_and_empty_trash(lib, project):
    n = lib.create_node(project.id, "scene", "S", text="the old phrase")
    assert lib.search(project.id, "phrase")
    lib.save_text(n.id, "the new wording")
    assert lib.search(project.id, "phrase") == []
    assert [h.node_id for h in lib.search(project.id, "wording")] == [n.id]
    lib.trash_node(n.id)
    assert lib.search(project.id, "wording") == []
    lib.restore_node(n.id)
    assert lib.search(project.id, "wording")
    lib.trash_node(n.id)
    lib.empty_trash(project.id)
    assert lib.connection.execute("SELECT COUNT(*) FROM texts_fts WHERE texts_fts MATCH 'wording'").fetchone()[0] == 0
    assert lib.integrity_check() == ["ok"]


def test_search_is_scoped_to_the_project(lib, project):
    other = lib.create_project("Other")
    lib.create_node(other.id, "chapter", "X", text="a unique marmalade")
    assert lib.search(project.id, "marmalade") == []
    assert len(lib.search(other.id, "marmalade")) == 1


def test_chinese_search_long_and_two_character_names(hlm_library):
    lib, project = hlm_library
    long_hits = lib.search(project.id, "林黛玉")
    assert long_hits and all("林黛玉" in lib.get_text(h.node_id) for h in long_hits)
    short_hits = lib.search(project.id, "宝钗")  # two characters: substring fallback
    assert short_hits
    for hit in short_hits:
        text = lib.get_text(hit.node_id)
        assert text[hit.offset:hit.offset + 2] == "宝钗"
        assert "[宝钗]" in hit.snippet
    titles = [h.title for h in lib.search(project.id, "护官符")]
    assert titles and titles[0].startswith("第四回")
    single = lib.search(project.id, "黛")
    assert {h.node_id for h in long_hits} <= {h.node_id for h in single}
