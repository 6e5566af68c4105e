"""The server engine's failures that a real llama.cpp server will not produce on demand.

A tiny local server (``openai_stub``) refuses the key, stalls, sends a stream
that is not JSON, or cuts one off; each is one clear sentence for the
author, and the pieces that arrived before are still delivered. The rest
(streaming, cancel, a killed server, a wrong model or URL) runs against the
real llama.cpp server in ``test_server_engine.py``.
"""

from __future__ import annotations

import socket
import threading

import pytest

from tests.llm.openai_stub import MODEL, StubServer
from writer_app.errors import UserError
from writer_app.llm import prompts, sse
from writer_app.llm.engine import API_KEY_ENV, Engine, ServerConfig
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.server_engine import ServerEngine, api_base, check_connection, decode_messages

GREEDY = GenerationSettings(max_new_tokens=8, temperature=0.0)


def _collect(engine: ServerEngine, prompt: str, cancel: threading.Event | None = None) -> tuple[list[str], str]:
    """(the pieces that arrived, the error's sentence or "")."""
    pieces: list[str] = []
    try:
        for piece in engine.stream(prompt, GREEDY, cancel):
            pieces.append(piece)
    except UserError as exc:
        return pieces, str(exc)
    return pieces, ""


def test_a_whole_answer_streams_and_the_engine_meets_the_protocol():
    with StubServer("ok") as stub:
        engine = ServerEngine.connect(ServerConfig(stub.url))
        assert isinstance(engine, Engine)
        assert engine.info.name == MODEL and "server" in engine.info.device
        pieces, error = _collect(engine, "Once upon a time")
        engine.close()
    assert error == ""
    assert "".join(pieces) == "The rain kept falling."
    assert stub.requests[-1]["path"] == "/v1/completions"  # a plain prompt is a document to carry on


def test_a_chat_prompt_goes_to_chat_completions_with_its_messages():
    with StubServer("ok") as stub:
        engine = ServerEngine.connect(ServerConfig(stub.url))
        text = prompts.chat(engine, prompts.SYSTEM_WRITER, "Rewrite this.")
        assert decode_messages(text) == ([{"role": "system", "content": prompts.SYSTEM_WRITER},
                                          {"role": "user", "content": "Rewrite this."}], "")
        _collect(engine, text)
        continued = prompts.chat(engine, prompts.SYSTEM_WRITER, "Continue the story.", assistant_prefix="Mara ran")
        _collect(engine, continued)
        engine.close()
    chat_request, continue_request = stub.requests[-2], stub.requests[-1]
    assert chat_request["path"] == "/v1/chat/completions"
    assert chat_request["body"]["messages"][1] == {"role": "user", "content": "Rewrite this."}
    assert chat_request["body"]["temperature"] == 0.0 and chat_request["body"]["max_tokens"] == 8
    # An opened reply has no portable chat form: the text goes on as a document.
    assert continue_request["path"] == "/v1/completions"
    assert continue_request["body"]["prompt"].endswith("Continue the story.\n\nMara ran")


def test_no_repetition_penalty_is_sent_as_one_so_llama_cpp_does_not_apply_its_own():
    """llama.cpp's server penalises repeats by 1.1 unless told otherwise; the author's 1.0 must reach it."""
    with StubServer("ok") as stub:
        engine = ServerEngine.connect(ServerConfig(stub.url))
        for penalty in (1.0, 1.15):
            list(engine.stream("Once upon a time", GREEDY.with_(repetition_penalty=penalty)))
        engine.close()
    sent = [(r["body"]["repeat_penalty"], r["body"]["repetition_penalty"]) for r in stub.requests[-2:]]
    assert sent == [(1.0, 1.0), (1.15, 1.15)]


@pytest.mark.parametrize(("mode", "status"), [("unauthorized", 401), ("forbidden", 403)])
def test_a_refused_key_is_one_sentence_that_never_shows_the_key(mode, status, monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, "sk-secret-from-env")
    with StubServer(mode) as stub:
        with pytest.raises(UserError) as caught:
            ServerEngine.connect(ServerConfig(stub.url))
    message = str(caught.value)
    assert f"HTTP {status}" in message and "API key" in message
    assert "sk-secret" not in message
    assert stub.requests[0]["auth"] == "Bearer sk-secret-from-env"  # the key from the environment was sent


