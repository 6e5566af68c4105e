"""An OpenAI-compatible HTTP server as the engine: llama.cpp's server, Ollama, vLLM, TGI.

The tasks build their prompts with ``prompts.chat`` as they do for the
in-process model. The server applies its own model's chat template, so this
engine's ``tokenizer`` does not lay the chat out: it records the messages
(:func:`encode_messages`) and :meth:`ServerEngine.stream` sends them to
``/v1/chat/completions``. A prompt whose reply is already opened (Continue
puts the author's text at the start of the answer) has no portable chat
form, so it goes to ``/v1/completions`` as a document the model carries on
writing, as ``prompts.chat`` lays out a prompt for a model without a chat
template. A plain prompt (tests, benchmarks) goes there too.

httpx (not the ``openai`` client): it is already what the app's other
libraries speak, it streams lines with exact connect and read timeouts, and
nothing here needs more than two POSTs and one GET. Cancel shuts the
connection's socket down from a watcher thread, so a stalled server cannot
hold a cancelled request. Tokens are estimated from characters (the server's
tokenizer is on the server): generously, so a prompt fitted here fits there;
the server's own "context too long" answer is the backstop.
"""

from __future__ import annotations

import json
import logging
import math
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from writer_app.errors import UserError
from writer_app.llm import server_errors, sse
from writer_app.llm.engine import ServerConfig
from writer_app.llm.generation import GenerationSettings
from writer_app.llm.runtime import ModelInfo, Prompt

log = logging.getLogger(__name__)

