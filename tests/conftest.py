"""Suite-wide isolation: Qt offscreen, no network, no real user folders.

Every test gets its own platformdirs homes (so nothing touches the author's
real library), and one converted copy of the embedded model is shared by the
whole run (and by later local runs) through WRITER_APP_MODEL_CACHE.
"""

from __future__ import annotations

import faulthandler
import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

REPO = Path(__file__).resolve().parent.parent
CORPUS_FIXTURES = REPO / "tests" / "fixtures"

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("WRITER_APP_MODEL_CACHE", str(REPO / ".cache" / "models"))

# No per-example time limit for property tests (hypothesis's default is 200 ms, which a busy
# machine exceeds and then reports as a failure); tests that set their own settings keep them.
hypothesis_settings.register_profile("writer-app", deadline=None)
hypothesis_settings.load_profile("writer-app")


@pytest.fixture(autouse=True)
def _stacks_if_stuck(request):
    """A test stuck where pytest-timeout's signal cannot reach it (a deadlock in C, the GIL held
    elsewhere) would hang CI silently until it is killed; a minute after that timeout,
    faulthandler's own thread prints every thread's stack and ends the run instead. The stacks go
    to the real stderr: the test's own stderr is pytest's capture file, which an ``_exit`` never
    reports, so a run ended this way used to stop without a word."""
    marker = request.node.get_closest_marker("timeout")
    limit = float(marker.args[0]) if marker and marker.args else float(request.config.getini("timeout") or 900)
    faulthandler.dump_traceback_later(limit + 60, exit=True, file=sys.__stderr__)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    for var, sub in (
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(var, str(home / sub))
    yield


@pytest.fixture(scope="session")
def embedded_model_dir() -> Path:
    """The embedded model converted to safetensors (once per cache)."""
    from writer_app.llm.embedded import ensure_embedded_model

    return ensure_embedded_model(Path(os.environ["WRITER_APP_MODEL_CACHE"]))


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


def pytest_collection_modifyitems(config, items):
    if cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def llama_server():
    """A real llama.cpp OpenAI-compatible server on the embedded GGUF, shared by the run (see tests/llama_server.py)."""
    from tests.llama_server import LlamaServer, llama_cpp_importable

    if not llama_cpp_importable():
        pytest.skip("llama-cpp-python is not installed (make setup installs it)")
    server = LlamaServer().start()
    yield server
    server.stop()


@pytest.fixture
def own_llama_server():
    """A llama.cpp server of the test's own, for a test that kills it."""
    from tests.llama_server import LlamaServer, llama_cpp_importable

    if not llama_cpp_importable():
        pytest.skip("llama-cpp-python is not installed (make setup installs it)")
    server = LlamaServer().start()
    yield server
    server.stop()
