"""The inference client and its model host process, with the real embedded model, from a plain harness."""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtCore import QThread

from tests.ui.processes import process_alive
from writer_app.llm.generation import GenerationSettings
from writer_app.ui.assistant.inference_worker import InferenceClient, ModelConfig
from writer_app.ui.assistant.jobs import raw_stream

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture
def client(qtbot):
    created = InferenceClient()
    yield created
    created.shutdown()


def load_embedded(client: InferenceClient, qtbot, model_dir) -> dict:
    """Load the embedded model and wait for the worker's answer, success or not."""
    outcome: dict = {}
    client.modelLoaded.connect(lambda info: outcome.setdefault("info", info))
    client.loadFailed.connect(lambda message: outcome.setdefault("error", message))
    client.load(ModelConfig("embedded", model_dir.parent))
    qtbot.waitUntil(lambda: bool(outcome), timeout=120_000)
    assert "error" not in outcome, outcome.get("error")
    return outcome["info"]


def test_loads_in_background_and_streams_tokens(client, qtbot, embedded_model_dir):
    progress: list[float] = []
    client.loadProgress.connect(lambda fraction, _message: progress.append(fraction))
    info = load_embedded(client, qtbot, embedded_model_dir)
    assert "SmolLM2" in info["name"]
    assert progress and progress[-1] == 1.0

    threads: set[object] = set()
    pieces: list[str] = []

    def on_token(request_id: int, text: str) -> None:
        pieces.append(text)
        threads.add(QThread.currentThread())

    client.tokenProduced.connect(on_token)
    settings = GenerationSettings(max_new_tokens=12, temperature=0.0)
    with qtbot.waitSignal(client.finished, timeout=120_000) as done:
        request_id = client.submit(raw_stream("Once upon a time", settings))
    rid, result, stats = done.args
    assert rid == request_id
    assert result == "".join(pieces) and result.strip()
    assert stats["tokens_per_second"] > 0
    assert threads == {QThread.currentThread()}  # tokens are delivered on the GUI thread
    assert not client.is_running(request_id)


def test_cancel_stops_within_a_token_step(client, qtbot, embedded_model_dir):
    load_embedded(client, qtbot, embedded_model_dir)
    pieces: list[str] = []
    after_cancel: list[str] = []
    state = {"cancelled": False}

    def on_token(request_id: int, text: str) -> None:
        (after_cancel if state["cancelled"] else pieces).append(text)
        if len(pieces) == 3 and not state["cancelled"]:
            client.cancel(request_id)
            state["cancelled"] = True

    client.tokenProduced.connect(on_token)
    settings = GenerationSettings(max_new_tokens=200, temperature=0.0)
    with qtbot.waitSignal(client.finished, timeout=120_000) as done:
        client.submit(raw_stream("Once upon a time", settings))
    # Tokens already queued when Esc landed may still arrive, but generation stops at once.
    assert len(after_cancel) <= 2
    assert len(pieces) == 3 and done.args[2]["cancelled"]
    assert done.args[1] == "".join(pieces)  # the result is what was shown, nothing after Esc
    assert done.args[2]["pieces"] < 200  # the host itself stopped generating, not just the display


def test_missing_model_folder_reports_a_load_error(client, qtbot, tmp_path):
    with qtbot.waitSignal(client.loadFailed, timeout=60_000) as failed:
        client.load(ModelConfig(str(tmp_path / "no-such-model"), tmp_path))
    assert failed.args[0]
    with qtbot.waitSignal(client.failed, timeout=10_000) as refused:
        client.submit(raw_stream("Hello", GenerationSettings(max_new_tokens=4)))
    assert refused.args[1] == failed.args[0]


def test_a_job_that_cannot_be_pickled_is_refused_at_once(client):
    with pytest.raises(TypeError, match="picklable"):
        client.submit(lambda runtime, cancel: runtime.stream("Hi", None, cancel))
    assert not client.busy


def test_killing_the_model_process_mid_stream_fails_once_and_a_reload_works(client, qtbot, embedded_model_dir):
    load_embedded(client, qtbot, embedded_model_dir)
    host_pid = client.host_pid
    pieces: list[str] = []
    failures: list[tuple[int, str]] = []
    load_failures: list[str] = []
    client.tokenProduced.connect(lambda _rid, piece: pieces.append(piece))
    client.failed.connect(lambda rid, message: failures.append((rid, message)))
    client.loadFailed.connect(load_failures.append)

    def kill_after_three(_rid: int, _piece: str) -> None:
        if len(pieces) == 3:
            os.kill(host_pid, signal.SIGKILL)  # as the OOM killer would

    client.tokenProduced.connect(kill_after_three)
    request_id = client.submit(raw_stream("Once upon a time", GenerationSettings(max_new_tokens=200)))
    qtbot.waitUntil(lambda: bool(failures), timeout=120_000)
    qtbot.wait(200)  # nothing else arrives for it
    assert failures == [(request_id, failures[0][1])]
    message = failures[0][1]
    assert message.startswith("The model process stopped unexpectedly (killed by SIGKILL")
    assert "Reload" in message and "\n" not in message
    assert load_failures == [message] and client.load_error == message and client.model_info is None
    assert len(pieces) >= 3 and not client.busy
    assert not process_alive(host_pid)
    # Asking again before a reload gets the same clear answer, not a hang.
    with qtbot.waitSignal(client.failed, timeout=10_000) as refused:
        client.submit(raw_stream("Hello", GenerationSettings(max_new_tokens=4)))
    assert refused.args[1] == message

    info = load_embedded(client, qtbot, embedded_model_dir)  # Assistant ▸ Reload the model
    assert "SmolLM2" in info["name"] and client.host_pid not in (None, host_pid)
    with qtbot.waitSignal(client.finished, timeout=120_000) as done:
        client.submit(raw_stream("Once upon a time", GenerationSettings(max_new_tokens=6, temperature=0.0)))
    assert done.args[1].strip()


def test_shutdown_during_a_stream_ends_the_model_process(qtbot, embedded_model_dir):
    client = InferenceClient()
    load_embedded(client, qtbot, embedded_model_dir)
    host_pid = client.host_pid
    pieces: list[str] = []
    client.tokenProduced.connect(lambda _rid, piece: pieces.append(piece))
    client.submit(raw_stream("Once upon a time", GenerationSettings(max_new_tokens=200)))
    qtbot.waitUntil(lambda: len(pieces) >= 2, timeout=120_000)
    client.shutdown()
    assert client.shut_down and client.host_pid is None
    qtbot.waitUntil(lambda: not process_alive(host_pid), timeout=30_000)
    assert client.shutdown()  # a second call is harmless


def test_unload_ends_the_model_process_and_a_load_starts_a_new_one(client, qtbot, embedded_model_dir):
    load_embedded(client, qtbot, embedded_model_dir)
    host_pid = client.host_pid
    with qtbot.waitSignal(client.unloaded, timeout=30_000):
        client.unload()
    assert not process_alive(host_pid)  # its memory (GPU memory too) went back with it
    with qtbot.waitSignal(client.failed, timeout=10_000) as refused:
        client.submit(raw_stream("Hello", GenerationSettings(max_new_tokens=4)))
    assert "not loaded" in refused.args[1]
    load_embedded(client, qtbot, embedded_model_dir)
    assert client.host_pid not in (None, host_pid)
