"""Find in Project lists one result per occurrence, each with its own span and context."""

from __future__ import annotations

SCENE = "Darcy bowed. [Darcy] left.\nDarcy returned at last."
CHINESE = "😀宝玉笑道：“妹妹。”\n\n🇫🇷黛玉不答，宝玉又道：“好妹妹。”"


def test_every_occurrence_is_a_result_with_its_own_span(lib, project):
    a = lib.create_node(project.id, "chapter", "A", text=SCENE)
    b = lib.create_node(project.id, "chapter", "B", text="Mr. Darcy came in.")
    matches = lib.search_matches(project.id, "darcy")
    assert [(m.node_id, m.start) for m in matches] == [
        (a.id, 0), (a.id, SCENE.index("[Darcy]") + 1), (a.id, SCENE.rindex("Darcy")), (b.id, 4)]
    for m in matches:
        body = lib.get_text(m.node_id)
        assert body[m.start:m.end] == m.matched == "Darcy"
    second = matches[1]
    assert second.before == "Darcy bowed. ["  # the prose's own bracket is text, not a mark
    assert second.after.startswith("] left. Darcy returned")  # on one line


def test_chinese_two_character_names_and_emoji_keep_exact_spans(lib, project):
    node = lib.create_node(project.id, "chapter", "第一回", text=CHINESE)
    matches = lib.search_matches(project.id, "宝玉")
    assert [m.start for m in matches] == [CHINESE.index("宝玉"), CHINESE.rindex("宝玉")]
    assert all(CHINESE[m.start:m.end] == "宝玉" and m.node_id == node.id for m in matches)
    assert matches[1].before.endswith("黛玉不答，")
    assert [m.matched for m in lib.search_matches(project.id, "妹妹")] == ["妹妹", "妹妹"]


def test_matches_are_capped_and_empty_queries_find_nothing(lib, project):
    lib.create_node(project.id, "chapter", "A", text="gull " * 50)
    assert len(lib.search_matches(project.id, "gull", limit=7)) == 7
    assert lib.search_matches(project.id, "   ") == []
    assert lib.search_matches(project.id, "albatross") == []
