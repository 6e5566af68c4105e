"""Every writing task through a real llama.cpp server (the embedded GGUF), the CLI, cancel, a killed server.

Short greedy generations; the server runs with one thread. The failures a
real server does not produce on demand are in ``test_server_failures.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from tests.llama_server import MODEL_ALIAS
from writer_app.errors import UserError
from writer_app.llm import guards, tasks
from writer_app.llm.engine import ServerConfig
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.server_engine import ServerEngine, check_connection

pytestmark = [pytest.mark.llama_server, pytest.mark.slow]

GREEDY = GenerationSettings(max_new_tokens=12, temperature=0.0)
STORY = ("Mara climbed the lighthouse stairs in the dark. The lamp had gone out an hour before, and the "
         "fishing boats were still at sea. She struck a match.")


@pytest.fixture
def engine(llama_server):
    connected = ServerEngine.connect(ServerConfig(llama_server.url, MODEL_ALIAS))
    yield connected
    connected.close()


def test_the_connection_test_lists_the_servers_model(llama_server):
    assert check_connection(ServerConfig(llama_server.url)) == [MODEL_ALIAS]


@pytest.mark.parametrize("task", ["continue", "rewrite", "expand", "shorten", "describe", "brainstorm"])
def test_each_writing_task_runs_on_the_server(engine, task):
    request = tasks.TaskRequest(task, text=STORY, before=STORY if task == "continue" else "",
                                instruction="the lighthouse" if task == "describe" else "")
    result = tasks.run_task(engine, request, GREEDY)
    assert result.text.strip() or result.items, f"{task} gave nothing"
    assert engine.last_time_to_first_token is not None


def test_continue_uses_the_story_so_far_and_the_bible(engine, llama_server):
    request = tasks.TaskRequest("continue", before=STORY, story_so_far="Mara's father kept the lighthouse.",
                                bible=[("Mara", "the keeper's daughter, seventeen")])
    prompt = tasks.build_prompt(engine, request, GREEDY.max_new_tokens)
    assert "The story so far: Mara's father kept the lighthouse." in prompt.text
    assert "the keeper's daughter" in prompt.text
    assert "".join(engine.stream(prompt, GREEDY)).strip()


def test_a_summary_and_style_suggestions_run_on_the_server(engine):
    summary = tasks.run_task(engine, tasks.TaskRequest("summarise", text=STORY), GREEDY)
    assert summary.text.strip()
    suggestions = tasks.run_task(engine, tasks.TaskRequest("suggest", text=STORY), GREEDY)
    assert isinstance(suggestions.suggestions, list)  # the model may find nothing; it must not fail


def test_the_guards_judge_a_server_answer_like_a_local_one(engine):
    result = guards.run_guarded(engine, tasks.TaskRequest("rewrite", text=STORY), GREEDY)
    assert result.text.strip() and result.tries >= 1


def test_greedy_answers_repeat_on_the_server(engine):
    first = engine.generate("Once upon a time", GREEDY)
    assert first.strip() and engine.generate("Once upon a time", GREEDY) == first


def test_cancel_stops_the_answer_at_once(engine):
    cancel = threading.Event()
    pieces: list[str] = []
    for piece in engine.stream("Once upon a time", GREEDY.with_(max_new_tokens=400), cancel):
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.set()
    assert len(pieces) == 3  # not one piece more after the cancel


def test_a_server_killed_mid_answer_is_one_clear_error_and_the_text_so_far_arrived(own_llama_server):
    engine = ServerEngine.connect(ServerConfig(own_llama_server.url))
    pieces: list[str] = []
    with pytest.raises(UserError) as caught:
        for piece in engine.stream("Once upon a time", GREEDY.with_(max_new_tokens=2000)):
            pieces.append(piece)
            if len(pieces) == 2:
                own_llama_server.kill()
    assert len(pieces) >= 2
    assert "closed the connection in the middle of the answer" in str(caught.value)
    assert "text written so far is kept" in str(caught.value)
    with pytest.raises(UserError, match="is not answering"):  # and the next request says it is down
        engine.generate("Once upon a time", GREEDY)


def test_a_wrong_model_name_lists_the_ones_served(llama_server):
    with pytest.raises(UserError, match=f"no model called “gpt-9”; it serves: {MODEL_ALIAS}"):
        ServerEngine.connect(ServerConfig(llama_server.url, "gpt-9"))


def test_a_wrong_url_path_says_there_is_no_api_there(llama_server):
    with pytest.raises(UserError, match="no OpenAI-compatible API at this address"):
        ServerEngine.connect(ServerConfig(f"{llama_server.root}/nothing/here/v1"))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "writer_app", *args], capture_output=True, text=True,
                          timeout=600)


def test_generate_with_server_streams_a_task_through_the_server(llama_server, tmp_path):
    done = _cli("generate", "--data-dir", str(tmp_path), "--server", llama_server.url, "--server-model",
                MODEL_ALIAS, "--task", "rewrite", "--text", STORY, "--max-new-tokens", "12",
                "--temperature", "0", "--json")
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert payload["engine"] == "server" and MODEL_ALIAS in payload["model"]
    assert payload["text"].strip()


def test_generate_with_a_wrong_server_model_is_one_line_and_exit_2(llama_server, tmp_path):
    done = _cli("generate", "--data-dir", str(tmp_path), "--server", llama_server.url, "--server-model", "nope",
                "--task", "continue", "--text", STORY)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no model called “nope”" in done.stderr
    assert "Traceback" not in done.stderr


def test_doctor_names_the_engine_the_model_and_the_adapter(llama_server, tmp_path, monkeypatch):
    monkeypatch.setenv("WRITER_APP_SERVER_API_KEY", "sk-never-printed")
    done = _cli("doctor", "--data-dir", str(tmp_path), "--server", llama_server.url)
    assert done.returncode == 0, done.stderr
    assert f"OpenAI-compatible server {llama_server.url}" in done.stdout
    assert f"server model  {MODEL_ALIAS}" in done.stdout
    assert "adapter       the server's own model" in done.stdout
    assert "sk-never-printed" not in done.stdout + done.stderr
    assert "API key: set, from the $WRITER_APP_SERVER_API_KEY" in done.stdout

