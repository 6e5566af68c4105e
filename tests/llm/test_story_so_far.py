"""Only summaries the author approved become "the story so far", in the editor and on the command line.

Real libraries in tmp folders; the request checked is the one the editor builds for Continue
(``TaskRequest``), and, with the model, the prompt it turns into.
"""

from __future__ import annotations

import argparse

import pytest

from writer_app import cli_model
from writer_app.llm.tasks import TaskRequest
from writer_app.paths import profile_paths
from writer_app.storage import Library
from writer_app.ui.assistant.context import gather_context

INVENTED = "Emily, the Author's daughter, burns the harbour."
APPROVED = "Mara lost her brother to the river."


def _book(lib: Library) -> tuple[int, int]:
    project = lib.create_project("Book")
    one = lib.create_node(project.id, "chapter", "One", text="Mara stood by the river.")
    two = lib.create_node(project.id, "chapter", "Two", text="The ferry came.")
    three = lib.create_node(project.id, "chapter", "Three", text="Mara waited at the quay. She")
    lib.set_summary(one.id, APPROVED, approved=True)
    lib.set_summary(two.id, INVENTED)  # waiting for review
    return project.id, three.id


def _continue_request(lib: Library, project_id: int, node_id: int) -> TaskRequest:
    """The request Continue sends (``Continuation._request_variant``), from the gathered context."""
    before = lib.get_text(node_id)
    context = gather_context(project_id, node_id, before)(lib)
    return TaskRequest("continue", before=before, bible=list(context.bible), story_so_far=context.story_so_far,
                       language=context.language)


def test_an_unapproved_summary_never_reaches_the_request(tmp_path):
    with Library.open(tmp_path / "library.sqlite3") as lib:
        project_id, node_id = _book(lib)
        request = _continue_request(lib, project_id, node_id)
        assert APPROVED in request.story_so_far
        assert "Emily" not in request.story_so_far
        lib.approve_summary(lib.nodes(project_id)[1].id, "The ferry came for Mara.")
        request = _continue_request(lib, project_id, node_id)
        assert "The ferry came for Mara." in request.story_so_far and "Emily" not in request.story_so_far


@pytest.mark.model
def test_an_unapproved_summary_never_reaches_the_prompt(tmp_path, runtime):
    from writer_app.llm.tasks import build_prompt

    with Library.open(tmp_path / "library.sqlite3") as lib:
        project_id, node_id = _book(lib)
        prompt = build_prompt(runtime, _continue_request(lib, project_id, node_id), max_new_tokens=16)
    assert APPROVED in prompt.text
    assert "Emily" not in prompt.text and "burns the harbour" not in prompt.text


def test_the_command_line_story_so_far_uses_approved_summaries_only(tmp_path):
    paths = profile_paths(tmp_path / "profile")
    paths.ensure()
    with Library.open(paths.database) as lib:
        _book(lib)
    args = argparse.Namespace(data_dir=tmp_path / "profile", text=None, file=None, project="Book", document="Three")
    _text, _bible, story, _language = cli_model._read_source(args)
    assert APPROVED in story and "Emily" not in story
