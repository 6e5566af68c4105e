"""Token budgeting: the most recent prose is kept, chunks index the text, notes are filtered."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from writer_app.llm import context
from writer_app.storage.models import BibleEntry


def words(text: str) -> int:
    return len(text.split())


def test_keep_recent_keeps_the_end_and_starts_cleanly():
    text = "\n\n".join(f"Paragraph {i} has a few words in it. Then another sentence." for i in range(50))
    kept, cut = context.keep_recent(text, 40, words)
    assert cut
    assert text.endswith(kept)
    assert words(kept) <= 40
    assert kept.startswith(("Paragraph", "Then"))


def test_keep_recent_leaves_short_text_alone():
    assert context.keep_recent("Short text.", 100, words) == ("Short text.", False)


def test_keep_start_fits_budget():
    text = "One two three. Four five six. Seven eight nine. " * 20
    head = context.keep_start(text, 10, words)
    assert text.startswith(head) and words(head) <= 10


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab .\n!"), min_size=0, max_size=400), st.integers(3, 30))
def test_chunks_index_the_text_and_respect_the_budget(text, budget):
    chunks = context.split_into_chunks(text, budget, words)
    for offset, chunk in chunks:
        assert text[offset : offset + len(chunk)] == chunk
        assert words(chunk) <= budget + 1
    # Nothing but whitespace is lost.
    assert [w for _, c in chunks for w in c.split()] == text.split()


def test_bible_notes_accept_pairs_dicts_and_objects_and_filter_by_mention():
    entry = BibleEntry(id=1, project_id=1, kind="character", name="Old Tom", aliases=("Tom",),
                       description="the ferryman", notes="")

    notes = context.as_bible_notes([("Mara", "keeper's daughter"), {"name": "Corso", "description": "an island"},
                                    entry, ("", "nameless")])
    assert [n.name for n in notes] == ["Mara", "Corso", "Old Tom"]
    found = context.mentioned_notes(notes, "Tom rowed while mara watched.")
    assert [n.name for n in found] == ["Mara", "Old Tom"]
    assert context.mentioned_notes(notes, "Tomorrow, the Corsonian fleet.") == []