_MARK = "\x00writer-app-messages\x00"
_END = "\x00end-of-messages\x00"
_CJK = re.compile("[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
CHARS_PER_TOKEN = 3.2  # English BPE averages about 4; fewer here errs on the side of fitting
CANCEL_POLL_S = 0.02


def encode_messages(messages: list[dict[str, str]]) -> str:
    """The chat ``messages`` as prompt text that :func:`decode_messages` reads back (the text may be pickled)."""
    return _MARK + json.dumps(messages, ensure_ascii=False) + _END


def decode_messages(text: str) -> tuple[list[dict[str, str]], str] | None:
    """(messages, the opened reply) for text from :func:`encode_messages` plus a prefix; None for plain text."""
    if not text.startswith(_MARK) or _END not in text:
        return None
    head, _, prefix = text[len(_MARK):].partition(_END)
    messages = json.loads(head)
    if messages and messages[-1].get("role") == "assistant":  # a template that opened the reply itself
        prefix = messages.pop()["content"] + prefix
    return messages, prefix


def estimate_tokens(text: str) -> int:
    """A generous token count: one per CJK character, one per ``CHARS_PER_TOKEN`` characters of the rest."""
    if not text:
        return 0
    cjk = len(_CJK.findall(text))
    return cjk + math.ceil((len(text) - cjk) / CHARS_PER_TOKEN)


def api_base(url: str) -> str:
    """``http://host:port`` or ``…/v1`` (with or without a slash) as the API's base, ending in ``/v1``."""
    url = url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UserError(f"“{url}” is not a server address writer-app can use; give an http:// or https:// URL "
                        "such as http://127.0.0.1:8080/v1")
    return url if parts.path.endswith("/v1") else url + "/v1"


class ServerChat:
    """The ``tokenizer`` ``prompts.chat`` sees: it keeps the messages for the server to lay out."""

    chat_template = "the server's own"

    def apply_chat_template(self, messages: list[dict[str, str]], tokenize: bool = False,
                            add_generation_prompt: bool = True, **_: Any) -> str:
        return encode_messages([{"role": m["role"], "content": m["content"]} for m in messages])


def _client(config: ServerConfig) -> httpx.Client:
    headers = {"Accept": "application/json"}
    key = config.key()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    timeout = httpx.Timeout(connect=config.connect_timeout_s, read=config.read_timeout_s,
                            write=config.read_timeout_s, pool=config.connect_timeout_s)
    return httpx.Client(headers=headers, timeout=timeout, trust_env=False)  # no proxy sees the manuscript


def list_models(config: ServerConfig, client: httpx.Client | None = None) -> list[str]:
    """The names of the models the server serves (``GET /v1/models``); raises ServerError."""
    base = api_base(config.url)
    own = client is None
    client = client or _client(config)
    try:
        response = client.get(f"{base}/models")
        if response.status_code >= 400:
            raise server_errors.from_status(response, base, "")
        try:
            data = response.json().get("data", [])
            return [str(m["id"]) for m in data if isinstance(m, dict) and m.get("id")]
        except (ValueError, AttributeError) as exc:
            raise server_errors.malformed(base, False, "its model list is not JSON") from exc
    except httpx.HTTPError as exc:
        raise server_errors.from_transport(exc, base, False, config.connect_timeout_s) from exc
    finally:
        if own:
            client.close()


def pick_model(wanted: str, served: list[str], url: str) -> str:
    """``wanted`` as the server names it (Ollama lists "llama3:latest" for "llama3"), or its first model."""
    if not served:
        if wanted:
            return wanted  # a server without a model list: the request will say if the name is wrong
        raise UserError(f"the server at {url} lists no models; give the model's name in Settings ▸ Server")
    if not wanted:
        return served[0]
    for name in served:
        if name == wanted or name.split(":")[0] == wanted:
            return name
    shown = ", ".join(served[:8]) + (" …" if len(served) > 8 else "")
    raise UserError(f"the server at {url} has no model called “{wanted}”; it serves: {shown}")


class ServerEngine:
    """The engine for one model on one OpenAI-compatible server (see the module docstring)."""

    is_server = True

    def __init__(self, config: ServerConfig, model: str, client: httpx.Client, load_seconds: float = 0.0) -> None:
        self.config = config
        self.base = api_base(config.url)
        self.model = model
        self.tokenizer = ServerChat()
        self._client: httpx.Client | None = client
        self._info = ModelInfo(
            name=model, path=self.base, device=f"server {urlsplit(self.base).netloc}", dtype="server",
            quantization="server", memory_bytes=0, context_window=int(config.context_window),
            has_chat_template=True, load_seconds=load_seconds,
        )
        self._tokens_per_second: float | None = None
        self._time_to_first_token: float | None = None

    @classmethod
    def connect(cls, config: ServerConfig, progress: Callable[[float, str], None] | None = None) -> ServerEngine:
        """Reach the server, check the model is there; raises UserError with one sentence."""
        started = time.perf_counter()
        base = api_base(config.url)
        if progress:
            progress(0.2, f"Connecting to {base}…")
        client = _client(config)
        try:
            model = pick_model(config.model, list_models(config, client), base)
        except BaseException:
            client.close()
            raise
        if progress:
            progress(1.0, f"{model} on {base}")
        return cls(config, model, client, time.perf_counter() - started)

    # -- the Engine protocol --------------------------------------------------------------------
    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def last_tokens_per_second(self) -> float | None:
        return self._tokens_per_second

    @property
    def last_time_to_first_token(self) -> float | None:
        return self._time_to_first_token

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def reset_cache(self) -> None:
        """Nothing to forget here: a server keeps (or drops) its own prompt cache."""

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def generate(self, prompt: Prompt | str, settings: GenerationSettings,
                 cancel: threading.Event | None = None) -> str:
        return "".join(self.stream(prompt, settings, cancel))

    def stream(self, prompt: Prompt | str, settings: GenerationSettings | None = None,
               cancel: threading.Event | None = None) -> Iterator[str]:
        """Yield the answer's pieces as the server sends them; stop at its end or at once on cancel."""
        if self._client is None:
            raise UserError("the connection to the server was closed; load the model again")
        settings = settings or GenerationSettings()
        text = prompt.text if isinstance(prompt, Prompt) else str(prompt)
        if not text.strip():
            raise UserError("nothing to generate from: the prompt is empty")
        path, body = self.request_body(text, settings)
        return self._stream(path, body, cancel or threading.Event())

    # -- the wire ---------------------------------------------------------------------------------
    def request_body(self, text: str, settings: GenerationSettings) -> tuple[str, dict[str, Any]]:
        """The endpoint and JSON body for ``text`` (chat messages, or a document to carry on)."""
        body: dict[str, Any] = {"model": self.model, "stream": True, "max_tokens": settings.max_new_tokens,
                                "temperature": settings.temperature, "top_p": settings.top_p}
        if settings.seed is not None:
            body["seed"] = settings.seed
        # llama.cpp's and vLLM's names (OpenAI ignores both). Sent at 1.0 too: llama.cpp's server
        # otherwise applies its own default of 1.1, so "no penalty" in the settings would not be.
        body["repeat_penalty"] = body["repetition_penalty"] = settings.repetition_penalty
        chat = decode_messages(text)
        if chat is not None and not chat[1]:
            return "/chat/completions", {**body, "messages": chat[0]}
        if chat is not None:
            messages, prefix = chat
            user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
            text = f"{user}\n\n{prefix}" if user else prefix
        return "/completions", {**body, "prompt": text}

    def _stream(self, path: str, body: dict[str, Any], cancel: threading.Event) -> Iterator[str]:
        assert self._client is not None
        url = self.base + path
        streamed = False
        done = threading.Event()
        started = time.perf_counter()
        first_at = last_at = None
        pieces = 0
        self._tokens_per_second = self._time_to_first_token = None
        try:
            with self._client.stream("POST", url, json=body) as response:
                watcher = threading.Thread(target=_close_on_cancel, args=(response, cancel, done),
                                           name="server-cancel", daemon=True)
                watcher.start()
                if response.status_code >= 400:
                    raise server_errors.from_status(response, self.base, self.model)
                finished = False
                for event in sse.events(response.iter_lines()):
                    if cancel.is_set():
                        return
                    if event.data.strip() == "[DONE]":
                        finished = True
                        break
                    piece, ended = self._piece(event.data, streamed)
                    finished = finished or ended
                    if piece:
                        now = time.perf_counter()
                        first_at = first_at or now
                        last_at = now
                        pieces += 1
                        streamed = True
                        yield piece
                if not finished and not cancel.is_set():
                    raise server_errors.truncated(self.base)
        except httpx.HTTPError as exc:
            if cancel.is_set():
                return  # our own watcher closed the connection
            raise server_errors.from_transport(exc, self.base, streamed, self.config.read_timeout_s) from exc
        finally:
            done.set()
            if first_at is not None:
                self._time_to_first_token = first_at - started
                if pieces > 1 and last_at > first_at:
                    self._tokens_per_second = (pieces - 1) / (last_at - first_at)

    def _piece(self, data: str, streamed: bool) -> tuple[str, bool]:
        """(text, whether the answer ended) from one event's JSON."""
        try:
            chunk = json.loads(data)
        except ValueError as exc:
            raise server_errors.malformed(self.base, streamed, f"a piece is not JSON: {data[:60]!r}") from exc
        if not isinstance(chunk, dict):
            raise server_errors.malformed(self.base, streamed, "a piece is not a JSON object")
        if "error" in chunk:
            error = chunk["error"]
            said = error.get("message", "") if isinstance(error, dict) else str(error)
            if server_errors.looks_like_context_error(said):
                raise server_errors.ServerError(f"the text is too long for the server's model ({said[:200]}); "
                                                "select less text, or start the server with a longer context")
            raise server_errors.ServerError(f"the server at {self.base} failed while writing ({said[:200]})"
                                            + (f"; {server_errors.KEPT}" if streamed else ""))
        choices = chunk.get("choices")
        if not isinstance(choices, list):
            raise server_errors.malformed(self.base, streamed, "a piece has no choices")
        if not choices:
            return "", False  # a usage-only piece
        choice = choices[0] if isinstance(choices[0], dict) else {}
        delta = choice.get("delta")
        text = delta.get("content") if isinstance(delta, dict) else choice.get("text")
        return (text if isinstance(text, str) else ""), bool(choice.get("finish_reason"))


def _close_on_cancel(response: httpx.Response, cancel: threading.Event, done: threading.Event) -> None:
    """Shut the answer's socket down as soon as ``cancel`` is set (a blocked read returns at once)."""
    while not done.wait(CANCEL_POLL_S):
        if cancel.is_set():
            stream = response.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return


def check_connection(config: ServerConfig) -> list[str]:
    """The server's models, for the Settings dialog's "Test connection" (blocks: call it off the GUI thread)."""
    models = list_models(config)
    if config.model:
        pick_model(config.model, models, api_base(config.url))
    return models
