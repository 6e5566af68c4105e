"""Property-based tests: any Unicode text round-trips; random tree edits keep the tree sound."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from writer_app.storage import Library
from writer_app.storage.textnorm import REPLACEMENT, clean_text
from writer_app.text.counts import count_characters, count_words

ANY_CHAR = st.characters(exclude_categories=())  # every code point, surrogates and NUL included
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fresh_library(folder: str) -> Library:
    return Library.open(Path(folder) / "library.sqlite3")


@pytest.mark.slow
@SETTINGS
@given(texts=st.lists(st.text(alphabet=ANY_CHAR, max_size=300) | st.sampled_from(
    ["", "😀👍🏽 família", "宝玉笑道：“好妹妹。”", "a\x00b", "lone \ud83d half", "pair \ud83d\ude00", "\r\n\t"]),
    min_size=1, max_size=4))
def test_any_text_round_trips_and_sql_agrees(texts):
    with tempfile.TemporaryDirectory() as folder, _fresh_library(folder) as lib:
        project = lib.create_project("P")
        node = lib.create_node(project.id, "scene", "S")
        for text in texts:
            result = lib.save_text(node.id, text)
            stored = lib.get_text(node.id)
            assert stored == clean_text(text)
            assert result.normalized == (stored != text)
            assert "\x00" not in stored and not any("\ud800" <= ch <= "\udfff" for ch in stored)
            assert len(stored) <= len(text)
            assert (result.word_count, result.char_count) == (count_words(stored), count_characters(stored))
            length, = lib.connection.execute("SELECT length(body) FROM texts WHERE node_id = ?", (node.id,)).fetchone()
            assert length == len(stored)
            words = [w for w in stored.split() if len(w) >= 3 and '"' not in w]
            if words:
                assert node.id in {h.node_id for h in lib.search(project.id, words[0])}
        assert lib.integrity_check() == ["ok"]


def test_repairs_are_documented_replacements():
    assert clean_text("a\x00b") == "a" + REPLACEMENT + "b"
    assert clean_text("lone \ud83d half") == "lone " + REPLACEMENT + " half"
    assert clean_text("pair \ud83d\ude00") == "pair 😀"
    assert clean_text("plain 宝玉 😀\r\n") == "plain 宝玉 😀\r\n"


OPS = st.lists(
    st.tuples(st.sampled_from(["create", "move", "trash", "restore", "empty"]),
              st.integers(0, 50), st.integers(0, 50), st.integers(0, 8)),
    min_size=1, max_size=30,
)


class TreeModel:
    """What the tree should look like, kept independently of SQL."""

    def __init__(self) -> None:
        self.children: dict[int | None, list[int]] = {None: []}
        self.parent: dict[int, int | None] = {}
        self.flagged: dict[int, int] = {}  # trashed node -> its old position

    def in_trash(self, node: int | None) -> bool:
        while node is not None:
            if node in self.flagged:
                return True
            node = self.parent[node]
        return False

    def live(self) -> list[int]:
        return [n for n in self.parent if not self.in_trash(n)]

    def descendants(self, node: int) -> set[int]:
        found, todo = set(), [node]
        while todo:
            current = todo.pop()
            kids = [n for n, p in self.parent.items() if p == current]
            found.update(kids)
            todo.extend(kids)
        return found

    def order(self) -> list[int]:
        out: list[int] = []

        def walk(parent: int | None) -> None:
            for child in self.children.get(parent, []):
                out.append(child)
                walk(child)

        walk(None)
        return out


@pytest.mark.slow
@SETTINGS
@given(ops=OPS)
def test_random_tree_edits_keep_positions_dense_and_match_a_model(ops):
    with tempfile.TemporaryDirectory() as folder, _fresh_library(folder) as lib:
        pid = lib.create_project("Tree").id
        model = TreeModel()
        for op, a, b, index in ops:
            live = model.live()
            if op == "create":
                parent = None if not live or a % 3 == 0 else live[a % len(live)]
                node = lib.create_node(pid, "folder", f"n{len(model.parent)}", parent_id=parent, position=index).id
                kids = model.children.setdefault(parent, [])
                kids.insert(min(index, len(kids)), node)
                model.parent[node] = parent
                model.children[node] = []
            elif op == "move" and live:
                node = live[a % len(live)]
                targets = [None] + [n for n in live if n != node and n not in model.descendants(node)]
                parent = targets[b % len(targets)]
                lib.move_node(node, parent, index)
                model.children[model.parent[node]].remove(node)
                kids = model.children.setdefault(parent, [])
                kids.insert(min(index, len(kids)), node)
                model.parent[node] = parent
            elif op == "trash" and live:
                node = live[a % len(live)]
                lib.trash_node(node)
                position = model.children[model.parent[node]].index(node)
                model.children[model.parent[node]].remove(node)
                model.flagged[node] = position
            elif op == "restore" and model.flagged:
                node = sorted(model.flagged)[a % len(model.flagged)]
                if model.in_trash(model.parent[node]) if model.parent[node] is not None else False:
                    model.parent[node] = None
                    model.children[None].append(node)
                else:
                    kids = model.children[model.parent[node]]
                    kids.insert(min(model.flagged[node], len(kids)), node)
                del model.flagged[node]
                lib.restore_node(node)
            elif op == "empty":
                lib.empty_trash(pid)
                doomed = set()
                for node in model.flagged:
                    doomed |= {node} | model.descendants(node)
                for node in doomed:
                    del model.parent[node]
                    model.children.pop(node, None)
                model.flagged.clear()
            nodes = lib.nodes(pid)
            assert [n.id for n in nodes] == model.order()
            by_parent: dict[int | None, list[int]] = {}
            for n in nodes:
                by_parent.setdefault(n.parent_id, []).append(n.position)
            assert all(positions == list(range(len(positions))) for positions in by_parent.values())
        assert len(lib.nodes(pid, include_trashed=True)) == len(model.parent)
        assert lib.integrity_check() == ["ok"]
