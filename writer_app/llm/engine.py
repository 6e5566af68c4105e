"""The engine boundary: what the tasks, prompts, guards, streaming and cancel need of a model.

Two engines implement it: ``runtime.ModelRuntime`` (the model in this
process, or in the model host) and ``server_engine.ServerEngine`` (an
OpenAI-compatible HTTP server the author points the app at: llama.cpp's
server, Ollama, vLLM). The task modules are written against this Protocol,
so every task (continue, rewrite, summaries, style suggestions, the story so
far) runs on either without knowing which.

Why a Protocol and not a base class: ``ModelRuntime`` predates it and owns
torch objects; a structural type asks nothing of it but the methods it
already has, and the server engine needs none of torch.

``ServerConfig`` is what the editor sends its model host instead of a
``host_protocol.ModelConfig`` to make it talk to a server; the CLI builds
the same one from ``--server URL --server-model NAME``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from writer_app.llm.generation import GenerationSettings
    from writer_app.llm.runtime import ModelInfo, Prompt

# Where an API key comes from when the settings file holds none (never printed, never logged).
API_KEY_ENV = "WRITER_APP_SERVER_API_KEY"
DEFAULT_CONNECT_TIMEOUT_S = 5.0
DEFAULT_READ_TIMEOUT_S = 120.0  # the longest silence between two pieces of an answer (a big prefill)
DEFAULT_SERVER_CONTEXT = 4096  # tokens, when the server does not say (llama.cpp and Ollama do not)


@runtime_checkable
class Engine(Protocol):
    """A language model the writing tasks can use: count tokens, lay out a chat, stream an answer.

    ``tokenizer`` is what ``prompts.chat`` formats a conversation with (``chat_template`` and
    ``apply_chat_template``); ``stream`` stops at once when ``cancel`` is set and raises
    ``UserError`` with one sentence for anything the author must hear.
    """

    tokenizer: Any

    @property
    def info(self) -> ModelInfo: ...

    @property
    def last_tokens_per_second(self) -> float | None: ...

    @property
    def last_time_to_first_token(self) -> float | None: ...

    def count_tokens(self, text: str) -> int: ...

    def stream(self, prompt: Prompt | str, settings: GenerationSettings | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]: ...

    def generate(self, prompt: Prompt | str, settings: GenerationSettings,
                 cancel: threading.Event | None = None) -> str: ...

    def reset_cache(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class ServerConfig:
    """An OpenAI-compatible server to write with; plain data (it is pickled to the model host)."""

    url: str  # the base URL, e.g. "http://127.0.0.1:8080" or "http://gpu-box:8000/v1"
    model: str = ""  # the served model's name; "" takes the server's only (or first) model
    api_key: str = field(default="", repr=False)  # never in a repr, a log line or a report
    connect_timeout_s: float = DEFAULT_CONNECT_TIMEOUT_S
    read_timeout_s: float = DEFAULT_READ_TIMEOUT_S
    context_window: int = DEFAULT_SERVER_CONTEXT

    def key(self) -> str:
        """The API key to send: this config's, else ``$WRITER_APP_SERVER_API_KEY``, else none."""
        return self.api_key or os.environ.get(API_KEY_ENV, "")


def engine_kind(engine: Any) -> str:
    """ "server" or "in-process", for the status bar and ``doctor``."""
    return "server" if getattr(engine, "is_server", False) else "in-process"


def describe_engine(engine: Any) -> str:
    """One line: the model, where it runs, and its adapter (the CLI's ``--json`` and reports)."""
    info = engine.info
    if getattr(engine, "is_server", False):
        return f"{info.name} on the OpenAI-compatible server {info.path}, context {info.context_window} tokens"
    return str(info.describe())


def server_config_from_settings(settings: Any, url: str | None = None, model: str | None = None) -> ServerConfig | None:
    """The profile's server (``url``/``model`` override it, as ``--server``/``--server-model`` do); None for none."""
    url = (url if url is not None else getattr(settings, "server_url", "")) or ""
    if not url.strip():
        return None
    return ServerConfig(
        url=url.strip(),
        model=(model if model is not None else getattr(settings, "server_model", "")) or "",
        api_key=getattr(settings, "server_api_key", "") or "",
        connect_timeout_s=float(getattr(settings, "server_connect_timeout_s", DEFAULT_CONNECT_TIMEOUT_S)),
        read_timeout_s=float(getattr(settings, "server_read_timeout_s", DEFAULT_READ_TIMEOUT_S)),
        context_window=int(getattr(settings, "server_context_window", DEFAULT_SERVER_CONTEXT)),
    )