def test_the_settings_file_key_wins_over_the_environment_and_stays_out_of_the_repr(monkeypatch):
    monkeypatch.setenv(API_KEY_ENV, "sk-env")
    config = ServerConfig("http://127.0.0.1:1/v1", api_key="sk-file")
    assert config.key() == "sk-file"
    assert "sk-file" not in repr(config)


def test_a_stalled_server_times_out_with_a_clear_error_and_keeps_what_came():
    with StubServer("stall") as stub:
        engine = ServerEngine.connect(ServerConfig(stub.url, read_timeout_s=1.0))
        pieces, error = _collect(engine, "Once upon a time")
        engine.close()
    assert pieces == ["The rain "]
    assert "sent nothing for 1 s" in error and "text written so far is kept" in error


def test_cancel_closes_the_connection_of_a_stalled_answer_at_once():
    """With a read timeout of ten minutes, only cancel can end this stream while the server stalls."""
    with StubServer("stall") as stub:
        engine = ServerEngine.connect(ServerConfig(stub.url, read_timeout_s=600.0))
        cancel = threading.Event()
        pieces: list[str] = []
        for piece in engine.stream("Once upon a time", GREEDY, cancel):
            pieces.append(piece)
            cancel.set()  # Esc after the first words
        assert stub.disconnected.wait(60), "the server never saw the connection close"
        assert not stub.release.is_set()  # the server was still stalling: the cancel ended it
        engine.close()
    assert pieces == ["The rain "]


def test_a_stream_that_is_not_json_is_malformed_and_keeps_what_came():
    with StubServer("malformed") as stub:
        engine = ServerEngine.connect(ServerConfig(stub.url))
        pieces, error = _collect(engine, "Once upon a time")
    assert pieces == ["The rain "]
    assert "not an OpenAI-compatible stream" in error and "kept" in error


def test_a_stream_cut_off_before_its_end_is_reported_as_truncated():
    with StubServer("truncated") as stub:
        engine = ServerEngine.connect(ServerConfig(stub.url))
        pieces, error = _collect(engine, "Once upon a time")
    assert "".join(pieces) == "The rain kept falling"
    assert "cut off" in error and "kept" in error


def test_a_prompt_too_long_for_the_server_says_so():
    with StubServer("context") as stub:
        engine = ServerEngine.connect(ServerConfig(stub.url))
        pieces, error = _collect(engine, "Once upon a time")
    assert pieces == []
    assert "too long for the server's model" in error and "2048" in error


def test_nothing_listening_is_one_sentence_about_the_server():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UserError, match="is not answering .*connection was refused.*running"):
        check_connection(ServerConfig(f"http://127.0.0.1:{port}"))


@pytest.mark.parametrize("url", ["", "127.0.0.1:8080", "ftp://host/v1", "http://"])
def test_a_url_that_is_not_a_server_address_is_refused(url):
    with pytest.raises(UserError, match="not a server address"):
        api_base(url)


def test_the_api_base_takes_a_bare_host_or_a_v1_url():
    assert api_base("http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1"
    assert api_base("http://gpu-box:8000/v1/") == "http://gpu-box:8000/v1"


def test_server_sent_events_join_data_lines_and_skip_comments():
    lines = [": ping", "data: one", "data: two", "", "event: done", "data: [DONE]", "", "data: last"]
    assert [(e.data, e.event) for e in sse.events(lines)] == [("one\ntwo", "message"), ("[DONE]", "done"),
                                                              ("last", "message")]


def test_the_in_process_runtime_offers_everything_the_engine_boundary_asks():
    from writer_app.llm.engine import engine_kind
    from writer_app.llm.runtime import ModelRuntime

    wanted = ("info", "last_tokens_per_second", "last_time_to_first_token", "count_tokens", "stream", "generate",
              "reset_cache", "close")
    assert [name for name in wanted if not hasattr(ModelRuntime, name)] == []
    assert [name for name in wanted if not hasattr(ServerEngine, name)] == []
    assert engine_kind(ModelRuntime) == "in-process" and engine_kind(ServerEngine) == "server"
