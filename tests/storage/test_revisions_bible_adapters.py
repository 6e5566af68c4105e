"""Revisions, the story bible, summaries and the adapter registry."""

from __future__ import annotations

import pytest

from writer_app.errors import UserError


def test_snapshot_list_restore_and_skip_identical(lib, project):
    n = lib.create_node(project.id, "scene", "S", text="first")
    r1 = lib.snapshot(n.id, reason="manual")
    assert lib.snapshot(n.id, reason="manual").id == r1.id  # identical: skipped
    lib.save_text(n.id, "second version of the text")
    r2 = lib.snapshot(n.id, reason="before-ai-edit")
    lib.save_text(n.id, "third")
    revs = lib.revisions(n.id)
    assert [r.id for r in revs] == sorted((r.id for r in revs), reverse=True)  # newest first
    assert {r.reason for r in revs} == {"manual", "before-ai-edit"}
    assert lib.revision_text(r2.id) == "second version of the text"
    result = lib.restore_revision(r1.id)
    assert result.changed and lib.get_text(n.id) == "first"
    assert lib.revision_text(result.revision_id) == "third"  # the text it replaced was kept
    assert lib.revisions(n.id)[0].reason == "before-restore"
    assert lib.get_node(n.id).word_count == 1
    with pytest.raises(UserError):
        lib.revision_text(9999)


def test_bible_crud_and_query(lib, project):
    e = lib.add_bible_entry(project.id, "character", "Elizabeth Bennet", aliases=("Lizzy", "Eliza", "Lizzy"),
                            description="Second daughter", notes="witty")
    assert e.aliases == ("Lizzy", "Eliza")
    lib.add_bible_entry(project.id, "place", "Pemberley", description="Darcy's estate")
    assert [b.name for b in lib.bible_entries(project.id, query="darcy")] == ["Pemberley"]
    updated = lib.update_bible_entry(e.id, notes="very witty", aliases=["Lizzy"])
    assert updated.notes == "very witty" and updated.aliases == ("Lizzy",)
    with pytest.raises(UserError):
        lib.add_bible_entry(project.id, "spaceship", "X")
    with pytest.raises(UserError):
        lib.add_bible_entry(project.id, "character", "   ")
    lib.delete_bible_entry(e.id)
    assert [b.name for b in lib.bible_entries(project.id)] == ["Pemberley"]


def test_bible_mentions_whole_words_and_cjk_substrings(lib, project):
    lib.add_bible_entry(project.id, "character", "Rose")
    lib.add_bible_entry(project.id, "character", "Elizabeth", aliases=["Lizzy"])
    lib.add_bible_entry(project.id, "character", "贾宝玉", aliases=["宝玉"])
    lib.add_bible_entry(project.id, "place", "Meryton")
    found = lib.bible_entries_mentioned(project.id, "She rose early; Lizzy's walk. 宝玉笑道")
    assert [e.name for e in found] == ["Elizabeth", "贾宝玉"]
    assert [e.name for e in lib.bible_entries_mentioned(project.id, "Rose went to Merytonshire")] == ["Rose"]


def test_adapter_registry(lib, project):
    a = lib.register_adapter("my-style", "/tmp/adapters/a", "SmolLM2-135M", project.id, {"loss": 1.5})
    b = lib.register_adapter("other", "/tmp/adapters/b", "SmolLM2-135M", None, {})
    assert a.metadata == {"loss": 1.5} and not a.active
    with pytest.raises(UserError, match="already exists"):
        lib.register_adapter("my-style", "/x", "m", None, {})
    assert [x.name for x in lib.adapters(project.id)] == ["my-style"]
    assert {x.name for x in lib.adapters()} == {"my-style", "other"}
    lib.set_active_adapter(a.id)
    lib.set_active_adapter(b.id)
    assert lib.active_adapter().id == b.id
    assert [x.active for x in lib.adapters() if x.id == a.id] == [False]
    lib.rename_adapter(b.id, "renamed")
    assert lib.get_adapter_by_name("renamed").id == b.id
    lib.set_active_adapter(None)
    assert lib.active_adapter() is None
    lib.delete_adapter(a.id)
    assert lib.get_adapter_by_name("my-style") is None


def test_an_adapter_name_is_any_text_but_one_clean_line_and_a_folder_is_registered_once(lib, project, tmp_path):
    folder = tmp_path / "adapters" / "voice"
    a = lib.register_adapter("  ../../My\x00 voice\n(été)\udcff ", folder, "embedded", project.id, {})
    assert a.name == "../../My\ufffd voice (été)\ufffd" and a.path == str(folder)  # a label, not a path
    assert lib.register_adapter("another label", folder, "embedded", None, {}).id == a.id  # same folder: one row
    assert len(lib.adapters()) == 1
    lib.rename_adapter(a.id, "/tmp/x")
    assert lib.get_adapter_by_name("/tmp/x").path == str(folder)  # renaming never moves or points anywhere
    for bad, message in (("", "needs a name"), (" \t\n", "needs a name"), ("x" * 201, "at most 200 characters")):
        with pytest.raises(UserError, match=message):
            lib.rename_adapter(a.id, bad)
        with pytest.raises(UserError, match=message):
            lib.register_adapter(bad, tmp_path / "other", "embedded", None, {})
    assert lib.adapters()[0].name == "/tmp/x"
