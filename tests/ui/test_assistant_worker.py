"""The inference worker with the real embedded model, driven from a plain QObject harness."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QThread

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


def test_missing_model_folder_reports_a_load_error(client, qtbot, tmp_path):
    with qtbot.waitSignal(client.loadFailed, timeout=60_000) as failed:
        client.load(ModelConfig(str(tmp_path / "no-such-model"), tmp_path))
    assert failed.args[0]
    with qtbot.waitSignal(client.failed, timeout=10_000) as refused:
        client.submit(raw_stream("Hello", GenerationSettings(max_new_tokens=4)))
    assert refused.args[1] == failed.args[0]
